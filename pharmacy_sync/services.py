"""Every pharmacy sync write: webhook registration, signed deliveries, the pull feed,
stock reports and the nightly reconciliation. Drugs and dispensings are read through
prescriptions' selectors."""

from __future__ import annotations

import ipaddress
import json
import secrets
import time
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.core.validators import URLValidator
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from outbox.http import post_json
from pharmacy_sync import signing
from pharmacy_sync.models import (
    Discrepancy,
    DiscrepancyKind,
    FeedEntry,
    Reconciliation,
    StockChange,
    StockReport,
    WebhookSubscription,
)
from pharmacy_sync.selectors import event_document
from prescriptions.selectors import (
    active_drug_ids,
    dispensed_totals,
    prescription_only_drug_ids,
)
from registry.models import FacilityKind

if TYPE_CHECKING:
    from registry.models import Facility

MAX_STOCK = 1_000_000
# Stock changes are kept this long: reconciliation reads yesterday's, people read the
# discrepancies, which keep their own numbers.
STOCK_CHANGE_DAYS = 90


# --- webhooks -------------------------------------------------------------------------------


def clean_webhook_url(url: str) -> str:
    """A URL the portal may POST prescription events to: https (plain http on a
    developer's machine only), and outside debug never this machine or a private network
    (the worker must not be turned against the portal's own services)."""
    url = (url or "").strip()
    schemes = ["https", "http"] if settings.DEBUG else ["https"]
    try:
        URLValidator(schemes=schemes)(url)
    except ValidationError:
        raise ValidationError({"url": [
            _("Give a full https:// address.") if not settings.DEBUG
            else _("Give a full http:// or https:// address.")]}) from None
    if len(url) > WebhookSubscription._meta.get_field("url").max_length:
        raise ValidationError({"url": [_("At most 500 characters.")]})
    if not settings.DEBUG and _private_host(urlsplit(url).hostname or ""):
        raise ValidationError({"url": [_("The address must be reachable on the internet, "
                                         "not a local or private one.")]})
    return url


def _private_host(host: str) -> bool:
    if host == "localhost" or host.endswith((".localhost", ".local", ".internal")):
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    return not address.is_global


@transaction.atomic
def register_webhook(*, pharmacy: Facility, url: str) -> WebhookSubscription:
    """Register (or replace) the pharmacy's webhook; a fresh secret every time. The caller
    shows the secret once: it is kept only to sign deliveries."""
    if pharmacy.kind != FacilityKind.PHARMACY:
        raise ValidationError({"pharmacy": [_("Webhooks are for pharmacies.")]})
    subscription, _created = WebhookSubscription.objects.update_or_create(
        pharmacy=pharmacy,
        defaults={"url": clean_webhook_url(url), "secret": secrets.token_hex(32),
                  "created_at": timezone.now()})
    return subscription


@transaction.atomic
def unregister_webhook(*, pharmacy: Facility) -> bool:
    """Remove the pharmacy's webhook; whether there was one."""
    deleted, _by_model = WebhookSubscription.objects.filter(pharmacy=pharmacy).delete()
    return bool(deleted)


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
    # One statement; an entry already there (the delivery ran before) stays as it was.
    FeedEntry.objects.bulk_create([FeedEntry(event=event, district_id=district_id)],
                                  ignore_conflicts=True)


# --- stock -------------------------------------------------------------------------------


def _clean_stock(items: list[tuple[int, int]]) -> dict[int, int]:
    quantities: dict[int, int] = {}
    for drug, quantity in items:
        if not isinstance(quantity, int) or not 0 <= quantity <= MAX_STOCK:
            raise ValidationError({"quantity": [
                _("A whole number from 0 to %(max)d.") % {"max": MAX_STOCK}]})
        quantities[drug] = quantity  # a drug given twice: the last figure stands
    unknown = sorted(set(quantities) - active_drug_ids(quantities))
    if unknown:
        raise ValidationError({"drug": [_("No active drug in the registry has the id "
                                          "%(ids)s.") % {"ids": ", ".join(map(str, unknown))}]})
    return quantities


@transaction.atomic
def report_stock(*, pharmacy: Facility, items: list[tuple[int, int]]) -> list[StockReport]:
    """Replace what the pharmacy last reported of these drugs, and add how each figure
    moved to the day's stock changes (what the nightly reconciliation reads)."""
    quantities = _clean_stock(items)
    # Locked, so two reports of one drug at once queue up and each move counts once.
    before = dict(StockReport.objects.select_for_update()
                  .filter(pharmacy=pharmacy, drug_id__in=quantities)
                  .values_list("drug_id", "quantity"))
    now = timezone.now()
    rows = StockReport.objects.bulk_create(
        [StockReport(pharmacy=pharmacy, drug_id=drug, quantity=quantity, reported_at=now)
         for drug, quantity in quantities.items()],
        update_conflicts=True, unique_fields=["pharmacy", "drug"],
        update_fields=["quantity", "reported_at"])
    day = timezone.localdate(now)
    for drug, previous in before.items():
        moved = quantities[drug] - previous
        decreased, increased = max(-moved, 0), max(moved, 0)
        if not StockChange.objects.filter(pharmacy=pharmacy, drug_id=drug, day=day).update(
                decreased=F("decreased") + decreased, increased=F("increased") + increased):
            StockChange.objects.create(pharmacy=pharmacy, drug_id=drug, day=day,
                                       decreased=decreased, increased=increased)
    return rows


# --- reconciliation -------------------------------------------------------------------------


def _day_bounds(day: date) -> tuple[datetime, datetime]:
    start = timezone.make_aware(datetime.combine(day, datetime.min.time()))
    return start, timezone.make_aware(datetime.combine(day + timedelta(days=1),
                                                       datetime.min.time()))


@transaction.atomic
def reconcile(*, day: date) -> list[Discrepancy]:
    """Compare, for one day (Tashkent time), what left each pharmacy's shelves by its own
    stock reports with what the portal recorded it dispensed, per drug; record where they
    disagree, replacing what an earlier run found for that day, and that the day was
    reconciled (Reconciliation).

    "Reported" is the sum of the day's stock decreases between consecutive reports
    (StockChange): pharmacies report stock, not sales. A pair is compared when the
    pharmacy reports that drug: it has stock changes that day, or a report from before the
    day and none since (nothing reported left its shelves). A pharmacy that never
    reported the drug, or first did that day, has no "before" and is not compared.
    - Portal dispensings above the reported decrease: the stock reports lag, or a
      dispensing did not happen there (DISPENSED_WITHOUT_DECREASE), any drug.
    - A decrease above the portal's dispensings, for prescription-only drugs only (other
      drugs are sold over the counter): it left without an e-prescription, or was written
      off or returned (UNDOCUMENTED_DECREASE).
    Deliveries the same day as sales hide sales between two reports, and a dispensing
    just before midnight reported after it counts on the next day: a discrepancy is a
    question for the pharmacy, not a verdict.
    """
    start, end = _day_bounds(day)
    dispensed = dispensed_totals(start, end)
    decreases = {(pharmacy, drug): decreased for pharmacy, drug, decreased in
                 StockChange.objects.filter(day=day)
                 .values_list("pharmacy_id", "drug_id", "decreased")}
    unchanged = set(dispensed) - set(decreases)
    if unchanged:
        reporting = set(StockReport.objects.filter(
            pharmacy_id__in={pharmacy for pharmacy, _drug in unchanged},
            drug_id__in={drug for _pharmacy, drug in unchanged}, reported_at__lt=start)
            .values_list("pharmacy_id", "drug_id"))
        decreases.update(dict.fromkeys(unchanged & reporting, 0))
    prescription_only = prescription_only_drug_ids({drug for _pharmacy, drug in decreases})
    found = []
    for (pharmacy, drug), decreased in decreases.items():
        given = dispensed.get((pharmacy, drug), 0)
        if given > decreased:
            kind = DiscrepancyKind.DISPENSED_WITHOUT_DECREASE
        elif decreased > given and drug in prescription_only:
            kind = DiscrepancyKind.UNDOCUMENTED_DECREASE
        else:
            continue
        found.append(Discrepancy(day=day, pharmacy_id=pharmacy, drug_id=drug, kind=kind,
                                 dispensed=given, reported_decrease=decreased))
    Discrepancy.objects.filter(day=day).delete()
    Discrepancy.objects.bulk_create(found, batch_size=1000)
    Reconciliation.objects.update_or_create(day=day, defaults={
        "compared": len(decreases), "found": len(found), "ran_at": timezone.now()})
    StockChange.objects.filter(day__lt=day - timedelta(days=STOCK_CHANGE_DAYS)).delete()
    return found
