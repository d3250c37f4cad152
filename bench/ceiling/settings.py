"""The ceiling's Django: the floor's (no middleware, one view, no apps) on the portal's
database, to replay the statements the portal sends (see urls.py)."""

import os
from urllib.parse import unquote, urlsplit

_url = urlsplit(os.environ["DATABASE_URL"])

SECRET_KEY = "ceiling-only-not-a-secret"  # noqa: S105
DEBUG = False
ALLOWED_HOSTS = ["*"]
ROOT_URLCONF = "ceiling.urls"
INSTALLED_APPS = ["django.contrib.contenttypes"]
MIDDLEWARE = []
DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": _url.path.lstrip("/"),
        "HOST": _url.hostname or "127.0.0.1",
        "PORT": _url.port or 5432,
        "USER": unquote(_url.username or "postgres"),
        "PASSWORD": unquote(_url.password or ""),
        "CONN_MAX_AGE": 600,
        # CEILING_WITHOUT_FLUSH: commits do not wait for the WAL to reach the disk, as
        # if the disk's flush cost nothing (a server disk with a power-safe write cache).
        # A measurement of where the time goes, never a setting for the portal.
        "OPTIONS": ({"options": "-c synchronous_commit=off"}
                    if os.environ.get("CEILING_WITHOUT_FLUSH") else {}),
    }
}
USE_TZ = True
