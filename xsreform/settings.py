"""The one settings module. Everything that differs between the demo, the
tests and production comes from environment variables (see README.md)."""

import os
from pathlib import Path

import dj_database_url
from csp.constants import NONE, SELF, UNSAFE_INLINE
from django.core.exceptions import ImproperlyConfigured

from .env import env_bool, env_int, env_list, env_str, load_env_file

BASE_DIR = Path(__file__).resolve().parent.parent
# The demo's .env, written by `make run` (xsreform/env.py); the real
# environment wins over it. Production sets its variables and has no .env.
load_env_file(Path(os.environ.get("XSREFORM_ENV_FILE") or BASE_DIR / ".env"))
VAR_DIR = Path(env_str("XSREFORM_VAR_DIR", str(BASE_DIR / "var")))

DEBUG = env_bool("DJANGO_DEBUG", False)
SECRET_KEY = env_str("DJANGO_SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("DJANGO_SECRET_KEY is required when DJANGO_DEBUG=0")
    SECRET_KEY = "django-insecure-xsreform-demo-key-only-for-debug-mode"

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])
SITE_URL = env_str("SITE_URL", "http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "xsreform.admin.PortalAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "import_export",
    "simple_history",
    "axes",
    "csp",
    "django_celery_beat",
    "departments",
    "indicators",
    "tasks",
    "reminders",
    "dashboards",
    "demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "xsreform.middleware.ChineseFirstLocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Inside authentication, outside WhiteNoise: static files keep their caching.
    "xsreform.middleware.PrivatePagesMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # Inside messages: a refused admin filter says so on the page it lands on.
    "xsreform.middleware.AdminBadQueryMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    # Last, so that it sees the outcome of authentication.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "xsreform.urls"
WSGI_APPLICATION = "xsreform.wsgi.application"

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
                "tasks.context_processors.portal",
            ],
        },
    },
]

# SQLite on disk unless DATABASE_URL names a real server.
DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", f"sqlite:///{VAR_DIR / 'db.sqlite3'}"),
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Web, worker and beat share the file: wait for locks instead of failing.
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {"timeout": 20, "transaction_mode": "IMMEDIATE"}
elif DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql" and not env_bool(
    "DATABASE_JIT", False
):
    # PostgreSQL's JIT compiles any plan estimated above jit_above_cost, which
    # the dashboards' grouped counts with correlated subqueries are, though
    # they run in a few milliseconds: compiling took 20-330 ms per query at
    # province scale (docs/benchmarks.md). Off for this app's short queries.
    DATABASES["default"].setdefault("OPTIONS", {})["options"] = "-c jit=off"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
FIXTURE_DIRS = [BASE_DIR / "fixtures"]

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "departments.passwords.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# A session ends after a working day without a request; requests move the
# end on (xsreform/sessions.py).
SESSION_ENGINE = "xsreform.sessions"
SESSION_COOKIE_AGE = env_int("SESSION_IDLE_HOURS", 9) * 3600
if SESSION_COOKIE_AGE <= 0:
    raise ImproperlyConfigured("SESSION_IDLE_HOURS must be 1 or more")
LOGIN_URL = "login"
# "home" sends each role on to its own start page (tasks.views.home).
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Login throttling (xsreform/logins.py): a username is locked from one
# address after repeated failures, and from every address it has never
# logged in from after as many failures in all.
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = env_int("AXES_COOLOFF_MINUTES", 15) / 60  # hours
AXES_LOCKOUT_PARAMETERS = "xsreform.logins.lockout_parameters"
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "xsreform.logins.lockout_response"
AXES_CLIENT_IP_CALLABLE = "xsreform.logins.client_ip"

# The reverse proxies between the clients and gunicorn (nginx alone: 1). With
# 0, X-Forwarded-For is ignored: a client must not choose its own address.
# Each proxy must append the address it saw to X-Forwarded-For (nginx:
# $proxy_add_x_forwarded_for).
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0)
if TRUSTED_PROXY_COUNT < 0:
    raise ImproperlyConfigured(f"TRUSTED_PROXY_COUNT must be 0 or more, not {TRUSTED_PROXY_COUNT}")
if env_str("AXES_PROXY_COUNT") is not None:
    # It never took effect (django-ipware was not installed): say so rather
    # than guess whether the number given meant what TRUSTED_PROXY_COUNT means.
    raise ImproperlyConfigured(
        "AXES_PROXY_COUNT is replaced by TRUSTED_PROXY_COUNT, the number of reverse proxies "
        "in front of the app (see README.md, Production): set that one and remove AXES_PROXY_COUNT"
    )

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(VAR_DIR / "static")))
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        # Hashed names need `collectstatic` first: on in production, off in
        # the demo and the tests, which serve straight from static/.
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if env_bool("DJANGO_STATIC_MANIFEST", not DEBUG)
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
# Uploaded evidence and import files. Never served by URL: views check access.
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(VAR_DIR / "media")))
MEDIA_URL = "/media-not-served/"

# E-mail: SMTP when EMAIL_HOST is set, otherwise one file per message.
EMAIL_HOST = env_str("EMAIL_HOST", "")
if EMAIL_HOST:
    # Django's SMTP backend, with a long wait for the reply to the message body
    # and the outcome of each recipient (docs/reminders.md, "Delivery").
    EMAIL_BACKEND = "reminders.mail.SMTPBackend"
    EMAIL_PORT = env_int("EMAIL_PORT", 25)
    EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
    EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", "")
    EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
    EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", False)
    EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 30)  # connecting and each command before the body
else:
    EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    EMAIL_FILE_PATH = VAR_DIR / "mail"
# The wait for the server's reply once the message body is sent: RFC 5321
# §4.5.3.2.6 gives the server 10 minutes, and a reply that comes after the
# client gave up is a message delivered but counted failed.
EMAIL_DATA_TIMEOUT = env_int("EMAIL_DATA_TIMEOUT", 600)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "xsreform <noreply@example.com>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# Celery: Redis when REDIS_URL is set, otherwise a broker in files on disk so
# the demo needs nothing installed.
REDIS_URL = env_str("REDIS_URL", "")
if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
else:
    _broker_dir = VAR_DIR / "broker"
    CELERY_BROKER_URL = "filesystem://localhost//"  # the host means nothing; without it kombu warns
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir / "queue"),
        "data_folder_out": str(_broker_dir / "queue"),
        "processed_folder": str(_broker_dir / "processed"),
        "store_processed": False,
        # The workers' remote control (pidbox); by default a "control" folder in the working directory.
        "control_folder": str(_broker_dir / "control"),
    }
CELERY_TIMEZONE = TIME_ZONE
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# The worker's processes, for `make run` and the systemd unit alike (neither
# passes --pool or --concurrency). Its jobs wait on the mail server, DingTalk
# and SMS far more than they compute (a digest: ~19 ms of CPU, 20–50 ms
# waiting for the server's reply), so eight processes each hold an SMTP
# connection (docs/benchmarks.md, "Delivery of a province sweep"). SQLite
# (the demo) takes one writer at a time: one process.
CELERY_WORKER_POOL = "prefork"
CELERY_WORKER_CONCURRENCY = env_int(
    "CELERY_WORKER_CONCURRENCY", 1 if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3" else 8
)
CELERY_TASK_IGNORE_RESULT = True
# django-celery-beat's DatabaseScheduler, catching up missed runs at a sensible hour.
CELERY_BEAT_SCHEDULER = "reminders.beat:CatchUpScheduler"
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", False)
# The queue workers take and tasks go to; the integration tests use their own.
CELERY_TASK_DEFAULT_QUEUE = env_str("CELERY_QUEUE", "celery")

# Reminders (docs/reminders.md). A digest the mail server refuses is tried
# again by beat's retry run after 1, 2, 4… times REMINDER_MAIL_RETRY_SECONDS,
# REMINDER_MAIL_RETRIES times; then its notices wait for the next sweep. The
# wait is kept in the database, not in a countdown message held by a worker.
REMINDER_MAIL_RETRIES = env_int("REMINDER_MAIL_RETRIES", 4)
REMINDER_MAIL_RETRY_SECONDS = env_int("REMINDER_MAIL_RETRY_SECONDS", 60)
# A claimed digest whose worker died is taken over after this long (or, if
# the body had gone out, recorded as unconfirmed), and a queued delivery that
# has not sent its notices by then is queued again; longer than one SMTP
# attempt can last, the wait for the final reply included.
REMINDER_CLAIM_TIMEOUT_SECONDS = env_int("REMINDER_CLAIM_TIMEOUT_SECONDS", 900)
if EMAIL_HOST and REMINDER_CLAIM_TIMEOUT_SECONDS <= EMAIL_DATA_TIMEOUT + EMAIL_TIMEOUT:
    raise ImproperlyConfigured(
        f"REMINDER_CLAIM_TIMEOUT_SECONDS ({REMINDER_CLAIM_TIMEOUT_SECONDS}) must be longer than"
        f" EMAIL_DATA_TIMEOUT + EMAIL_TIMEOUT ({EMAIL_DATA_TIMEOUT + EMAIL_TIMEOUT})"
    )
REMINDER_SWEEP_LOCK_SECONDS = env_int("REMINDER_SWEEP_LOCK_SECONDS", 900)
# A digest lists at most this many items, the most pressing first; the rest
# are counted, with a link to the full list in the portal.
REMINDER_DIGEST_MAX_ITEMS = env_int("REMINDER_DIGEST_MAX_ITEMS", 50)
# The sweep queues one delivery job per this many units, each sending its
# digests over one SMTP connection; small enough that the worker's processes
# share a sweep evenly and a batch stopped by a failure leaves few for later.
REMINDER_DELIVERY_BATCH = env_int("REMINDER_DELIVERY_BATCH", 25)

# Channels beside e-mail (docs/reminders.md#dingtalk-and-sms): DingTalk group
# robots and SMS. Their secrets (webhooks, signing secrets) are stored
# encrypted with CHANNEL_SECRET_KEY (a Fernet key: 32 url-safe base64 bytes).
CHANNEL_SECRET_KEY = env_str("CHANNEL_SECRET_KEY", "") or ""
if not CHANNEL_SECRET_KEY and not DEBUG:
    raise ImproperlyConfigured(
        "CHANNEL_SECRET_KEY is required when DJANGO_DEBUG=0"
        " (python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())')"
    )
if CHANNEL_SECRET_KEY:
    from cryptography.fernet import Fernet

    try:
        Fernet(CHANNEL_SECRET_KEY)
    except (ValueError, TypeError):
        raise ImproperlyConfigured(
            "CHANNEL_SECRET_KEY must be a Fernet key (32 url-safe base64-encoded bytes)"
        ) from None
# The hosts a robot webhook may point at: DingTalk's, and those of 专有钉钉 / 浙政钉 deployments.
DINGTALK_HOSTS = env_list("DINGTALK_HOSTS", ["oapi.dingtalk.com"])
DINGTALK_TIMEOUT = env_int("DINGTALK_TIMEOUT", 10)
# The robot allows about 20 messages a minute: a "send too fast" answer waits this long.
DINGTALK_RATE_LIMIT_WAIT_SECONDS = env_int("DINGTALK_RATE_LIMIT_WAIT_SECONDS", 60)
# A channel only takes notices issued this recently (a robot configured today
# does not post last month's notices).
REMINDER_CHANNEL_MAX_AGE_HOURS = env_int("REMINDER_CHANNEL_MAX_AGE_HOURS", 72)
# What SMS carries (reasons of notices; report_missing only on the report day).
REMINDER_SMS_REASONS = env_list("REMINDER_SMS_REASONS", ["escalation", "report_missing"])
_unknown = set(REMINDER_SMS_REASONS) - {"due_soon", "overdue", "report_missing", "escalation", "manual"}
if _unknown:
    raise ImproperlyConfigured(f"REMINDER_SMS_REASONS: unknown reason(s) {', '.join(sorted(_unknown))}")
# SMS (Alibaba Cloud's dysmsapi by default; another gateway: SMS_GATEWAY, a dotted path).
SMS_GATEWAY = env_str("SMS_GATEWAY", "reminders.sms.AliyunSmsGateway")
SMS_ACCESS_KEY_ID = env_str("SMS_ACCESS_KEY_ID", "") or ""
SMS_ACCESS_KEY_SECRET = env_str("SMS_ACCESS_KEY_SECRET", "") or ""
SMS_ENDPOINT = env_str("SMS_ENDPOINT", "dysmsapi.aliyuncs.com")
SMS_PROTOCOL = env_str("SMS_PROTOCOL", "https").lower()
SMS_SIGN_NAME = env_str("SMS_SIGN_NAME", "") or ""
SMS_TEMPLATE_CODE = env_str("SMS_TEMPLATE_CODE", "") or ""
SMS_TIMEOUT = env_int("SMS_TIMEOUT", 10)
if SMS_PROTOCOL not in ("https", "http"):
    raise ImproperlyConfigured(f"SMS_PROTOCOL must be https or http, not {SMS_PROTOCOL!r}")
if SMS_ACCESS_KEY_ID:
    _missing = [
        name
        for name, value in (
            ("SMS_ACCESS_KEY_SECRET", SMS_ACCESS_KEY_SECRET),
            ("SMS_SIGN_NAME", SMS_SIGN_NAME),
            ("SMS_TEMPLATE_CODE", SMS_TEMPLATE_CODE),
        )
        if not value
    ]
    if _missing:
        raise ImproperlyConfigured(f"SMS_ACCESS_KEY_ID is set: {', '.join(_missing)} required too")

# django-import-export: only users holding the explicit permission may import
# or export (its default lets every staff user in), and validation errors roll
# the whole import back.
IMPORT_EXPORT_IMPORT_PERMISSION_CODE = "import"
IMPORT_EXPORT_EXPORT_PERMISSION_CODE = "export"
IMPORT_EXPORT_USE_TRANSACTIONS = True
IMPORT_EXPORT_SKIP_ADMIN_LOG = False
# The confirm step may land on another web process: keep the upload in MEDIA_ROOT.
IMPORT_EXPORT_TMP_STORAGE_CLASS = "import_export.tmp_storages.MediaStorage"

# Evidence files on progress reports: each file at most this big, at most
# this many on one report (the reverse proxy's body limit must allow it).
EVIDENCE_MAX_UPLOAD_BYTES = env_int("EVIDENCE_MAX_UPLOAD_BYTES", 20 * 1024 * 1024)
EVIDENCE_MAX_FILES = env_int("EVIDENCE_MAX_FILES", 10)

# The annex import (docs/annex-import.md, "Limits"): the upload; what the
# package unpacks to, all parts together and each part that is read whole
# (the sheets are streamed); the rows below the header, blank ones included.
ANNEX_MAX_UPLOAD_BYTES = env_int("ANNEX_MAX_UPLOAD_BYTES", 10 * 1024 * 1024)
ANNEX_MAX_UNPACKED_BYTES = env_int("ANNEX_MAX_UNPACKED_BYTES", 32 * 1024 * 1024)
ANNEX_MAX_PART_BYTES = env_int("ANNEX_MAX_PART_BYTES", 8 * 1024 * 1024)
ANNEX_MAX_ROWS = env_int("ANNEX_MAX_ROWS", 20_000)
DATA_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440

# Production hardening; `manage.py check --deploy` is clean with DEBUG off.
SECURE_PROXY_SSL_HEADER = (
    ("HTTP_X_FORWARDED_PROTO", "https") if env_bool("DJANGO_BEHIND_TLS_PROXY", not DEBUG) else None
)
SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", not DEBUG)
SESSION_COOKIE_SECURE = env_bool("DJANGO_SECURE_COOKIES", not DEBUG)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_HSTS_SECONDS = env_int("DJANGO_HSTS_SECONDS", 0 if DEBUG else 31_536_000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = not DEBUG
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True

# Content-Security-Policy (django-csp) on every response: scripts and styles
# from our own static files only (Bootstrap and ECharts are vendored), no
# inline <script> or event handler anywhere, the admin's included. Style
# attributes are allowed: ECharts' tooltips and the admin write them, and
# they cannot run script. data: images are Bootstrap's SVG icons.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "style-src-attr": [UNSAFE_INLINE],
        "img-src": [SELF, "data:"],
        "object-src": [NONE],
        "base-uri": [NONE],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}

# One console handler, on the root logger. Django's own "django" logger
# comes with a console handler of its own (when DEBUG) and propagates to the
# root too, which printed each request warning twice: here it keeps only the
# error mails. Refused requests (4xx) log one line without a traceback.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "filters": {
        "require_debug_false": {"()": "django.utils.log.RequireDebugFalse"},
        "client_error_without_traceback": {"()": "xsreform.logs.ClientErrorWithoutTraceback"},
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "plain"},
        "mail_admins": {
            "class": "django.utils.log.AdminEmailHandler",
            "level": "ERROR",
            "filters": ["require_debug_false"],
        },
    },
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {
        "axes": {"level": "WARNING"},
        "django": {"handlers": ["mail_admins"], "level": "INFO", "propagate": True},
        "django.request": {"filters": ["client_error_without_traceback"]},
    },
}
