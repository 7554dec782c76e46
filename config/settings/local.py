"""Development on one machine: SQLite and in-process tasks unless DATABASE_URL / REDIS_URL say otherwise."""

import sys

from .base import *  # noqa: F403
from .base import DATABASES, env

DEBUG = env.bool("DJANGO_DEBUG", default=True)
# On a developer's machine the schema and the docs page are open (config/docs.py).
API_DOCS_PUBLIC = env.bool("API_DOCS_PUBLIC", default=True)

# runserver serves each request on a new thread: persistent connections would pile up, one per
# request. Workers and gunicorn keep their threads and keep the persistent connections of base.
if sys.argv[1:2] == ["runserver"]:
    DATABASES["default"]["CONN_MAX_AGE"] = 0
