"""Demo mother-and-child care: pregnant women on the demo doctor's district (one with a
contact overdue), infants part-way through the calendar, and an adverse event after one
infant's vaccination for the district's epidemiologist. Safe to run again: whatever
exists is left as it is."""

from datetime import timedelta

from django.utils import timezone

from mch.catalogue import load_all
from mch.models import AdverseEvent, AefiSymptom, CalendarDose, Pregnancy, RiskFactor, Vaccination
from mch.schedules import refresh_stale
from mch.services import record_vaccination, register_pregnancy, report_adverse_event
from patients.models import PatientCard, Sex
from patients.services import register_card

# (weeks pregnant today, gravidity, parity, risk factor codes)
PREGNANCIES = [(9, 1, 0, []), (23, 2, 1, ["anaemia"]), (33, 3, 2, ["hypertension"])]
# (first name, sex, age in days, doses given as (vaccine, number, age in days))
INFANTS = [
    ("Oysha", Sex.FEMALE, 3, [("hepb", 1, 0), ("bcg", 1, 2)]),
    ("Muhammad", Sex.MALE, 66, [("hepb", 1, 0), ("bcg", 1, 3)]),
    ("Asal", Sex.FEMALE, 130, [("hepb", 1, 0), ("bcg", 1, 2), ("opv", 1, 62),
                               ("penta", 1, 62), ("pcv", 1, 62), ("rota", 1, 62)]),
]
DEMO_SURNAME = "Yo‘ldosheva"
ORAL = ("opv", "rota")


def seed(world: dict) -> None:
    # The catalogues from migrations, again: a transactional test may have emptied them.
    load_all()
    doctor, registrar = world["users"]["doctor"], world["users"]["registrar"]
    today = timezone.localdate()
    women = [card for card in world["cards"] if card.sex == Sex.FEMALE and card.birth_date
             and 20 <= (today - card.birth_date).days // 365 <= 40]
    # The first women of the district are left for the browser journeys to register.
    for card, (weeks, gravidity, parity, codes) in zip(women[-len(PREGNANCIES):], PREGNANCIES,
                                                        strict=False):
        if Pregnancy.objects.filter(card=card).exists():
            continue
        register_pregnancy(actor=doctor, med_id=card.med_id, dating_method="lmp",
                           lmp=today - timedelta(weeks=weeks), gravidity=gravidity,
                           parity=parity, risk_factors=RiskFactor.objects.filter(code__in=codes))
    nurse = world["users"]["nurse"]
    for first_name, sex, days, doses in INFANTS:
        card = PatientCard.objects.filter(last_name=DEMO_SURNAME, first_name=first_name).first()
        if card is None:
            card = register_card(actor=registrar, last_name=DEMO_SURNAME, first_name=first_name,
                                 birth_date=today - timedelta(days=days), sex=sex,
                                 region=world["district"].region, district=world["district"],
                                 street="Bunyodkor ko‘chasi, 7", family_doctor=doctor,
                                 confirm_not_duplicate=True)
        for vaccine, number, age in doses:
            if Vaccination.objects.filter(card=card, dose__vaccine__code=vaccine,
                                          dose__number=number).exists():
                continue
            given_on = card.birth_date + timedelta(days=age)
            record_vaccination(actor=nurse, med_id=card.med_id,
                               dose=CalendarDose.objects.get(vaccine__code=vaccine,
                                                             number=number),
                               lot_number=f"DEMO-{vaccine.upper()}-{number}",
                               expiry_date=given_on + timedelta(days=365),
                               site="mouth" if vaccine in ORAL else "left_thigh",
                               route="oral" if vaccine in ORAL else "im", given_on=given_on)
    # Children registered without any dose yet get their next dose as the nightly
    # refresh would give it.
    refresh_stale()
    seed_adverse_event(nurse)


def seed_adverse_event(nurse) -> None:
    """Asal had a fever and a swollen thigh the day after her 2-month doses."""
    given = Vaccination.objects.filter(card__last_name=DEMO_SURNAME, card__first_name="Asal",
                                       dose__vaccine__code="penta", dose__number=1).first()
    if given is None or AdverseEvent.objects.filter(vaccination=given).exists():
        return
    report_adverse_event(
        actor=nurse, med_id=given.card.med_id, vaccination=given.pk,
        onset_on=given.given_on + timedelta(days=1),
        symptoms=AefiSymptom.objects.filter(code__in=["fever", "severe-local-reaction"]),
        serious=False, outcome="recovered", reporter="Onasi (telefon orqali)",
        description="Isitma 38,4 °C, son sohasida 4 sm shish; ikki kunda o‘tdi.")
