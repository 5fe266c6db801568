"""gridprequal settings. Production differs from the embedded default only by environment variables.

See .env.example for every variable.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from django.utils.translation import gettext_lazy as _

from config.env import database_from_url, env_bool, env_int, env_list, env_str, env_url

BASE_DIR = Path(__file__).resolve().parent.parent

DEBUG = env_bool("DJANGO_DEBUG", False)
SECRET_KEY = env_str(
    "DJANGO_SECRET_KEY", "insecure-embedded-default-key-change-me" if DEBUG else None
)
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", ["127.0.0.1", "localhost"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_celery_beat",
    "axes",
    "common",
    "accounts",
    "notices",  # in-app notifications and e-mail preferences: the accounts layer
    "observability",
    "prequal",
    "forecasts",
    "attachments",
    "register",
    "limits",
    "reports",
    "dashboards",  # the home page's dashboards per role (issue 15)
    "demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "common.middleware.RefuseNulInQueryMiddleware",  # ?q=%00: 400 (PostgreSQL text cannot hold NUL)
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "common.middleware.SecurityHeadersMiddleware",  # Content-Security-Policy, Permissions-Policy
    "common.busy.DatabaseBusyMiddleware",  # "database is locked" from a view: 503 with Retry-After
    "common.error_pages.ErrorPagesInDebugMiddleware",  # the site's 404 page with DEBUG on too
    "axes.middleware.AxesMiddleware",  # last: turns a lock-out into a 429 answer
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
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "accounts.context_processors.roles",
                "notices.context_processors.unread",
            ],
        },
    },
]

DATABASES = {
    "default": database_from_url(
        env_str("DATABASE_URL", "sqlite:///db.sqlite3"), base_dir=BASE_DIR
    )
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
# Covering indexes (Index(include=...)) are PostgreSQL's index-only reads for the queue, the
# dashboards and My grid; SQLite (`make run`) builds the same indexes on their key columns alone,
# which is all it needs at demo size: its warning about the extra columns is expected.
SILENCED_SYSTEM_CHECKS = ["models.W040"]

AUTH_USER_MODEL = "accounts.User"
# django-axes first: it refuses a locked-out login before the password is checked.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# Login throttling (login page, admin, /api/auth/token/): after AXES_FAILURE_LIMIT failures for
# one username from one address, that pair is locked out for the cool-off period (429).
AXES_FAILURE_LIMIT = env_int("GRIDPREQUAL_LOGIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("GRIDPREQUAL_LOGIN_COOLOFF_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_SENSITIVE_PARAMETERS = ["password"]
# Behind N reverse proxies the client address is the Nth from the right in X-Forwarded-For;
# with none (the default) the header is the client's own and never read (common/http.py).
PROXY_COUNT = env_int("GRIDPREQUAL_PROXY_COUNT", 0)
AXES_CLIENT_IP_CALLABLE = "common.http.client_address"
AXES_LOCKOUT_CALLABLE = "common.http.lockout_response"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("sv", _("Swedish"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
# Numbers on pages in the reader's form: "1 234,5" in Swedish, "1,234.5" in English (issue 15).
# Identifiers, URLs, data-* attributes and SVG coordinates are written with |unlocalize or
# {% localize off %}; the API, CSV and XLSX never pass through the template localizer.
USE_THOUSAND_SEPARATOR = True
USE_TZ = True
# Stored in UTC; shown in the SO's zone. This is the zone for pages without an SO context.
TIME_ZONE = env_str("GRIDPREQUAL_TIME_ZONE", "Europe/Stockholm")

STATIC_URL = "static/"
STATIC_ROOT = Path(env_str("DJANGO_STATIC_ROOT", str(BASE_DIR / "staticfiles")))
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
MEDIA_ROOT = Path(env_str("DJANGO_MEDIA_ROOT", str(BASE_DIR / "media")))

# Uploads (CSV imports, area files): refuse anything larger before it is parsed.
GRIDPREQUAL_MAX_UPLOAD_BYTES = env_int("GRIDPREQUAL_MAX_UPLOAD_BYTES", 50 * 1024 * 1024)
# Files attached to cases (attachments app): at most this size, kept in this storage of STORAGES
# ("default": files under MEDIA_ROOT). With GRIDPREQUAL_ATTACHMENT_S3_BUCKET they go to that
# S3-compatible bucket (django-storages, `pip install ".[s3]"`; credentials from the usual
# AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY variables, read by boto3). Never served from a public
# URL: only through the download view, which checks access.
GRIDPREQUAL_ATTACHMENT_MAX_BYTES = env_int("GRIDPREQUAL_ATTACHMENT_MAX_BYTES", 20 * 1024 * 1024)
GRIDPREQUAL_ATTACHMENT_S3_BUCKET = env_str("GRIDPREQUAL_ATTACHMENT_S3_BUCKET", "")
if GRIDPREQUAL_ATTACHMENT_S3_BUCKET:
    STORAGES["attachments"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": GRIDPREQUAL_ATTACHMENT_S3_BUCKET,
            "endpoint_url": env_str("GRIDPREQUAL_ATTACHMENT_S3_ENDPOINT_URL", "") or None,
            "region_name": env_str("GRIDPREQUAL_ATTACHMENT_S3_REGION", "") or None,
            "default_acl": "private",
            "file_overwrite": False,
        },
    }
GRIDPREQUAL_ATTACHMENT_STORAGE = env_str(
    "GRIDPREQUAL_ATTACHMENT_STORAGE", "attachments" if GRIDPREQUAL_ATTACHMENT_S3_BUCKET else "default"
)
# Observability-area files: at most this many vertices (SPEC §7's national file has about 2
# million), counted while reading, before any geometry is built; a zip may expand to at most
# this many bytes (checked on the archive's directory, before anything is extracted).
GRIDPREQUAL_AREA_MAX_VERTICES = env_int("GRIDPREQUAL_AREA_MAX_VERTICES", 5_000_000)
GRIDPREQUAL_AREA_MAX_EXPANDED_BYTES = env_int("GRIDPREQUAL_AREA_MAX_EXPANDED_BYTES", 200 * 1024 * 1024)
# The installation's public address (scheme, host, port if any, path prefix if any): every link in
# an e-mail starts with it (notifications are sent from workers, outside any request). Production
# sets it (`check --deploy` warns when it is missing); the embedded default (scripts/run-embedded)
# derives it from the address it listens on. GRIDPREQUAL_SITE_URL is its former name.
_EMBEDDED_URL = f"http://{env_str('GRIDPREQUAL_ADDR', '127.0.0.1:8000')}" if DEBUG else ""
GRIDPREQUAL_PUBLIC_URL = env_url("GRIDPREQUAL_PUBLIC_URL", env_url("GRIDPREQUAL_SITE_URL", _EMBEDDED_URL))
# Temporary limits last at most this many days (SPEC R7: they must not replace prequalification).
GRIDPREQUAL_LIMIT_MAX_DAYS = env_int("GRIDPREQUAL_LIMIT_MAX_DAYS", 7)
# The activation register (SPEC R11): the longest period one award or activation may cover (it
# bounds the months a query for some market time units reads).
GRIDPREQUAL_REGISTER_MAX_PERIOD_DAYS = env_int("GRIDPREQUAL_REGISTER_MAX_PERIOD_DAYS", 31)
# With DEBUG on (make run), 404s show the site's page, not Django's technical one (common/error_pages.py).
GRIDPREQUAL_ERROR_PAGES_IN_DEBUG = env_bool("GRIDPREQUAL_ERROR_PAGES_IN_DEBUG", True)
# Records whose period started more than this many days ago are summarised per operator, product,
# kind, direction and month (the annual report's figures) and removed (register.services.retention).
GRIDPREQUAL_REGISTER_RETENTION_DAYS = env_int("GRIDPREQUAL_REGISTER_RETENTION_DAYS", 400)
# Map background tiles ({z}/{x}/{y} URL template, e.g. OpenStreetMap's or the installation's own
# GIS tile server) and their attribution. Empty: the built-in outline of countries and coasts
# (static/geo/base_outline.geojson), nothing fetched from elsewhere (common/maps.py).
GRIDPREQUAL_MAP_TILE_URL = env_str("GRIDPREQUAL_MAP_TILE_URL", "")
GRIDPREQUAL_MAP_TILE_ATTRIBUTION = env_str("GRIDPREQUAL_MAP_TILE_ATTRIBUTION", "")
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
# Refuses multipart bodies from anonymous users and bodies over GRIDPREQUAL_MAX_UPLOAD_BYTES
# before any file part is written to disk (common/uploads.py).
FILE_UPLOAD_HANDLERS = [
    "common.uploads.GuardedUploadHandler",
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "django.core.files.uploadhandler.TemporaryFileUploadHandler",
]

EMAIL_BACKEND = env_str("DJANGO_EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = env_str("DJANGO_DEFAULT_FROM_EMAIL", "gridprequal <noreply@localhost>")

REST_FRAMEWORK = {
    # Token first: DRF answers an unauthenticated request with the first class's challenge,
    # so anonymous clients get 401 + "WWW-Authenticate: Token" (session auth has no challenge: 403).
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    # Refusing NUL in any string (PostgreSQL text cannot hold it): common/parsers.py.
    "DEFAULT_PARSER_CLASSES": [
        "common.parsers.JSONParser",
        "common.parsers.FormParser",
        "common.parsers.MultiPartParser",
    ],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "common.api.Pagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "common.schema.AutoSchema",  # documents the JSON error answers too
    "EXCEPTION_HANDLER": "common.api.exception_handler",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "gridprequal API",
    "DESCRIPTION": "Grid prequalification, observability areas and temporary limits (NC DR Title VII).",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    # Swagger UI would otherwise send the schema URL to validator.swagger.io for a badge.
    "SWAGGER_UI_SETTINGS": {"deepLinking": True, "validatorUrl": None},
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # Cases and assessments both have a "status": name their enums apart.
    "ENUM_NAME_OVERRIDES": {
        "CaseStatusEnum": "prequal.models.Case.Status",
        "AssessmentStatusEnum": "prequal.models.Assessment.Status",
        # Temporary limits: their derived status, and the direction shared with products.
        "LimitStatusEnum": "limits.models.LimitStatus",
        "DirectionEnum": "prequal.models.Direction",
        # The activation register's records.
        "RecordKindEnum": "register.models.RecordKind",
        "RecordStatusEnum": "register.models.RecordStatus",
        # In-app notifications (issue 15).
        "NotificationKindEnum": "notices.models.Notification.Kind",
        "AttachmentKindEnum": "attachments.models.Attachment.Kind",
    },
}

# Celery. Embedded default: kombu's filesystem broker, no server. Production: Redis.
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL", "filesystem://")
_broker_dir = Path(env_str("CELERY_FILESYSTEM_BROKER_DIR", str(BASE_DIR / "var" / "broker")))
CELERY_BROKER_TRANSPORT_OPTIONS = (
    {
        "data_folder_in": str(_broker_dir),
        "data_folder_out": str(_broker_dir),
        # kombu's default is a "control" folder relative to the working directory.
        "control_folder": str(_broker_dir / "control"),
    }
    if CELERY_BROKER_URL.startswith("filesystem")
    else {}
)
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", False)
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TIMEZONE = "UTC"
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"

# Security. Production sets DJANGO_SECURE=true (behind TLS at the reverse proxy).
_SECURE = env_bool("DJANGO_SECURE", not DEBUG)
SESSION_COOKIE_SECURE = _SECURE
CSRF_COOKIE_SECURE = _SECURE
SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", _SECURE)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_HSTS_SECONDS = env_int("DJANGO_HSTS_SECONDS", 31536000 if _SECURE else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = _SECURE
SECURE_HSTS_PRELOAD = _SECURE
SECURE_CONTENT_TYPE_NOSNIFF = True
SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_REFERRER_POLICY = "same-origin"
CSRF_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("DJANGO_LOG_LEVEL", "INFO")},
}
