"""Xinli settings: ONE file, driven by environment variables (see docs/configuration.md).

SQLite under ``var/`` is the embedded default; set ``DATABASE_URL`` for PostgreSQL and ``REDIS_URL`` to move the
Huey queue to Redis.
"""

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


VAR_DIR = Path(os.environ.get("XINLI_VAR_DIR", BASE_DIR / "var"))
DEBUG = env_bool("XINLI_DEBUG", False)
# The demo switch: only when it is on may accounts flagged as demo accounts skip two-factor login.
XINLI_DEMO = env_bool("XINLI_DEMO", False)
# Aggregates for readers without person rights: counts 1..XINLI_SMALL_CELL-1 are suppressed (docs/indicators.md).
XINLI_SMALL_CELL = int(os.environ.get("XINLI_SMALL_CELL", "5"))
SECRET_KEY = os.environ.get("XINLI_SECRET_KEY") or (
    "insecure-development-key-set-XINLI_SECRET_KEY-in-production" if (DEBUG or XINLI_DEMO) else ""
)
if not SECRET_KEY:
    # Test runs and management commands on a developer machine still need a key; production sets its own and
    # `make prod-check` refuses this placeholder.
    SECRET_KEY = "insecure-placeholder-key"
ALLOWED_HOSTS = [h for h in os.environ.get("XINLI_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver").split(",") if h]
CSRF_TRUSTED_ORIGINS = [o for o in os.environ.get("XINLI_CSRF_TRUSTED_ORIGINS", "").split(",") if o]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "axes",
    "huey.contrib.djhuey",
    "xinli.core",
    "xinli.regions",
    "xinli.accounts",
    "xinli.archives",
    "xinli.scales",
    "xinli.screening",
    "xinli.alerts",
    "xinli.hotline",
    "xinli.smd",
    "xinli.network",
    "xinli.portal",
    "xinli.outreach",
    "xinli.counselling",
    "xinli.governance",
    "xinli.indicators",
    "xinli.reports",
    "xinli.imports",
    "xinli.field",
    "xinli.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "xinli.core.middleware.NoStoreMiddleware",
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "xinli.core.middleware.LanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "xinli.core.middleware.AuditContextMiddleware",
    "xinli.accounts.middleware.RequireTwoFactorMiddleware",
    "xinli.accounts.middleware.ForcePasswordChangeMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "xinli.urls"
WSGI_APPLICATION = "xinli.wsgi.application"
AUTH_USER_MODEL = "accounts.User"

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
                "xinli.core.context_processors.platform",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------------------------
DATABASE_URL = os.environ.get("DATABASE_URL") or f"sqlite:///{VAR_DIR / 'xinli.sqlite3'}"
# Health checks: a persistent connection broken by a database restart is replaced at the next request, not used.
DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=int(os.environ.get("XINLI_CONN_MAX_AGE", "60")),
                                              conn_health_checks=True)}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # IMMEDIATE transactions take the write lock at BEGIN, so two writers never both read the audit chain head.
    DATABASES["default"]["OPTIONS"] = {"transaction_mode": "IMMEDIATE", "timeout": 20}
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    # A file (not memory) so that a test can prove no plaintext reaches the database file.
    DATABASES["default"]["TEST"] = {"NAME": os.environ.get("XINLI_TEST_SQLITE") or str(VAR_DIR / f"test-{os.getpid()}.sqlite3")}
# Read replica (optional): a PostgreSQL hot standby streaming from the primary. When set, dashboards, the indicator
# values API and exports read rollups and aggregate counts from it (xinli.core.db.read_alias); every write, every
# audited read of a person and everything else stays on "default". There is no database router on purpose: code
# chooses the replica explicitly with ``.using(read_alias())``. In tests the alias mirrors the default test database.
XINLI_REPLICA_DATABASE_URL = os.environ.get("XINLI_REPLICA_DATABASE_URL", "")
if XINLI_REPLICA_DATABASE_URL:
    DATABASES["replica"] = dj_database_url.parse(XINLI_REPLICA_DATABASE_URL,
                                                 conn_max_age=int(os.environ.get("XINLI_CONN_MAX_AGE", "60")),
                                                 conn_health_checks=True)
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Background work (Huey) -----------------------------------------------------------------------------------
REDIS_URL = os.environ.get("REDIS_URL", "")
HUEY_IMMEDIATE = env_bool("XINLI_HUEY_IMMEDIATE", False)
if REDIS_URL:
    HUEY = {
        "huey_class": "huey.RedisHuey",
        "name": "xinli",
        "url": REDIS_URL,
        "immediate": HUEY_IMMEDIATE,
        # Periodic tasks at local wall-clock times (03:05 is 03:05 in XINLI_TIME_ZONE; Django sets the process TZ).
        "utc": False,
        "consumer": {"workers": int(os.environ.get("XINLI_HUEY_WORKERS", "2")), "worker_type": "thread"},
    }
else:
    HUEY = {
        "huey_class": "huey.SqliteHuey",
        "name": "xinli",
        "filename": str(VAR_DIR / "huey.sqlite3"),
        "immediate": HUEY_IMMEDIATE,
        # Periodic tasks at local wall-clock times (03:05 is 03:05 in XINLI_TIME_ZONE; Django sets the process TZ).
        "utc": False,
        "consumer": {"workers": int(os.environ.get("XINLI_HUEY_WORKERS", "2")), "worker_type": "thread"},
    }

# --- Authentication and login security (MLPS 2.0 level 3) -----------------------------------------------------
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    {"NAME": "xinli.accounts.passwords.ComplexityValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "accounts:login"
AXES_FAILURE_LIMIT = int(os.environ.get("XINLI_LOGIN_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = timedelta(minutes=int(os.environ.get("XINLI_LOCKOUT_MINUTES", "30")))
# Lock the pair (username, client address), not the account: otherwise anyone could lock a crisis-team member out for
# AXES_COOLOFF_TIME by typing wrong passwords for their username (docs/hardening.md "Login lockout"). The address is
# the one the audit log and the rate limits record (never axes' own X-Forwarded-For parsing). Guessing one account from many addresses is slowed by a per-username delay counted
# in the shared cache (xinli/accounts/throttle.py), which delays but never locks.
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_CLIENT_IP_CALLABLE = "xinli.core.middleware.client_ip"
XINLI_LOGIN_USERNAME_DELAY_AFTER = int(os.environ.get("XINLI_LOGIN_USERNAME_DELAY_AFTER", "20"))
XINLI_LOGIN_USERNAME_DELAY_MAX = int(os.environ.get("XINLI_LOGIN_USERNAME_DELAY_MAX", "300"))
XINLI_LOGIN_USERNAME_WINDOW = int(os.environ.get("XINLI_LOGIN_USERNAME_WINDOW", "3600"))
AXES_RESET_ON_SUCCESS = True
AXES_ENABLE_ACCESS_FAILURE_LOG = True
AXES_LOCKOUT_CALLABLE = "xinli.accounts.views.lockout_response"
AXES_VERBOSE = False
# Idle timeout: the session cookie is renewed on every request and expires after this many seconds of inactivity.
SESSION_COOKIE_AGE = int(os.environ.get("XINLI_SESSION_IDLE_SECONDS", "1800"))
SESSION_SAVE_EVERY_REQUEST = True
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SECURE_COOKIES = env_bool("XINLI_SECURE_COOKIES", False)
SESSION_COOKIE_SECURE = SECURE_COOKIES
CSRF_COOKIE_SECURE = SECURE_COOKIES
# Two-factor login (TOTP) for every role that reads person-level data.
XINLI_REQUIRE_2FA = env_bool("XINLI_REQUIRE_2FA", True)
OTP_TOTP_ISSUER = "Xinli"
XINLI_API_TOKEN_HOURS = int(os.environ.get("XINLI_API_TOKEN_HOURS", "12"))

# --- The client's address (xinli.core.middleware.client_ip) --------------------------------------------------
# Comma-separated IPs or CIDR networks of the reverse proxies in front of gunicorn (e.g. "127.0.0.1, 10.20.0.0/24").
# X-Forwarded-For is believed only from these peers, read from the right up to the first hop that is not one of them.
# Default none: REMOTE_ADDR is the client and any X-Forwarded-For is ignored (audit log, rate limits, lockout).
XINLI_TRUSTED_PROXIES = os.environ.get("XINLI_TRUSTED_PROXIES", "")

# --- Rate limits per client address (xinli/core/ratelimit.py) and the cache that counts them -----------------
# "N/SECONDS": at most N requests per fixed window of SECONDS from one client address (the address the audit log
# records); "0" turns a limit off. Axes still locks an account after XINLI_LOGIN_FAILURE_LIMIT failures; these limits
# stop one address from trying many accounts or flooding the public forms. Keep them generous: an intranet or a
# mobile carrier puts many people behind one address.
#   XINLI_RATE_LOGIN  - staff login, API token and portal account login attempts (POST)   default 30/300
#   XINLI_RATE_PORTAL - anonymous portal submissions: self-tests, bookings, cancellations, event sign-ups, awareness
#                       and satisfaction surveys, portal account registration (POST)      default 30/60
#   XINLI_RATE_CODE   - WRONG campaign participant codes (unknown, used, closed) tried from one address, on the
#                       participant pages and the submission API; right codes are not counted  default 300/300
XINLI_RATE_LIMITS = {
    "login": os.environ.get("XINLI_RATE_LOGIN", "30/300"),
    "portal": os.environ.get("XINLI_RATE_PORTAL", "30/60"),
    "code": os.environ.get("XINLI_RATE_CODE", "300/300"),
}
XINLI_RATE_LIMITS = {bucket: (int(text.partition("/")[0] or 0), max(1, int(text.partition("/")[2] or 60)))
                     for bucket, text in XINLI_RATE_LIMITS.items()}
# Counters live in the default cache: shared in Redis when REDIS_URL is set (required by prod_check, xinli.E012), so
# every gunicorn worker and host counts against one limit. Without Redis the cache is per process: each worker counts
# on its own and the effective limit is N x the number of workers (fine for the one-process demo, not production).
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL,
                          "KEY_PREFIX": "xinli"}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "xinli"}}

# --- Crypto (GB/T 39786: SM4 for stored personal data, SM3 for hashes) --------------------------------------
# XINLI_DATA_KEYS="k2:<base64 16 bytes>,k1:<base64>" (first is used to encrypt; all decrypt);
# XINLI_INDEX_KEY="<base64 32 bytes>" keys the HMAC-SM3 blind indexes. Without them, the key file below is read
# (written by `manage.py generate_keys`, which `make demo` runs).
XINLI_DATA_KEYS = os.environ.get("XINLI_DATA_KEYS", "")
XINLI_INDEX_KEY = os.environ.get("XINLI_INDEX_KEY", "")
XINLI_KEY_FILE = os.environ.get("XINLI_KEY_FILE", str(VAR_DIR / "keys.json"))

# --- Audit ---------------------------------------------------------------------------------------------------
# Cybersecurity Law art. 21: logs are kept at least 6 months; nothing deletes younger entries.
XINLI_AUDIT_MIN_RETENTION_DAYS = 183

# --- REST API ------------------------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "xinli.accounts.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated", "xinli.core.query.ValidQueryParameters"],
    "DEFAULT_PAGINATION_CLASS": "xinli.core.api.Pagination",
    "PAGE_SIZE": 20,
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "xinli.core.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "xinli.core.api.exception_handler",
    "DEFAULT_PARSER_CLASSES": ["xinli.core.parsers.BoundedJSONParser"],
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Xinli API",
    "DESCRIPTION": "Social psychological service platform (社会心理服务体系信息平台)",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # The messages Xinli pushes to a 综治 platform, as ``x-webhooks`` (xinli/governance/api.py).
    "POSTPROCESSING_HOOKS": ["drf_spectacular.hooks.postprocess_schema_enums", "xinli.governance.api.add_push_messages"],
}
DATA_UPLOAD_MAX_MEMORY_SIZE = int(os.environ.get("XINLI_MAX_BODY_BYTES", str(1024 * 1024)))
# Imports (xinli/core/uploads.py): the largest uploaded or imported file, the most data rows read from one sheet, and
# the most bytes an .xlsx may unpack to (an .xlsx is a zip: a small file can expand to gigabytes).
XINLI_MAX_UPLOAD_BYTES = int(os.environ.get("XINLI_MAX_UPLOAD_BYTES", str(20 * 1024 * 1024)))
XINLI_MAX_IMPORT_ROWS = int(os.environ.get("XINLI_MAX_IMPORT_ROWS", "200000"))
# A bulk import forks a worker process that prepares the next batch (parsing, checks, encryption, blind indexes) while
# this one is written (xinli/imports/worker.py, docs/imports.md "Speed"); off: everything in the importing process.
XINLI_IMPORT_PREPARE_PROCESS = env_bool("XINLI_IMPORT_PREPARE_PROCESS", True)
XINLI_MAX_XLSX_UNPACKED_BYTES = int(os.environ.get("XINLI_MAX_XLSX_UNPACKED_BYTES", str(500 * 1024 * 1024)))
# The field app (docs/field.md): the largest photo of a signed paper form one sync item may carry (base64 in the JSON
# body, so also below XINLI_MAX_BODY_BYTES).
XINLI_FIELD_MAX_PHOTO_BYTES = int(os.environ.get("XINLI_FIELD_MAX_PHOTO_BYTES", str(600 * 1024)))
# The field app's device store is erased after this many hours without a sync (issue 18; default 72).
XINLI_FIELD_STORE_HOURS = int(os.environ.get("XINLI_FIELD_STORE_HOURS", "72"))

# --- Internationalisation (Chinese by default, English switch) ------------------------------------------------
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = os.environ.get("XINLI_TIME_ZONE", "Asia/Shanghai")
USE_I18N = True
USE_TZ = True

# --- Static files (all vendored; no CDN) ----------------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = Path(os.environ.get("XINLI_STATIC_ROOT", VAR_DIR / "static"))
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # WhiteNoise expects it; collectstatic fills it in production
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

# --- HTTP security headers ------------------------------------------------------------------------------------
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# One year unless this is the demo or a development server (plain HTTP on localhost); Django sends it on HTTPS only.
HSTS_ONE_YEAR = 31536000
SECURE_HSTS_SECONDS = int(os.environ.get("XINLI_HSTS_SECONDS", "0" if (DEBUG or XINLI_DEMO) else str(HSTS_ONE_YEAR)))
# Sent only when XINLI_HSTS_SECONDS > 0; covers the platform's own sub-domains (e.g. api.<host>), not the parent domain.
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("XINLI_HSTS_INCLUDE_SUBDOMAINS", True)
SECURE_SSL_REDIRECT = env_bool("XINLI_SSL_REDIRECT", False)
# --- Behind the TLS-terminating reverse proxy (deploy/nginx) ---------------------------------------------------
# nginx sets X-Forwarded-Proto; trust it only when the app port is reachable from nginx alone (gunicorn binds to
# 127.0.0.1 or a unix socket). Without it Django sees plain HTTP and SECURE_SSL_REDIRECT would loop.
if env_bool("XINLI_PROXY_SSL_HEADER", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "style-src": ["'self'", "'unsafe-inline'"],
        "script-src": ["'self'"],
        "connect-src": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
    }
}

EMAIL_BACKEND = os.environ.get("XINLI_EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
# The SMTP relay for alert e-mails (the government mail system's relay on the intranet).
EMAIL_HOST = os.environ.get("XINLI_EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("XINLI_EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("XINLI_EMAIL_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("XINLI_EMAIL_PASSWORD", "")
EMAIL_USE_TLS = env_bool("XINLI_EMAIL_USE_TLS", False)
EMAIL_TIMEOUT = 10
DEFAULT_FROM_EMAIL = os.environ.get("XINLI_EMAIL_FROM", "xinli@localhost")
# Alert notifications: outside channels in use (the in-app inbox is always on) and the SMS gateway class.
XINLI_NOTIFY_CHANNELS = [c for c in os.environ.get("XINLI_NOTIFY_CHANNELS", "email,sms").split(",") if c]
XINLI_SMS_BACKEND = os.environ.get("XINLI_SMS_BACKEND", "xinli.alerts.channels.LoggingSmsBackend")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("XINLI_LOG_LEVEL", "WARNING")},
    "loggers": {"axes": {"level": "WARNING"}},
}

# We lock accounts by username on purpose (MLPS: lock the account); many intranet users share one NAT address.
# models.W040: the population tags' index carries non-key columns on PostgreSQL (an index-only scan for T09/CA1);
# SQLite builds it without them, which is what we want there.
SILENCED_SYSTEM_CHECKS = ["axes.W006", "models.W040"]

XINLI_PLATFORM_NAME = _("Social Psychological Service Platform")

# --- Backup key (manage.py export_archive / restore_archive / encrypt_backup / decrypt_backup; docs/backup.md) ---
# Base64 of 16 random bytes: the SM4 key archives are encrypted with. A backup key, never one of XINLI_DATA_KEYS;
# kept apart from the backup files. Empty: the commands need --key-file.
XINLI_BACKUP_KEY = os.environ.get("XINLI_BACKUP_KEY", "")
