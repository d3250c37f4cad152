"""The Celery application. Its configuration is the CELERY_* block of dmed.settings."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dmed.settings")

app = Celery("dmed")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
