"""Demo wards of the city hospital, two patients in beds now and two discharged."""

from datetime import timedelta

from django.utils import timezone

from clinics.stays.models import Bed, BedOccupancy, Stay, StayDiagnosis, StayNote, StayStatus, Ward
from clinics.visits.models import DiagnosisKind

WARDS = {"CARD": ["1", "2", "3"], "SURG": ["1", "2"]}
BEDS_PER_WARD = 4
# card position, department, ward, bed, admitting diagnosis, days ago, discharged after days
STAYS = [
    (2, "CARD", "1", "1", "I20.0", 3, None),
    (4, "CARD", "2", "3", "I11.9", 1, None),
    (6, "CARD", "1", "2", "I21.4", 40, 9),
    (8, "SURG", "1", "1", "K35.8", 75, 5),
]


def seed_wards(departments: dict) -> None:
    for department_code, ward_codes in WARDS.items():
        for ward_code in ward_codes:
            ward, _ = Ward.objects.get_or_create(department=departments[department_code],
                                                 code=ward_code)
            for number in range(1, BEDS_PER_WARD + 1):
                Bed.objects.get_or_create(ward=ward, code=str(number))


def seed_history(world: dict) -> None:
    """Stays written by the demo cardiologist; a card with any stay is left as it is."""
    doctor = world["users"]["cardiologist"]
    nurse = world["users"]["nurse"]
    hospital = world["facilities"]["TSH-CHL-H03"]
    now = timezone.now()
    for position, department, ward, bed_code, diagnosis, days_ago, stayed in STAYS:
        card = world["cards"][position]
        if Stay.objects.filter(card=card).exists():
            continue
        bed = Bed.objects.get(ward__department__facility=hospital,
                              ward__department__code=department, ward__code=ward, code=bed_code)
        admitted = now - timedelta(days=days_ago, hours=3)
        stay = Stay.objects.create(card=card, facility=hospital, admitted_at=admitted,
                                   admitted_by=doctor, admitting_diagnosis_id=diagnosis)
        ended = admitted + timedelta(days=stayed) if stayed else None
        BedOccupancy.objects.create(stay=stay, bed=bed, started_at=admitted, ended_at=ended,
                                    moved_by=doctor, reason="Qabul bo‘limidan")
        StayNote.objects.create(stay=stay, author=doctor, written_at=admitted,
                                text="Ahvoli o‘rta og‘ir. Kardiomonitoring, davo boshlandi.")
        StayNote.objects.create(stay=stay, author=nurse,
                                written_at=admitted + timedelta(hours=20),
                                text="AB 135/85, puls 78. Shikoyatlar kamaydi.")
        if ended:
            StayDiagnosis.objects.create(stay=stay, code_id=diagnosis,
                                         kind=DiagnosisKind.PRIMARY)
            stay.status = StayStatus.DISCHARGED
            stay.discharged_at = ended
            stay.discharged_by = doctor
            stay.discharge_summary = ("Davolash natijasida ahvoli yaxshilandi. Oilaviy "
                                      "shifokor nazoratida davolashni davom ettirish.")
            stay.save(update_fields=["status", "discharged_at", "discharged_by",
                                     "discharge_summary"])
