"""Settings for the test suite (pytest-django).

DATABASE_URL and REDIS_URL point the suite at PostgreSQL and Redis; unset, it runs on SQLite with
in-process tasks. Tests that need a real broker are marked ``needs_redis`` and fail when it is
unreachable.
"""

from .base import *  # noqa: F403
from .base import env

DEBUG = False
SECRET_KEY = env("DJANGO_SECRET_KEY", default="test-secret-key-not-for-production")
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
# Tests always run tasks in-process unless a test starts a real worker itself.
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=True)
