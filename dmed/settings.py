"""Settings for the DMED portal, read from the environment.

Production runs with DJANGO_DEBUG unset: then DJANGO_SECRET_KEY and DJANGO_ALLOWED_HOSTS
must be given and every security setting is on. Development (`make run`) sets
DJANGO_DEBUG=1 and gets a generated secret from var/dev.env.
"""

import hashlib
from datetime import timedelta
from pathlib import Path

import environ
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
env = environ.Env()

DEBUG = env.bool("DJANGO_DEBUG", default=False)
# No default outside debug: a production process without a secret must not start.
SECRET_KEY = env.str("DJANGO_SECRET_KEY") if not DEBUG else env.str(
    "DJANGO_SECRET_KEY", default="debug-only-insecure-key-never-used-in-production"
)
ALLOWED_HOSTS = env.list(
    "DJANGO_ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"] if DEBUG else []
)
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "axes",
    "dmed.apps.DmedConfig",
    "outbox.apps.OutboxConfig",
    "notifications.apps.NotificationsConfig",
    "clinics.apps.ClinicsConfig",
    "patients.apps.PatientsConfig",
    "prescriptions.apps.PrescriptionsConfig",
    "queues.apps.QueuesConfig",
    "pharmacy_sync.apps.PharmacySyncConfig",
    # Last and above every app: the role home pages, composed from the apps' tiles.
    "home.apps.HomeConfig",
]

MIDDLEWARE = [
    # First: a body over the size limit is answered 413 before anything reads it.
    "dmed.middleware.RequestSizeLimitMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "dmed.middleware.SessionLifetimeMiddleware",
    # NUL in a path, query or form: 400 naming the field, in the user's language and layout.
    "dmed.middleware.NulCharacterMiddleware",
    "dmed.middleware.RequestContextMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, so it sees the lockout flag set by the authentication backend.
    "axes.middleware.AxesMiddleware",
]

# The largest request body (dmed.middleware.RequestSizeLimitMiddleware answers 413 above
# it): the largest form or JSON of the portal is a few kilobytes. The one upload, the drug
# registry's CSV in the admin, streams to disk and may be larger.
DATA_UPLOAD_MAX_MEMORY_SIZE = 1024 * 1024
ADMIN_UPLOAD_MAX_SIZE = 32 * 1024 * 1024

ROOT_URLCONF = "dmed.urls"
WSGI_APPLICATION = "dmed.wsgi.application"

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
                # The facility choice in the header, for staff of several facilities.
                "clinics.acting.acting_facilities",
            ],
        },
    },
]

DATABASES = {
    "default": env.db("DATABASE_URL", default="postgres://postgres@127.0.0.1:5432/dmed"),
}
# The role the web and worker processes connect as; `migrate`, run as the tables' owner,
# grants it its rights (dmed/database_roles.py). Empty: no grants (one role for everything,
# which the README's production section says not to do).
DATABASE_APP_ROLE = env.str("DATABASE_APP_ROLE", default="")
# Only for the test that connects as that role (local servers usually trust it).
DATABASE_APP_PASSWORD = env.str("DATABASE_APP_PASSWORD", default="")
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
# One test database per checkout, so a CI clone and a developer's tree never share one.
_checkout = hashlib.sha1(str(BASE_DIR).encode(), usedforsecurity=False).hexdigest()[:8]
DATABASES["default"]["TEST"] = {
    "NAME": env.str("DATABASE_TEST_NAME", default=f"test_dmed_{_checkout}")
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "dmed.User"
# The core's hook for where a user acts (dmed/acting.py): audit rows and /api/v1/auth/me/.
ACTING_FACILITY_RESOLVER = "clinics.selectors.acting_facility_code"
# Who counts as in a member of staff's care beyond the cards attached to their facility
# (patients.access.cards_in_care): functions (user, staff record) -> card_id values.
PATIENT_CARE_RELATIONS = [
    "queues.selectors.cards_with_ticket_here_today",
    "queues.selectors.cards_with_appointment_here",
    "clinics.referrals.receivers.cards_referred_here",
    "clinics.visits.selectors.cards_with_open_visit",
    "clinics.stays.selectors.cards_in_stay",
]
AUTHENTICATION_BACKENDS = [
    # Counts failed logins and refuses further attempts (form and API token alike).
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Failed sign-ins within AXES_COOLOFF_TIME lock out (dmed.signin_limits): a username from
# one address after AXES_FAILURE_LIMIT; a username from any addresses (guessing one
# account from many) after AXES_USERNAME_FAILURE_LIMIT; an address over any usernames
# (one password tried on many accounts) after AXES_ADDRESS_FAILURE_LIMIT, which is high
# because a polyclinic's fifty doctors may share one NAT address.
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_USERNAME_FAILURE_LIMIT = env.int("AXES_USERNAME_FAILURE_LIMIT", default=10)
AXES_ADDRESS_FAILURE_LIMIT = env.int("AXES_ADDRESS_FAILURE_LIMIT", default=100)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"], "username", "ip_address"]
AXES_HANDLER = "dmed.signin_limits.SignInLimitsHandler"
# The client's address as the audit trail sees it (behind DJANGO_TRUSTED_PROXY_COUNT
# proxies, from X-Forwarded-For): else behind a proxy every sign-in would share the
# proxy's address, and its limit would lock everybody out at once.
AXES_CLIENT_IP_CALLABLE = "dmed.middleware.client_ip"
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "dmed.views.locked_out"
AXES_VERBOSE = False

# Sessions: stored in PostgreSQL, so the web tier stays stateless and works with Redis down.
# A staff session ends after SESSION_IDLE_SECONDS without a request and, whatever the
# activity, SESSION_ABSOLUTE_SECONDS after login (dmed.middleware.SessionLifetimeMiddleware).
SESSION_IDLE_SECONDS = env.int("SESSION_IDLE_SECONDS", default=30 * 60)
SESSION_ABSOLUTE_SECONDS = env.int("SESSION_ABSOLUTE_SECONDS", default=8 * 60 * 60)
SESSION_COOKIE_AGE = SESSION_IDLE_SECONDS
# API tokens (dmed.api.tokens) end the same way: unused for the idle limit, or the absolute
# limit after sign-in; also on logout and when the password changes.
API_TOKEN_IDLE_SECONDS = env.int("API_TOKEN_IDLE_SECONDS", default=SESSION_IDLE_SECONDS)
API_TOKEN_ABSOLUTE_SECONDS = env.int("API_TOKEN_ABSOLUTE_SECONDS",
                                     default=SESSION_ABSOLUTE_SECONDS)
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"

LANGUAGE_CODE = "uz"
LANGUAGES = [
    ("uz", "Oʻzbekcha"),
    ("uz-cyrl", "Ўзбекча"),
    ("ru", "Русский"),
    ("en", "English"),
]
LOCALE_PATHS = [BASE_DIR / "locale"]
LANGUAGE_COOKIE_NAME = "dmed_language"
USE_I18N = True
USE_TZ = True
TIME_ZONE = "Asia/Tashkent"

STATIC_URL = "/static/"
STATIC_ROOT = env.path("DJANGO_STATIC_ROOT", default=BASE_DIR / "var" / "static")
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

# Security: everything on unless debugging on a developer's machine.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=not DEBUG)
SESSION_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SECURE = not DEBUG
SECURE_HSTS_SECONDS = env.int("DJANGO_HSTS_SECONDS", default=0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = not DEBUG
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Content-Security-Policy (django-csp) on every response: scripts, styles and everything
# else only from our own origin, never inline, so injected markup cannot run or restyle a
# page. Behaviour lives in static/ files (data-* attributes say what to wire). Images may be
# data: URIs (Swagger UI's icons). Browsers report violations to the report-uri, which
# logs them. With DEBUG on, django-csp leaves Django's technical 404/500 pages alone.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
        "report-uri": "/csp-report/",  # dmed.csp.report (dmed/urls.py)
    },
}
# Client addresses for the audit trail come from X-Forwarded-For only behind a known proxy.
TRUSTED_PROXY_COUNT = env.int("DJANGO_TRUSTED_PROXY_COUNT", default=0)

REDIS_URL = env.str("REDIS_URL", default="redis://127.0.0.1:6379/0")

# EMAIL_URL sets EMAIL_BACKEND, EMAIL_HOST, EMAIL_PORT, EMAIL_HOST_USER, … in one value.
globals().update(
    env.email_url("EMAIL_URL", default="consolemail://" if DEBUG else "smtp://127.0.0.1:25")
)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="DMED <noreply@dmed.uz>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
ADMINS = [("DMED operations", a) for a in env.list("DJANGO_ADMINS", default=[])]

# Celery: Redis carries messages, PostgreSQL keeps the truth.
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default=REDIS_URL)
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=60)
CELERY_TASK_SOFT_TIME_LIMIT = env.int("CELERY_TASK_SOFT_TIME_LIMIT", default=45)
CELERY_TIMEZONE = TIME_ZONE
# A task not acknowledged within this many seconds is handed to another worker; tasks stay
# far shorter, and far-future work is scheduled from database rows, never as ETA tasks.
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=3600),
    "socket_connect_timeout": 2,
    "socket_timeout": 5,
}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BEAT_SCHEDULE: dict = {
    # The outbox relay: every second, so an event waits about a second. A tick that could
    # not run (workers busy or down) expires instead of piling up behind the next ones.
    "outbox-relay": {"task": "outbox.relay", "schedule": 1.0, "options": {"expires": 5}},
    # Tickets left waiting after a service point closes are closed.
    "queue-close-stale-tickets": {"task": "queues.tasks.close_stale_tickets",
                                  "schedule": timedelta(minutes=15)},
    # Appointments not checked in within the grace period become no-shows.
    "queue-mark-missed-appointments": {"task": "queues.tasks.mark_missed_appointments",
                                       "schedule": timedelta(minutes=5)},
    # Hourly, so a prescription past its last valid day (Tashkent time) closes soon after
    # midnight even if a run is missed; each run is idempotent.
    "expire-prescriptions": {"task": "prescriptions.tasks.expire_prescriptions",
                             "schedule": 60 * 60},
    # Wrong patient checks older than their counting window are deleted.
    "forget-old-patient-checks": {"task": "prescriptions.tasks.forget_old_patient_checks",
                                  "schedule": timedelta(hours=1)},
    # Appointment reminders 24 h and 2 h ahead, from the appointment rows.
    "queue-appointment-reminders": {"task": "queues.tasks.send_appointment_reminders",
                                    "schedule": timedelta(minutes=1),
                                    "options": {"expires": 50}},
    # API tokens past their idle or absolute limit are deleted (they are refused already).
    "delete-ended-api-tokens": {"task": "dmed.tasks.delete_ended_api_tokens",
                                "schedule": timedelta(hours=1)},
    # Yesterday's dispensings against pharmacies' stock reports, after the day's last
    # reports are in; a run repeated for a day replaces its findings.
    "pharmacy-reconcile": {"task": "pharmacy_sync.reconcile",
                           "schedule": crontab(hour=2, minute=30)},
}

# The event outbox (outbox/): retries with exponential backoff and jitter, then a dead
# letter; a dispatched delivery not done after OUTBOX_REDISPATCH_SECONDS (its task lost
# with Redis or its worker) is handed out again; /readyz fails above OUTBOX_LAG_ALERT_SECONDS.
OUTBOX_MAX_ATTEMPTS = env.int("OUTBOX_MAX_ATTEMPTS", default=8)
OUTBOX_RETRY_BASE_SECONDS = env.float("OUTBOX_RETRY_BASE_SECONDS", default=10.0)
OUTBOX_RETRY_MAX_SECONDS = env.float("OUTBOX_RETRY_MAX_SECONDS", default=3600.0)
OUTBOX_REDISPATCH_SECONDS = env.int("OUTBOX_REDISPATCH_SECONDS", default=300)
OUTBOX_LAG_ALERT_SECONDS = env.int("OUTBOX_LAG_ALERT_SECONDS", default=120)
# Apps' checks /readyz asks besides the database and the broker (dmed/health.py):
# name -> a function answering None when ready, else the cause for the log.
READINESS_CHECKS = {"outbox": "outbox.health.outbox_keeps_up"}

# Notifications (notifications/). A channel without its settings is off in production; in
# debug it writes to files under NOTIFY_FILE_DIR, so nothing leaves a developer's machine.
SMS_GATEWAY_URL = env.str("SMS_GATEWAY_URL", default="")
SMS_GATEWAY_TOKEN = env.str("SMS_GATEWAY_TOKEN", default="")
SMS_SENDER = env.str("SMS_SENDER", default="DMED")
TELEGRAM_BOT_TOKEN = env.str("TELEGRAM_BOT_TOKEN", default="")
TELEGRAM_BOT_USERNAME = env.str("TELEGRAM_BOT_USERNAME", default="")
TELEGRAM_API_URL = env.str("TELEGRAM_API_URL", default="https://api.telegram.org")
# The secret given to setWebhook; Telegram echoes it in X-Telegram-Bot-Api-Secret-Token.
TELEGRAM_WEBHOOK_SECRET = env.str("TELEGRAM_WEBHOOK_SECRET", default="")
NOTIFY_HTTP_TIMEOUT = env.float("NOTIFY_HTTP_TIMEOUT", default=5.0)
# Local hours "start,end": non-urgent messages wait from 22:00 to 07:00.
NOTIFY_QUIET_HOURS = tuple(env.list("NOTIFY_QUIET_HOURS", cast=int, default=[22, 7]))
NOTIFY_RATE_LIMIT_PER_HOUR = env.int("NOTIFY_RATE_LIMIT_PER_HOUR", default=10)
NOTIFY_FILE_DIR = env.str("NOTIFY_FILE_DIR", default=str(BASE_DIR / "var" / "messages"))

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # Token first: a bad token then answers 401 with WWW-Authenticate, not 403.
        "dmed.api.authentication.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    # JSON too deep or holding NUL is a 400 here, for every endpoint (dmed.api.parsers).
    "DEFAULT_PARSER_CLASSES": [
        "dmed.api.parsers.JSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    # Every operation documents the API's common error answers (dmed.api.schema).
    "DEFAULT_SCHEMA_CLASS": "dmed.api.schema.DmedAutoSchema",
    "EXCEPTION_HANDLER": "dmed.api.errors.exception_handler",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"]
    + (["rest_framework.renderers.BrowsableAPIRenderer"] if DEBUG else []),
}
SPECTACULAR_SETTINGS = {
    "TITLE": "DMED portal API",
    "DESCRIPTION": "MED-ID cards, visits, e-prescriptions, pharmacy and queue APIs.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Several apps have a "priority" choice; each enum gets its own name in the schema.
    "ENUM_NAME_OVERRIDES": {"LabOrderPriorityEnum": "clinics.labs.models.OrderPriority",
                            "TicketPriorityEnum": "queues.api.PRIORITY_CODES"},
}

# Prescribers' private signing keys are stored encrypted under a key derived from this
# secret (prescriptions.signing). Losing it makes stored keys unusable (prescribers get
# new ones; signatures already made still verify); leaking it lets someone sign as them.
PRESCRIBER_KEY_SECRET = env.str("PRESCRIBER_KEY_SECRET") if not DEBUG else env.str(
    "PRESCRIBER_KEY_SECRET", default="debug-only-prescriber-key-secret"
)
# Earlier secrets, newest first, while keys sealed under them are sealed again on use.
PRESCRIBER_KEY_SECRET_FALLBACKS = env.list("PRESCRIBER_KEY_SECRET_FALLBACKS", default=[])
if not DEBUG and any(len(secret) < 32 for secret in
                     [PRESCRIBER_KEY_SECRET, *PRESCRIBER_KEY_SECRET_FALLBACKS]):
    raise ImproperlyConfigured(
        "PRESCRIBER_KEY_SECRET (and each of PRESCRIBER_KEY_SECRET_FALLBACKS) must be at least "
        "32 characters: it is the only thing between a database copy and every prescriber's "
        "signing key.")

# The pharmacy's patient check (last four PINFL digits or the birth date) is refused for a
# while after too many wrong ones (prescriptions.patient_checks): per prescription code from
# anywhere, and per checker (a pharmacy system's key, a pharmacist) over any codes. A key
# serves a whole pharmacy's counters, so its limit allows the honest typos of a busy day.
PATIENT_CHECK_WINDOW_SECONDS = env.int("PATIENT_CHECK_WINDOW_SECONDS", default=60 * 60)
PATIENT_CHECK_FAILURES_PER_CODE = env.int("PATIENT_CHECK_FAILURES_PER_CODE", default=5)
PATIENT_CHECK_FAILURES_PER_CHECKER = env.int("PATIENT_CHECK_FAILURES_PER_CHECKER", default=30)

# Demo data (`manage.py seed_demo`): the password every demo user gets.
DEMO_PASSWORD = env.str("DEMO_PASSWORD", default="")
# The API key secret every demo pharmacy gets (printed by demo_logins in debug only).
DEMO_PHARMACY_KEY = env.str("DEMO_PHARMACY_KEY", default="")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {"axes": {"level": "WARNING"}},
}
