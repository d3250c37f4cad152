"""Reads of pharmacy sync: who hears about an event, a pharmacy's feed and webhook, who
has a drug. Cards and drugs are read through their own apps' selectors."""

from __future__ import annotations

import base64
import binascii
from collections import defaultdict
from dataclasses import dataclass
from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db.models import F, Q, Window
from django.db.models.functions import RowNumber
from django.utils import timezone
from django.utils.translation import gettext as _

from pharmacy_sync.models import FeedEntry, StockReport, WebhookSubscription
from registry.models import FacilityKind

# A feed entry is shown once this old, so a slower transaction's entry with a lower id has
# committed by then and a pharmacy's cursor never steps over it.
FEED_SETTLE = timedelta(seconds=5)
FEED_PAGE, FEED_MAX_PAGE = 100, 500
# What pharmacies learn of a prescription event: never the patient's MED-ID.
PUBLIC_FIELDS = ("code", "drug", "valid_until", "status", "quantity", "issues", "controlled",
                 "reason")
_CURSOR_PREFIX = "feed:"


def webhook_targets(payload: dict) -> list[str]:
    """Pharmacies in the patient's district with a webhook, by facility code; not the one
    that dispensed (a dispensing is news to the others: "dispensed elsewhere")."""
    district = feed_district(payload)
    if district is None:
        return []
    return list(WebhookSubscription.objects.filter(pharmacy__district_id=district)
                .exclude(pharmacy__code=payload.get("pharmacy_code", ""))
                .values_list("pharmacy__code", flat=True))


def feed_district(payload: dict) -> int | None:
    """The district whose pharmacies' feed an event about a card goes to: the card's
    district, which the producer puts into the event (this app never reads the cards). An
    event written before prescriptions carried it, or about a card with no district, goes
    to no district's pharmacies: they see the prescription when it is presented to them,
    through the pharmacy API, which reads it afresh."""
    district = payload.get("district")
    return None if district is None else int(district)


def event_document(event) -> dict:
    """An event as pharmacy systems receive it, in a webhook or from the feed."""
    return {"id": str(event.uuid), "kind": event.kind, "created_at": event.created_at,
            "data": {key: event.payload[key] for key in PUBLIC_FIELDS if key in event.payload}}


def webhook_of(pharmacy) -> WebhookSubscription | None:
    return WebhookSubscription.objects.filter(pharmacy=pharmacy).first()


# --- the pull feed ------------------------------------------------------------------------


def encode_cursor(entry_id: int) -> str:
    """An opaque cursor: clients keep and send it back, never build or read it."""
    return base64.urlsafe_b64encode(f"{_CURSOR_PREFIX}{entry_id}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> int:
    """The entry id a cursor stands for; ValidationError on `after` for anything else."""
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        if text.startswith(_CURSOR_PREFIX) and text[len(_CURSOR_PREFIX):].isdigit():
            return int(text[len(_CURSOR_PREFIX):])
    except (binascii.Error, UnicodeDecodeError, ValueError):
        pass
    raise ValidationError({"after": [_("This is not a cursor of this feed: send back the "
                                       "`next` of a previous page, or nothing to start.")]})


@dataclass(frozen=True)
class FeedPage:
    entries: list[FeedEntry]
    next: str | None  # the cursor to ask after next time (the one given when nothing new)
    more: bool


def feed_after(pharmacy, cursor: int, *, limit: int = FEED_PAGE) -> list[FeedEntry]:
    """The pharmacy's district's prescription events after the cursor, oldest first; its
    own dispensings left out, as from its webhook."""
    return list(FeedEntry.objects.filter(district_id=pharmacy.district_id, pk__gt=cursor,
                                         created_at__lte=timezone.now() - FEED_SETTLE)
                .filter(Q(event__payload__pharmacy_code__isnull=True)  # not a dispensing
                        | ~Q(event__payload__pharmacy_code=pharmacy.code))
                .select_related("event").order_by("pk")[:limit])


def feed_page(pharmacy, *, after: str | None, limit: int = FEED_PAGE) -> FeedPage:
    """One page of the pull feed (`GET /api/v1/pharmacy/events/?after=`); one query."""
    if not 1 <= limit <= FEED_MAX_PAGE:
        raise ValidationError({"limit": [_("From 1 to %(max)d.") % {"max": FEED_MAX_PAGE}]})
    entries = feed_after(pharmacy, decode_cursor(after) if after else 0, limit=limit + 1)
    page = entries[:limit]
    return FeedPage(entries=page, more=len(entries) > limit,
                    next=encode_cursor(page[-1].pk) if page else after)


# --- stock --------------------------------------------------------------------------------


def _in_stock(district_ids, drug_ids):
    return StockReport.objects.filter(drug_id__in=drug_ids, quantity__gt=0,
                                      pharmacy__district_id__in=district_ids,
                                      pharmacy__kind=FacilityKind.PHARMACY,
                                      pharmacy__is_active=True)


def pharmacies_with_stock(*, district_id: int | None, drug_id: int) -> list[StockReport]:
    """Pharmacies of a district that last reported some of the drug, most stocked first."""
    if district_id is None:
        return []
    return list(_in_stock([district_id], [drug_id]).select_related("pharmacy")
                .order_by("-quantity", "pharmacy__name")[:50])


def stock_nearby(wanted, *, per_drug: int = 3) -> dict[tuple[int, int], list[StockReport]]:
    """For each (district id, drug id) wanted, the `per_drug` pharmacies of the district
    that report the most of the drug; one query for any number of pairs."""
    wanted = {(district, drug) for district, drug in wanted if district is not None}
    if not wanted:
        return {}
    reports = (_in_stock({district for district, _drug in wanted},
                         {drug for _district, drug in wanted})
               .select_related("pharmacy")
               .annotate(rank=Window(RowNumber(),
                                     partition_by=[F("pharmacy__district_id"), F("drug_id")],
                                     order_by=[F("quantity").desc(), F("pharmacy__name")]))
               .filter(rank__lte=per_drug).order_by("drug_id", "rank"))
    found: dict[tuple[int, int], list[StockReport]] = defaultdict(list)
    for report in reports:
        key = (report.pharmacy.district_id, report.drug_id)
        if key in wanted:
            found[key].append(report)
    return dict(found)
