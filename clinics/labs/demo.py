"""Demo laboratory history: a year of repeated tests with believable trends for the demo
patient (type 2 diabetes coming under control), anaemia being treated in others, a
corrected result, and open orders on the laboratory's worklist. Safe to run again: a
card that already has lab orders is left as it is.

Historical results go through the services (so flags and ranges are computed where they
always are) and then get the release time they had back then.
"""

from datetime import timedelta
from decimal import Decimal

from django.utils import timezone

from clinics.labs import services
from clinics.labs.catalogue import load_lab_catalogue
from clinics.labs.models import LabOrder, LabResult
from dmed.demo import demo_user
from dmed.roles import Role
from registry.models import StaffRecord

# Days ago, then {test: value}: the demo patient's diabetes follow-up.
OWN_HISTORY = [
    (360, {"GLU": "8.9", "HBA1C": "7.9", "CHOL": "6.10", "HGB": "148", "CREA": "88"}),
    (270, {"GLU": "7.6", "HBA1C": "7.4", "CHOL": "5.80"}),
    (180, {"GLU": "6.9", "HBA1C": "6.8", "CHOL": "5.40", "HGB": "151", "ALT": "38"}),
    (90, {"GLU": "6.4", "HBA1C": "6.3", "CHOL": "5.10", "CREA": "92"}),
    (14, {"GLU": "6.0", "HBA1C": "6.1", "CHOL": "4.90", "HGB": "150"}),
]
ANAEMIA_HISTORY = [
    (200, {"HGB": "96", "FERR": "6"}),
    (140, {"HGB": "108", "FERR": "11"}),
    (70, {"HGB": "117", "FERR": "18"}),
    (10, {"HGB": "124", "FERR": "27"}),
]
THYROID_HISTORY = [(120, {"TSH": "6.80"}), (30, {"TSH": "4.60"})]
WORKLIST = [("GLU", "HBA1C"), ("HGB", "WBC", "PLT"), ("CREA", "UREA", "K", "NA"),
            ("TSH",), ("ALT", "AST"), ("CRP",), ("FERR", "HGB")]


def _historical(world, card, days_ago: int, values: dict) -> list[LabResult]:
    doctor, laboratory = world["users"]["doctor"], world["facilities"]["TSH-CHL-L01"]
    order = services.place_lab_order(actor=doctor, med_id=card.med_id, laboratory=laboratory,
                                     tests=list(values))
    sampled_at = (timezone.now() - timedelta(days=days_ago)).replace(hour=8, minute=30)
    LabOrder.objects.filter(pk=order.pk).update(ordered_at=sampled_at - timedelta(minutes=20),
                                                completed_at=sampled_at + timedelta(hours=6))
    results = []
    for code, value in values.items():
        result = services.enter_result(actor=world["users"]["lab"], order_id=order.public_id,
                                       test_code=code, value=Decimal(value),
                                       sampled_at=sampled_at)
        # Released back then, by the technician on duty: set while it is still a draft.
        LabResult.objects.filter(pk=result.pk).update(
            verified_by=world["users"]["lab"], released_at=sampled_at + timedelta(hours=5))
        result.refresh_from_db()
        results.append(result)
    return results


def _second_technician(world):
    user = demo_user("lab2", Role.LAB_TECHNICIAN, "Nazarova", "Feruza", "Baxtiyorovna",
                     world["password"])
    StaffRecord.objects.get_or_create(user=user, facility=world["facilities"]["TSH-CHL-L01"],
                                      role=Role.LAB_TECHNICIAN,
                                      defaults={"active_from": timezone.localdate()
                                                - timedelta(days=400),
                                                "specialty": "Laborant"})
    world["users"]["lab2"] = user
    return user


def seed_history(world: dict) -> None:
    load_lab_catalogue()
    second = _second_technician(world)
    cards = world["cards"]
    own, others = cards[0], cards[1:]
    if LabOrder.objects.filter(card=own).exists():
        return
    for days_ago, values in OWN_HISTORY:
        results = _historical(world, own, days_ago, values)
    # A cholesterol keyed in wrongly last time, corrected by a second technician.
    cholesterol = next(r for r in results if r.test.code == "CHOL")
    correction = services.correct_result(actor=second, result_id=cholesterol.public_id,
                                         value=Decimal("4.70"),
                                         reason="Qayta o‘lchandi: kalibrlash xatosi")
    services.release_result(actor=world["users"]["lab"], result_id=correction.public_id)
    women = [c for c in others if c.sex == "female"]
    for card in women[:3]:
        for days_ago, values in ANAEMIA_HISTORY:
            _historical(world, card, days_ago, values)
    for card in others[3:5]:
        for days_ago, values in THYROID_HISTORY:
            _historical(world, card, days_ago, values)
    # Today's open orders: the worklist the lab technician starts the day with.
    laboratory = world["facilities"]["TSH-CHL-L01"]
    for card, tests in zip([own, *others[5:]], WORKLIST, strict=False):
        services.place_lab_order(actor=world["users"]["doctor"], med_id=card.med_id,
                                 laboratory=laboratory, tests=list(tests),
                                 priority="urgent" if "K" in tests else "routine")
