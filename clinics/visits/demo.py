"""Demo visit history: a year of polyclinic visits for the first demo patients."""

from datetime import timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from clinics.coding.models import ClinicalProtocol
from clinics.visits.models import DiagnosisKind, Visit, VisitDiagnosis, VisitStatus
from clinics.visits.services import PLACEHOLDER, content_digest

# primary, secondary, complaints, (systolic, diastolic, pulse, temperature, SpO2), months ago
HISTORY = [
    ("I10", "E66.9", "Bosh og‘rig‘i, ensa sohasida og‘irlik", (158, 96, 82, "36.6", 97), 11),
    ("I10", "", "Nazorat: bosh og‘rig‘i kamaydi", (138, 86, 76, "36.5", 98), 8),
    ("E11.9", "I10", "Chanqash, tez-tez siydik ajralishi", (142, 88, 80, "36.7", 97), 6),
    ("J06.9", "", "Tomoq og‘rig‘i, burun bitishi, harorat 37,8", (118, 74, 92, "37.8", 97), 3),
    ("D50.9", "", "Holsizlik, bosh aylanishi, tez charchash", (104, 66, 96, "36.4", 98), 1),
]
PATIENTS_WITH_HISTORY = 8


def _visit(card, facility, doctor, entry, index) -> None:
    primary, secondary, complaints, vitals, months = entry
    systolic, diastolic, pulse, temperature, spo2 = vitals
    opened = timezone.now() - timedelta(days=30 * months + index, hours=index % 5)
    protocol = ClinicalProtocol.objects.filter(diagnoses__code=primary.split(".")[0]).first()
    # A signed visit holds no template placeholder: the demo doctor found everything normal.
    sections = {name: PLACEHOLDER.sub("me’yorida", text)
                for name, text in (protocol.section_texts() if protocol else {}).items()}
    visit = Visit.objects.create(
        card=card, facility=facility, clinician=doctor, opened_at=opened,
        complaints=complaints, history="Kasallik 1–2 hafta oldin boshlangan.",
        examination=sections.get("examination", "Umumiy ahvoli qoniqarli."),
        plan=sections.get("plan", ""), recommendations=sections.get("recommendations", ""),
        bp_systolic=systolic, bp_diastolic=diastolic, pulse=pulse,
        temperature=Decimal(temperature), spo2=spo2,
        weight=Decimal(68 + (index * 7) % 30), height=Decimal(160 + (index * 3) % 25))
    VisitDiagnosis.objects.create(visit=visit, code_id=primary, kind=DiagnosisKind.PRIMARY)
    if secondary:
        VisitDiagnosis.objects.create(visit=visit, code_id=secondary,
                                      kind=DiagnosisKind.SECONDARY)
    visit.refresh_from_db()  # signed as stored: 68 kg reads back as 68.0
    visit.status = VisitStatus.CLOSED
    visit.closed_at = opened + timedelta(minutes=12)
    visit.content_digest = content_digest(visit)
    visit.save(update_fields=["status", "closed_at", "content_digest"])


def seed_history(world: dict) -> None:
    """Closed, signed visits by the demo family doctor; skipped for cards that have some."""
    doctor = world["users"]["doctor"]
    polyclinic = world["facilities"]["TSH-CHL-P12"]
    for position, card in enumerate(world["cards"][:PATIENTS_WITH_HISTORY]):
        if Visit.objects.filter(card=card).exists():
            continue
        with transaction.atomic():
            for index, entry in enumerate(HISTORY[position % 2:], start=position):
                _visit(card, polyclinic, doctor, entry, index)
