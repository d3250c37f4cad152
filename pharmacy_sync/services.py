"""Every pharmacy sync write: webhook registration, signed deliveries, the pull feed,
stock reports."""

from __future__ import annotations

import json
import secrets
import time

from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from clinics.models import Facility
from outbox.http import post_json
from pharmacy_sync import signing
from pharmacy_sync.models import FeedEntry, StockReport, WebhookSubscription
from pharmacy_sync.selectors import event_document
from prescriptions.models import Drug


@transaction.atomic
def register_webhook(*, pharmacy: Facility, url: str) -> WebhookSubscription:
    """Register (or move) the pharmacy's webhook; a fresh secret every time."""
    subscription, _created = WebhookSubscription.objects.update_or_create(
        pharmacy=pharmacy,
        defaults={"url": url, "secret": secrets.token_hex(32), "created_at": timezone.now()})
    return subscription


@transaction.atomic
def unregister_webhook(*, pharmacy: Facility) -> None:
    WebhookSubscription.objects.filter(pharmacy=pharmacy).delete()


def post_event(*, event, pharmacy_code: str) -> None:
    """POST one event to one pharmacy's webhook, signed; raises when it is not accepted
    (a non-2xx answer or none in time), which the outbox retries with backoff."""
    subscription = (WebhookSubscription.objects.filter(pharmacy__code=pharmacy_code)
                    .only("url", "secret").first())
    if subscription is None:
        return  # unregistered since: the pharmacy pulls instead
    body = json.dumps(event_document(event), cls=DjangoJSONEncoder).encode()
    timestamp = int(time.time())
    post_json(subscription.url, body, headers={
        signing.TIMESTAMP_HEADER: str(timestamp),
        signing.SIGNATURE_HEADER: signing.signature(subscription.secret, timestamp, body),
        "X-DMED-Event": str(event.uuid),
    })


def record_feed_entry(*, event, district_id: int) -> None:
    FeedEntry.objects.get_or_create(event=event, district_id=district_id)


@transaction.atomic
def report_stock(*, pharmacy: Facility, items: list[tuple[int, int]]) -> int:
    """Replace what the pharmacy last reported of these drugs; returns how many rows."""
    drug_ids = {drug for drug, _quantity in items}
    known = set(Drug.objects.filter(pk__in=drug_ids, is_active=True)
                .values_list("pk", flat=True))
    unknown = sorted(drug_ids - known)
    if unknown:
        raise ValidationError({"drug": [_("No active drug in the registry has the id "
                                          "%(ids)s.") % {"ids": ", ".join(map(str, unknown))}]})
    now = timezone.now()
    rows = [StockReport(pharmacy=pharmacy, drug_id=drug, quantity=quantity, reported_at=now)
            for drug, quantity in items]
    StockReport.objects.bulk_create(rows, update_conflicts=True,
                                    unique_fields=["pharmacy", "drug"],
                                    update_fields=["quantity", "reported_at"])
    return len(rows)
