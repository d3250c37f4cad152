from celery import shared_task

from patronage import services


@shared_task(acks_late=True)
def refresh_lists() -> int:
    """Nightly: the disabled and bedridden lists' visits for the year ahead (idempotent)."""
    return services.refresh_lists()
