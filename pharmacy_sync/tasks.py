"""Celery tasks: thin wrappers around pharmacy_sync.services."""

from datetime import timedelta

from celery import shared_task
from django.utils import timezone

from pharmacy_sync import services


@shared_task(name="pharmacy_sync.reconcile", ignore_result=True)
def reconcile_yesterday() -> int:
    """Beat runs it nightly; again for the same day, it replaces that day's findings."""
    return len(services.reconcile(day=timezone.localdate() - timedelta(days=1)))
