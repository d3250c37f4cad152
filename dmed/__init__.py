# Load the Celery app with Django, so @shared_task binds to it in every process.
from dmed.celery import app as celery_app

__all__ = ("celery_app",)
