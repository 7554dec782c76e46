"""Settings shared by every environment.

Everything that differs between machines comes from the environment (django-environ):
see the README's "Configuration" section for the full list.
"""

from datetime import timedelta
from pathlib import Path

import environ
from celery.schedules import crontab

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

# --- Core ------------------------------------------------------------------------------------
# https://docs.djangoproject.com/en/5.2/ref/settings/
SECRET_KEY = env("DJANGO_SECRET_KEY", default="insecure-development-key-change-me")
DEBUG = env.bool("DJANGO_DEBUG", default=False)
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver"])
SITE_URL = env("SITE_URL", default="http://127.0.0.1:8000")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "axes",
    "dispatch.apps.DispatchConfig",
    "compliance.apps.ComplianceConfig",
]

MIDDLEWARE = [
    "config.middleware.BodySizeLimitMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "config.middleware.SecurityHeadersMiddleware",
    "config.middleware.DatabaseUnavailableMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "config.middleware.RoleRequiredMiddleware",
    "config.middleware.TimezoneMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes requires: locks out repeated failed logins.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# --- Database --------------------------------------------------------------------------------
# DATABASE_URL, e.g. postgres://postgres@127.0.0.1:5432/dispatch; default: SQLite in var/.
(BASE_DIR / "var").mkdir(exist_ok=True)
DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'var' / 'db.sqlite3'}"),
}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
# Persistent connections: a worker or web thread reuses its connection across tasks and requests
# (connecting costs more than a whole check); health checks drop a connection that went stale.
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DB_CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
# DB_POOLER=pgbouncer: DATABASE_URL points at PgBouncer in transaction pooling mode (docs/sizing.md).
# Consecutive transactions of one connection may then run on different server connections, so
# nothing may outlive a transaction: no server-side cursors (QuerySet.iterator() fetches through
# a named cursor that would stay behind) and no prepared statements (Django's default for psycopg;
# stated so that an OPTIONS override cannot turn them back on). Session state Django sets (the
# time zone) is replayed by PgBouncer, which tracks it.
DB_POOLER = env.str("DB_POOLER", default="").strip().lower()
if DB_POOLER not in ("", "pgbouncer"):
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured(f"DB_POOLER must be empty or 'pgbouncer', not {DB_POOLER!r}.")
if DB_POOLER == "pgbouncer":
    DATABASES["default"]["DISABLE_SERVER_SIDE_CURSORS"] = True
    _db_options = DATABASES["default"].setdefault("OPTIONS", {})
    _db_options["prepare_threshold"] = None
    _db_options.pop("server_side_binding", None)
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The embedded default serves one machine: wait for the writer instead of failing.
    DATABASES["default"].setdefault("OPTIONS", {})["timeout"] = 20
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Auth ------------------------------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    {"NAME": "config.passwords.NotOneCharacterValidator"},
]
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# django-axes: lock a username/IP pair out after repeated failures (https://django-axes.readthedocs.io).
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = env.float("AXES_COOLOFF_HOURS", default=1.0)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
# How many reverse proxies in front of the app append to X-Forwarded-For; 0 (default) ignores the
# header. Throttles and the login lockout read the client address through config/client_ip.py.
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)
AXES_CLIENT_IP_CALLABLE = "config.client_ip.client_ip"
API_TOKEN_TTL_HOURS = env.int("API_TOKEN_TTL_HOURS", default=24 * 7)
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "visit-list"
LOGOUT_REDIRECT_URL = "login"

# --- I18N ------------------------------------------------------------------------------------
LANGUAGE_CODE = "en-gb"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# --- Static ----------------------------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]

# --- Email -----------------------------------------------------------------------------------
EMAIL_BACKEND = env("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="dispatch-compliance@localhost")

# --- Request limits --------------------------------------------------------------------------
MAX_REQUEST_BODY_BYTES = env.int("MAX_REQUEST_BODY_BYTES", default=512 * 1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = MAX_REQUEST_BODY_BYTES
DATA_UPLOAD_MAX_NUMBER_FIELDS = 2000
MAX_JSON_DEPTH = 32
# A dry run's caps (compliance/checks/limits.py): over one is a 400 naming it.
DRY_RUN_MAX_ENGINEERS = env.int("DRY_RUN_MAX_ENGINEERS", default=50)
DRY_RUN_MAX_TOOLS = env.int("DRY_RUN_MAX_TOOLS", default=50)
DRY_RUN_MAX_PAIRS = env.int("DRY_RUN_MAX_PAIRS", default=500)
DRY_RUN_MAX_RESPONSE_BYTES = env.int("DRY_RUN_MAX_RESPONSE_BYTES", default=2 * 1024 * 1024)

# --- Security headers ------------------------------------------------------------------------
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'"
)
# The Swagger UI page runs an inline bootstrap script.
CONTENT_SECURITY_POLICY_DOCS = CONTENT_SECURITY_POLICY.replace(
    "script-src 'self'", "script-src 'self' 'unsafe-inline'"
)
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
SECURE_REFERRER_POLICY = "same-origin"

# --- REST framework --------------------------------------------------------------------------
# https://www.django-rest-framework.org/api-guide/settings/
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "config.authentication.ExpiringTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["config.permissions.HoldsRole"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "config.schema.AutoSchema",
    "EXCEPTION_HANDLER": "config.api.exception_handler",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["config.parsers.StrictJSONParser"],
    # Per client address (token) or per user (the rest); see config/throttling.py.
    "DEFAULT_THROTTLE_RATES": {
        "token": env("API_TOKEN_THROTTLE", default="20/min"),
        "dry_run": env("API_DRY_RUN_THROTTLE", default="60/min"),
        "screening_search": env("API_SCREENING_SEARCH_THROTTLE", default="120/min"),
        "suggestions": env("API_SUGGESTIONS_THROTTLE", default="30/min"),
        "impact": env("API_IMPACT_THROTTLE", default="10/min"),
        "report_generation": env("API_REPORT_GENERATION_THROTTLE", default="10/hour"),
    },
    # Reverse proxies in front of the app whose X-Forwarded-For is believed (config/client_ip.py).
    "NUM_PROXIES": TRUSTED_PROXY_COUNT,
}
# The schema and the docs page need a login unless this is set (development settings set it).
API_DOCS_PUBLIC = env.bool("API_DOCS_PUBLIC", default=False)
SPECTACULAR_SETTINGS = {
    "TITLE": "Fab dispatch compliance API",
    "DESCRIPTION": (
        "Decides whether a field-service engineer may be sent to a customer's fab. "
        "Decision support, not legal advice."
    ),
    "VERSION": "1.0.0",
    "CONTACT": {"name": "Fab dispatch compliance", "url": SITE_URL},
    "SERVERS": [{"url": SITE_URL, "description": "This installation"}],
    # Separate request and response components: a client sends no read-only field.
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "EffectEnum": "compliance.models.Effect",
        "DecisionStatusEnum": "compliance.engine.decision.STATUSES",
        "VisitStatusEnum": "dispatch.models.VisitStatus",
    },
    "TAGS": [
        {"name": "auth", "description": "API tokens."},
        {"name": "visits", "description": "File visits, read decisions, approve or reject holds."},
        {"name": "checks", "description": "Dry-run checks of visit documents (nothing stored)."},
        {"name": "vendors", "description": "Tool vendors."},
        {"name": "engineers", "description": "Field-service engineers and their nationalities."},
        {"name": "customers", "description": "Fab operators."},
        {"name": "facilities", "description": "Fab buildings and their technology capability."},
        {"name": "tools", "description": "Installed tools and their export classifications."},
        {"name": "screening", "description": "Restricted-party lists and screening."},
        {"name": "rules", "description": "The rules in force and policy switches."},
        {"name": "licences", "description": "Licences and authorisations on file."},
        {"name": "audit", "description": "The append-only audit log."},
        {"name": "reports", "description": "Weekly audit reports."},
    ],
    "SERVE_INCLUDE_SCHEMA": False,
    # Served from the package, not a CDN: the product runs on closed networks.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

# --- Celery ----------------------------------------------------------------------------------
# https://docs.celeryq.dev/en/stable/userguide/configuration.html
# REDIS_URL unset = embedded mode: tasks run in-process, through the same task code.
REDIS_URL = env("REDIS_URL", default="")
CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = None
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
CELERY_TASK_EAGER_PROPAGATES = False
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SOFT_TIME_LIMIT = env.int("CELERY_TASK_SOFT_TIME_LIMIT", default=60)
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=90)
CELERY_TASK_DEFAULT_QUEUE = "compliance"
CELERY_TASK_ROUTES = {"compliance.tasks.*": {"queue": "compliance"}}
# A message not acknowledged within this time is delivered again (worker died mid-task).
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=300)
}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Reuse a pool process's database connection across tasks (Celery's Django fix-up would otherwise
# close it after every task); config/celery_app.py still applies CONN_MAX_AGE and health checks.
CELERY_DB_REUSE_MAX = env.int("CELERY_DB_REUSE_MAX", default=1000)
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULE = {
    "sweep-unchecked-visits": {
        "task": "compliance.tasks.sweep_unchecked_visits",
        "schedule": timedelta(minutes=1),
    },
    "pre-travel-recheck": {
        "task": "compliance.tasks.pre_travel_recheck",
        "schedule": crontab(hour=5, minute=0),
    },
    # Licences ending within 30 days: approvers are emailed once per threshold (30, 7, 1 days).
    "notify-licence-expiry": {
        "task": "compliance.tasks.notify_licence_expiry",
        "schedule": crontab(hour=6, minute=30),
    },
    # Each list source has its own refresh interval (compliance/screening/sources.yaml) and its
    # next run recorded; this asks every few minutes which are due, so a missed run (beat down)
    # is made up at once rather than a whole interval later.
    "refresh-list-sources": {
        "task": "compliance.tasks.refresh_due_list_sources",
        "schedule": timedelta(minutes=env.int("COMPLIANCE_LIST_REFRESH_POLL_MINUTES", default=10)),
    },
}

# --- Compliance ------------------------------------------------------------------------------
COMPLIANCE = {
    # A screening list older than this adds a review finding to every check (fail closed).
    "LIST_MAX_AGE_DAYS": env.int("COMPLIANCE_LIST_MAX_AGE_DAYS", default=7),
    # A list download: the longest it may take, and the most bytes read before it is refused.
    "LIST_FETCH_TIMEOUT_SECONDS": env.float("COMPLIANCE_LIST_FETCH_TIMEOUT_SECONDS", default=60),
    "LIST_FETCH_MAX_BYTES": env.int("COMPLIANCE_LIST_FETCH_MAX_BYTES", default=200 * 1024 * 1024),
    # Minimum rapidfuzz-based score (0..1) for a screening hit.
    "SCREENING_THRESHOLD": env.float("COMPLIANCE_SCREENING_THRESHOLD", default=0.88),
    # Visits whose requested check has not produced a decision after this long are re-enqueued.
    "SWEEP_AFTER_MINUTES": env.int("COMPLIANCE_SWEEP_AFTER_MINUTES", default=5),
    # The pre-travel sweep re-checks visits starting within this many days.
    "PRE_TRAVEL_DAYS": env.int("COMPLIANCE_PRE_TRAVEL_DAYS", default=3),
    # Open visits are re-checked in chunks of this size after a rule or list change.
    "RECHECK_CHUNK_SIZE": env.int("COMPLIANCE_RECHECK_CHUNK_SIZE", default=200),
    # A single-visit check also takes up to this many visits filed meanwhile (compliance/checks/batching.py).
    "CHECK_BATCH_SIZE": env.int("COMPLIANCE_CHECK_BATCH_SIZE", default=50),
    "RULEPACK_DIR": BASE_DIR / "compliance" / "rulepacks",
    # Pack files a rule set must have: one missing is refused even on a first load.
    "REQUIRED_RULE_PACKS": (
        "us.yaml",
        "eu.yaml",
        "nl.yaml",
        "jp.yaml",
        "kr.yaml",
        "data_quality.yaml",
        "reference/country_groups.yaml",
        "reference/constants.yaml",
    ),
}

# --- Logging ---------------------------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}, "axes": {"level": "WARNING"}},
}

# --- Weekly audit report ---------------------------------------------------------------------
# compliance.reports: every Monday 06:00 in REPORT_TIME_ZONE, beat reports on the previous ISO
# week (Monday to Sunday in that zone) and emails it to the auditor group. See the README.
from compliance.reports.schedule import ZonedCrontab  # noqa: E402  (no Django import in it)

REPORT_TIME_ZONE = env("REPORT_TIME_ZONE", default="Europe/Amsterdam")
# How many weeks back from the current week a weekly report may still be generated through the
# API (a stored report is always served).
REPORT_RETENTION_WEEKS = env.int("REPORT_RETENTION_WEEKS", default=520)
AUDIT_REPORT = {
    "TIME_ZONE": REPORT_TIME_ZONE,
    # Decisions of the week re-evaluated from their stored inputs (evenly spaced by id).
    "REPLAY_SAMPLE_SIZE": env.int("AUDIT_REPORT_REPLAY_SAMPLE_SIZE", default=20),
    # Rules listed in the HTML/PDF "rules that fired most" (the CSV has them all).
    "TOP_RULES": env.int("AUDIT_REPORT_TOP_RULES", default=10),
    # Members of this group (with an email address) receive the report.
    "RECIPIENT_GROUP": "auditor",
}
CELERY_BEAT_SCHEDULE["weekly-audit-report"] = {
    "task": "compliance.reports.tasks.weekly_audit_report",
    # Celery reads crontabs in CELERY_TIMEZONE (UTC); this one is read in the report time zone.
    "schedule": ZonedCrontab(minute=0, hour=6, day_of_week="mon", time_zone=REPORT_TIME_ZONE),
}
