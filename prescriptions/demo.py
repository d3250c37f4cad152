"""Demo prescriptions for the demo patient, one in every state, and an API key for each
demo pharmacy (from DEMO_PHARMACY_KEY) so integrators can try the pharmacy API."""

from datetime import datetime, time, timedelta
from unittest import mock

from django.conf import settings
from django.utils import timezone

from clinics.coding.models import Icd10Code
from clinics.coding.services import load_icd10
from patients.models import ChronicCondition
from prescriptions.models import Drug, PharmacyApiKey, Prescription
from prescriptions.registry import import_starter_registry
from prescriptions.services import (
    cancel_prescription,
    dispense,
    expire_prescriptions,
    hash_api_key,
    issue_prescription,
    pharmacist_actor,
    refuse_item,
)
from registry.models import FacilityKind


def demo_key_prefix(pharmacy) -> str:
    return "demo" + pharmacy.code.replace("-", "").lower()[-8:]


def demo_pharmacy_keys(facilities) -> list[tuple[str, str]]:
    """(pharmacy name, the key to send) for each demo pharmacy; empty without a secret."""
    if not settings.DEMO_PHARMACY_KEY:
        return []
    return [(f.name, f"{demo_key_prefix(f)}.{settings.DEMO_PHARMACY_KEY}")
            for f in facilities if f.kind == FacilityKind.PHARMACY]


def _seed_keys(world) -> None:
    for name, plain in demo_pharmacy_keys(world["facilities"].values()):
        pharmacy = next(f for f in world["facilities"].values() if f.name == name)
        PharmacyApiKey.objects.update_or_create(
            prefix=plain.partition(".")[0],
            defaults={"pharmacy": pharmacy, "name": "Demo till software",
                      "hashed_key": hash_api_key(plain), "revoked_at": None})


def _item(inn, strength, quantity, dosage, frequency, days, instructions=""):
    return {"drug": Drug.objects.get(inn=inn, strength=strength).pk, "quantity": quantity,
            "dosage": dosage, "frequency": frequency, "route": "og'iz orqali",
            "duration_days": days, "instructions": instructions}


def seed(world: dict) -> None:
    # The migrations loaded both; refreshed here so a flushed test database has them too.
    import_starter_registry()
    if not Icd10Code.objects.exists():
        load_icd10()
    _seed_keys(world)
    users, card = world["users"], world["cards"][0]
    if Prescription.objects.filter(patient=card).exists():
        return
    doctor = users["doctor"]
    at_pharmacy = pharmacist_actor(users["pharmacist"])
    check = card.pinfl[-4:]
    ChronicCondition.objects.get_or_create(card=card, icd10_code="I10",
                                           defaults={"text": "Arterial gipertenziya"})

    def issue(diagnosis, *items, **options):
        return issue_prescription(actor=doctor, patient=card.med_id, diagnosis=diagnosis,
                                  items=list(items), acknowledge_allergies=True, **options)

    # Written 40 days ago and never collected: it is expired now. The clock is set back
    # for the signing, so its dates and signature are those of that day.
    past = timezone.make_aware(datetime.combine(timezone.localdate() - timedelta(days=40),
                                                time(10, 30)))
    with mock.patch("django.utils.timezone.now", return_value=past):
        issue("J06.9", _item("Cetirizine", "10 mg", 10, "1 tabletka", "kuniga 1 marta", 10))
    expire_prescriptions()

    issue("J06.9", _item("Paracetamol", "500 mg", 20, "1 tabletka", "kuniga 3 marta", 5,
                         "Harorat 38° dan oshganda"))
    partly = issue("J02.9", _item("Amoxicillin", "500 mg", 20, "1 kapsula", "kuniga 3 marta",
                                  7, "Ovqatdan keyin"),
                   _item("Ibuprofen", "400 mg", 10, "1 tabletka", "og'riqda", 5))
    dispense(by=at_pharmacy, code=partly.code, patient_check=check,
             items=[{"item": 1, "quantity": 10}])
    refuse_item(by=at_pharmacy, code=partly.code, patient_check=check, line=2,
                reason="omborda yo'q")
    done = issue("K29.7", _item("Omeprazole", "20 mg", 14, "1 kapsula", "nonushtadan oldin", 14))
    dispense(by=at_pharmacy, code=done.code, patient_check=check,
             items=[{"item": 1, "quantity": 14}])
    cancelled = issue("M54.5", _item("Diclofenac", "50 mg", 20, "1 tabletka",
                                     "kuniga 2 marta", 10))
    cancel_prescription(actor=doctor, code=cancelled.code,
                        reason="Dori almashtirildi: Meloxicam")
    issue("I10", _item("Amlodipine", "5 mg", 30, "1 tabletka", "kuniga 1 marta", 30,
                       "Har kuni bir vaqtda"), repeats=3, interval_days=30)
    issue("C50.9", _item("Tramadol", "50 mg", 20, "1 kapsula", "og'riqda, kuniga 4 martagacha",
                         5))
