"""Prescription events for pharmacy systems: signed webhooks, and the pull feed."""

from outbox import kinds
from outbox.registry import consumer
from pharmacy_sync import services
from pharmacy_sync.selectors import feed_district, webhook_targets

PHARMACY_KINDS = [kinds.PRESCRIPTION_ISSUED, kinds.PRESCRIPTION_CANCELLED,
                  kinds.PRESCRIPTION_DISPENSED, kinds.PRESCRIPTION_EXPIRED]


@consumer("pharmacy_webhooks", kinds=PHARMACY_KINDS,
          targets=lambda event: webhook_targets(event.payload))
def post_webhook(event, target: str) -> None:
    services.post_event(event=event, pharmacy_code=target)


def _feed_district(event) -> list[str]:
    district = feed_district(event.payload)
    return [] if district is None else [str(district)]


@consumer("pharmacy_feed", kinds=PHARMACY_KINDS, targets=_feed_district)
def add_to_feed(event, target: str) -> None:
    services.record_feed_entry(event=event, district_id=int(target))
