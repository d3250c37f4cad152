"""Demo patronage: the demo nurse walks the streets of a few cards of her polyclinic, two
people on its bedridden and disabled lists are due a visit today, and the infants of the
mother-and-child demo are followed too. Safe to run again: the plan never doubles."""

from datetime import timedelta

from django.utils import timezone

from patients.models import CardStatus, PatientCard
from patronage.models import CareListing, PlannedVisit, Reason, StreetAssignment
from patronage.services import nurse_for_street
from registry.selectors import acting_staff_record

LISTED = [Reason.BEDRIDDEN, Reason.DISABLED, Reason.BEDRIDDEN]


def _street(address: str) -> str:
    return address.split(",")[0].strip()


def seed(world: dict) -> None:
    nurse = world["users"]["nurse"]
    facility = acting_staff_record(nurse).facility
    cards = list(PatientCard.objects.filter(attached_facility=facility,
                                            status=CardStatus.ACTIVE)
                 .exclude(street="").order_by("pk")[:len(LISTED)])
    for card in cards:
        StreetAssignment.objects.get_or_create(facility=facility, street=_street(card.street),
                                               defaults={"nurse": nurse})
    today = timezone.localdate()
    for card, kind in zip(cards, LISTED, strict=False):
        if not CareListing.objects.filter(card=card, kind=kind).exists():
            # Listed today: the rule's first visit is due today (patronage.signals plans it).
            CareListing.objects.create(card=card, kind=kind, listed_on=today, added_by=nurse)
    # An infant of the mother-and-child demo, due a visit today and a week late for another.
    infant = PatientCard.objects.filter(attached_facility=facility, birth_date__isnull=False,
                                        birth_date__gt=today - timedelta(days=365),
                                        status=CardStatus.ACTIVE).exclude(street="").first()
    if infant is not None:
        StreetAssignment.objects.get_or_create(facility=facility,
                                               street=_street(infant.street),
                                               defaults={"nurse": nurse})
        for days_ago in (0, 9):
            due = today - timedelta(days=days_ago)
            PlannedVisit.objects.get_or_create(
                card=infant, reason=Reason.NEWBORN, due_on=due,
                defaults={"overdue_after": due + timedelta(days=2),
                          "facility": facility,
                          "nurse_id": nurse_for_street(facility.pk, infant.street)})
