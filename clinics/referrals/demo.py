"""Demo referrals: to the cardiology department, to the laboratory, one declined. Safe to
run again: nothing is added once the demo patient has a referral."""

from clinics.coding.services import load_icd10
from clinics.models import Icd10Code
from clinics.referrals import services
from clinics.referrals.models import Referral, ReferralTarget, Urgency
from registry.models import Department


def seed_history(world: dict) -> None:
    cards, users, facilities = world["cards"], world["users"], world["facilities"]
    own = cards[0]
    if Referral.objects.filter(card=own).exists():
        return
    if not Icd10Code.objects.filter(code="E11.9").exists():  # an emptied test database
        load_icd10()
    doctor, laboratory = users["doctor"], facilities["TSH-CHL-L01"]
    cardiology = Department.objects.get(facility=facilities["TSH-CHL-H03"], code="CARD")
    services.refer(actor=doctor, med_id=own.med_id, target=ReferralTarget.LABORATORY,
                   to_facility=laboratory, diagnosis_code="E11.9",
                   reason="Qandli diabet 2-tur: glikirlangan gemoglobin va lipid profili "
                          "nazorati")
    services.refer(actor=doctor, med_id=cards[4].med_id, target=ReferralTarget.DEPARTMENT,
                   to_department=cardiology, diagnosis_code="I10", urgency=Urgency.URGENT,
                   reason="Arterial bosim uch dori bilan ham 170/100 dan tushmayapti; "
                          "EKGda chap qorincha gipertrofiyasi belgilari")
    declined = services.refer(actor=doctor, med_id=cards[6].med_id,
                              target=ReferralTarget.LABORATORY, to_facility=laboratory,
                              diagnosis_code="E03.9", reason="Qalqonsimon bez antitelolari")
    services.decide_referral(actor=users["lab"], referral_id=declined.public_id, accept=False,
                             reason="Bu tahlil laboratoriyamizda bajarilmaydi; viloyat "
                                    "endokrinologiya markaziga yo‘llang")
