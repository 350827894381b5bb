"""Madoguchi settings: every value comes from the environment, with a development default."""

import os
from datetime import timedelta
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent

# Every process that loads these settings (web, job cluster, management commands) creates its files -- the SQLite
# database and its journal, letter PDFs, exports -- readable and writable by the service user only.
os.umask(0o077)

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DEBUG", default=False)

SECRET_KEY = env.str("SECRET_KEY", default="")
# Old keys still accepted for signed and encrypted data (e.g. a booking in progress) while a new key takes over.
SECRET_KEY_FALLBACKS = env.list("SECRET_KEY_FALLBACKS", default=[])
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=[])
if not DEBUG:
    # Fail at start-up rather than serve with a guessable key or a wide-open Host header.
    if not SECRET_KEY:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")
    if not ALLOWED_HOSTS:
        raise ImproperlyConfigured("ALLOWED_HOSTS must be set when DEBUG is off.")
else:
    SECRET_KEY = SECRET_KEY or "development-only-not-secret"
    ALLOWED_HOSTS = ALLOWED_HOSTS or ["127.0.0.1", "localhost"]
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "staff.admin_apps.StaffAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_q",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "staff",
    "certificates",
    "reservations",
    "notices",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "staff.middleware.ContentSecurityPolicy",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "reservations.page_cache.CalendarPageMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "reservations.flow.BookingFlowMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "staff.middleware.StaffIdleTimeout",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

# Django's form templates, with <input> widgets written out in Python (staff/renderers.py: same markup, faster).
FORM_RENDERER = "staff.renderers.FastInputRenderer"

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "OPTIONS": {
            # Django's cached loader over the project's and the apps' templates (config/template_loader.py).
            "loaders": [
                (
                    "config.template_loader.Loader",
                    ["django.template.loaders.filesystem.Loader", "django.template.loaders.app_directories.Loader"],
                )
            ],
            # `{% load translations %}`: Django's i18n library with a faster `{% translate "constant" %}`
            # (config/i18n_tags.py), under a name of its own so Django's `i18n` stays what it is.
            "libraries": {"translations": "config.i18n_tags"},
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "staff.context_processors.staff_role",
            ],
        },
    },
]

DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets readers go on while one writer writes; IMMEDIATE takes the write lock at BEGIN,
    # so two bookings queue on the busy timeout instead of failing with "database is locked".
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": env.int("SQLITE_BUSY_TIMEOUT", default=20),
    }
else:
    DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=60))
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
        # Django's backend, without the health check for a connection that has just served a request.
        DATABASES["default"]["ENGINE"] = "config.postgresql"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

CACHES = {"default": env.cache("CACHE_URL", default="dbcache://madoguchi_cache")}
if CACHES["default"]["BACKEND"] == "django.core.cache.backends.redis.RedisCache":
    CACHES["default"]["BACKEND"] = "config.cache.RedisCache"

# The model backend, reading each signed-in user with their roles and second factor in one query.
AUTHENTICATION_BACKENDS = ["staff.roles.StaffBackend"]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "certificates:resident_search"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "ja"
LANGUAGES = [("ja", _("日本語")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Tokyo"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = env.path("STATIC_ROOT", default=BASE_DIR / "staticfiles")
MEDIA_ROOT = env.path("MEDIA_ROOT", default=BASE_DIR / "media")
MEDIA_URL = "media/"
FILE_UPLOAD_PERMISSIONS = 0o600
FILE_UPLOAD_DIRECTORY_PERMISSIONS = 0o700
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "config.static_storage.StaticFilesStorage"
    },
}

EMAIL_CONFIG = env.email_url("EMAIL_URL", default="consolemail://")
vars().update(EMAIL_CONFIG)
# The console backend prints every e-mail, manage links included, into the server log: in production only when
# an operator says so explicitly (e.g. a trial without a mail server).
EMAIL_ALLOW_CONSOLE = env.bool("EMAIL_ALLOW_CONSOLE", default=DEBUG)
if not DEBUG and not EMAIL_ALLOW_CONSOLE and EMAIL_CONFIG["EMAIL_BACKEND"].endswith("console.EmailBackend"):
    raise ImproperlyConfigured(
        "EMAIL_URL must name a mail server when DEBUG is off (or set EMAIL_ALLOW_CONSOLE=true to print e-mails)."
    )
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="madoguchi@localhost")

# Staff sessions end after this many idle seconds (staff.middleware.StaffIdleTimeout keeps an active
# session alive); a resident's booking in progress expires the same way.
SESSION_COOKIE_AGE = env.int("SESSION_COOKIE_AGE", default=30 * 60)
# However active, a staff session ends this many seconds after the login.
STAFF_SESSION_MAX_AGE = env.int("STAFF_SESSION_MAX_AGE", default=10 * 60 * 60)
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
SESSION_COOKIE_SECURE = env.bool("SECURE_COOKIES", default=not DEBUG)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
# A form sent with a stale token (opened long ago, or before a login) gets a page in Japanese saying to reload.
CSRF_FAILURE_VIEW = "staff.errors.csrf_failure"
LANGUAGE_COOKIE_SECURE = SESSION_COOKIE_SECURE
LANGUAGE_COOKIE_HTTPONLY = True
LANGUAGE_COOKIE_SAMESITE = "Lax"
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG)
# Load balancers probe /healthz over plain HTTP; it answers "ok" and nothing else.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=not DEBUG)
# Behind a reverse proxy: trust its X-Forwarded-Proto, and take the client's address from X-Forwarded-For, where
# each of the TRUSTED_PROXY_COUNT proxies in front of gunicorn appends the address it saw (staff.net).
BEHIND_PROXY = env.bool("BEHIND_PROXY", default=False)
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=1)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if BEHIND_PROXY else None
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

Q_CLUSTER = {
    "name": env.str("Q_CLUSTER_NAME", default="madoguchi"),
    "workers": env.int("Q_WORKERS", default=2),
    "timeout": env.int("Q_TIMEOUT", default=600),
    "retry": env.int("Q_RETRY", default=900),
    "catch_up": False,
    "label": "Jobs",
}
_q_redis = env.str("Q_REDIS_URL", default="")
if _q_redis:
    Q_CLUSTER["redis"] = _q_redis
else:
    Q_CLUSTER["orm"] = "default"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}

OTP_TOTP_ISSUER = env.str("OTP_TOTP_ISSUER", default="Madoguchi")

# --- Madoguchi ---
# Expiry counting: False = 民法 (the issue day is not counted), True = the issue day counts as day 1.
CERTIFICATE_COUNT_ISSUE_DAY = env.bool("CERTIFICATE_COUNT_ISSUE_DAY", default=False)
CERTIFICATE_EXPIRING_SOON_DAYS = env.int("CERTIFICATE_EXPIRING_SOON_DAYS", default=60)
# Public base URL used in letters, e-mails and .ics files: without it they would point at this machine.
SITE_URL = env.str("SITE_URL", default="")
if not SITE_URL:
    if not DEBUG:
        raise ImproperlyConfigured("SITE_URL must be set when DEBUG is off (e.g. https://madoguchi.example.lg.jp).")
    SITE_URL = "http://127.0.0.1:8000"
# Active bookings per phone number, procedure and pass user (0 = no limit): more are refused for staff bookings
# and listed for the supervisor for web bookings, so that no public page tells whether a number has a booking.
# Per pass user, because household members often share one phone.
BOOKINGS_PER_PHONE = env.int("BOOKINGS_PER_PHONE", default=1)
# Web bookings one client may make in a period (cancelled ones count); more are refused with a request to phone.
BOOKING_BURST_RATE = env.str("BOOKING_BURST_RATE", default="4/1h")
# Upcoming web bookings from one client from which the supervisor's review page lists them.
BOOKING_BURST_REVIEW = env.int("BOOKING_BURST_REVIEW", default=3)
BOOKING_LOOKUP_RATE = env.str("BOOKING_LOOKUP_RATE", default="10/15m")
PUBLIC_POST_RATE = env.str("PUBLIC_POST_RATE", default="60/10m")
# Staff login: failed attempts per account, and (far more) per client address, within LOGIN_FAILURE_MINUTES;
# past either limit the login waits until the window ends or a supervisor lifts it.
LOGIN_FAILURE_LIMIT = env.int("LOGIN_FAILURE_LIMIT", default=5)
LOGIN_ADDRESS_FAILURE_LIMIT = env.int("LOGIN_ADDRESS_FAILURE_LIMIT", default=50)
LOGIN_FAILURE_MINUTES = env.int("LOGIN_FAILURE_MINUTES", default=15)
# Hours a one-time link for registering an authenticator app stays valid.
OTP_ENROLMENT_LINK_HOURS = env.int("OTP_ENROLMENT_LINK_HOURS", default=72)
# Letters: which month they are about, counted from the month the batch is prepared in.
NOTICE_MONTHS_AHEAD = env.int("NOTICE_MONTHS_AHEAD", default=2)
NOTICE_INVITATION_GRACE_DAYS = env.int("NOTICE_INVITATION_GRACE_DAYS", default=30)
NOTICE_RENDER_PROCESSES = env.int("NOTICE_RENDER_PROCESSES", default=2)
NOTICE_SCHEDULE_CRON = env.str("NOTICE_SCHEDULE_CRON", default="0 6 1 * *")
# Seconds the wording preview may take to render before it is stopped.
NOTICE_PREVIEW_SECONDS = env.int("NOTICE_PREVIEW_SECONDS", default=30)
# One batch (one print PDF) per office instead of one for the whole city.
NOTICE_BATCH_PER_OFFICE = env.bool("NOTICE_BATCH_PER_OFFICE", default=False)
RESERVATION_RETENTION_MONTHS = env.int("RESERVATION_RETENTION_MONTHS", default=13)
# Resident survey: anonymous answers per client address (count/period), and the e-mail after the visit.
SURVEY_RATE = env.str("SURVEY_RATE", default="20/1h")
SURVEY_EMAIL_ENABLED = env.bool("SURVEY_EMAIL_ENABLED", default=True)
SURVEY_EMAIL_WITHIN = timedelta(days=env.int("SURVEY_EMAIL_WITHIN_DAYS", default=3))
# Months after a batch's month after which its PDF is deleted and its letters are anonymised.
NOTICE_RETENTION_MONTHS = env.int("NOTICE_RETENTION_MONTHS", default=13)
DEMO_PASSWORD = env.str("DEMO_PASSWORD", default="madoguchi-demo")
