"""Reads of pharmacy sync: who hears about an event, a pharmacy's feed, who has a drug."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from clinics.models import Facility, FacilityKind
from patients.models import PatientCard
from pharmacy_sync.models import FeedEntry, StockReport, WebhookSubscription

# A feed entry is shown once this old, so a slower transaction's entry with a lower id has
# committed by then and a pharmacy's cursor never steps over it.
FEED_SETTLE = timedelta(seconds=5)
# What pharmacies learn of a prescription event: never the patient's MED-ID.
PUBLIC_FIELDS = ("code", "drug", "valid_until", "status", "quantity", "issues", "controlled",
                 "reason")


def district_of_card(med_id: str | None) -> int | None:
    if not med_id:
        return None
    return (PatientCard.objects.filter(med_id=med_id).values_list("district_id", flat=True)
            .first())


def webhook_targets(payload: dict) -> list[str]:
    """Pharmacies in the patient's district with a webhook, by facility code."""
    district = district_of_card(payload.get("med_id"))
    if district is None:
        return []
    return list(WebhookSubscription.objects.filter(pharmacy__district_id=district)
                .values_list("pharmacy__code", flat=True))


def event_document(event) -> dict:
    """An event as pharmacy systems receive it, in a webhook or from the feed."""
    return {"id": str(event.uuid), "kind": event.kind, "created_at": event.created_at,
            "data": {key: event.payload[key] for key in PUBLIC_FIELDS if key in event.payload}}


def feed_after(pharmacy: Facility, cursor: int, *, limit: int = 100) -> list[FeedEntry]:
    """The pharmacy's district's prescription events after the cursor, oldest first."""
    return list(FeedEntry.objects.filter(district_id=pharmacy.district_id, pk__gt=cursor,
                                         created_at__lte=timezone.now() - FEED_SETTLE)
                .select_related("event").order_by("pk")[:limit])


def pharmacies_with_stock(*, district_id: int | None, drug_id: int) -> list[StockReport]:
    """Pharmacies of a district that last reported some of the drug, most stocked first."""
    if district_id is None:
        return []
    return list(StockReport.objects.filter(drug_id=drug_id, quantity__gt=0,
                                           pharmacy__district_id=district_id,
                                           pharmacy__kind=FacilityKind.PHARMACY)
                .select_related("pharmacy").order_by("-quantity", "pharmacy__name")[:50])
