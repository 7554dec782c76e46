"""Development on one machine: SQLite and in-process tasks unless DATABASE_URL / REDIS_URL say otherwise."""

from .base import *  # noqa: F403
from .base import DATABASES, env

DEBUG = env.bool("DJANGO_DEBUG", default=True)

# runserver serves each request on a new thread: persistent connections would pile up one per
# request. Workers and gunicorn keep their threads, so DB_CONN_MAX_AGE can raise this for them.
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DB_CONN_MAX_AGE", default=0)
