"""Celery tasks: thin wrappers around outbox.services."""

from celery import shared_task

from outbox import services


@shared_task(name="outbox.relay", ignore_result=True)
def relay():
    services.relay()


@shared_task(name=services.DELIVER_BATCH_TASK, ignore_result=True, acks_late=True,
             reject_on_worker_lost=True)
def deliver_batch(delivery_ids: list[int]) -> dict[int, str]:
    return services.handle_deliveries(delivery_ids)


# One delivery per message, as the relay sent them before batches: messages still queued
# across an upgrade are handled, and an operator can hand out a single delivery.
@shared_task(name="outbox.deliver", ignore_result=True, acks_late=True,
             reject_on_worker_lost=True)
def deliver(delivery_id: int) -> str:
    return services.handle_delivery(delivery_id)
