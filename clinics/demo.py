"""Demo registries and staff: one district of Tashkent city and its facilities."""

from datetime import date

from clinics.coding.services import load_icd10, load_protocols
from clinics.labs.demo import seed_history as seed_lab_history
from clinics.models import Icd10Code
from clinics.referrals.demo import seed_history as seed_referral_history
from clinics.stays.demo import seed_history as seed_stay_history
from clinics.stays.demo import seed_wards
from clinics.visits.demo import seed_history as seed_visit_history
from dmed.roles import Role
from registry.models import Department, District, Facility, FacilityKind, StaffRecord
from registry.services import load_administrative_divisions

STAFF_SINCE = date(2024, 1, 1)

FACILITIES = [
    # code, kind, name, tax ID, SHIF code, address
    ("TSH-CHL-P12", FacilityKind.POLYCLINIC, "12-sonli oilaviy poliklinika",
     "201234567", "OAA000024", "Chilonzor tumani, Bunyodkor ko‘chasi, 21"),
    ("TSH-CHL-H03", FacilityKind.HOSPITAL, "3-sonli shahar klinik shifoxonasi",
     "201234568", "OAA000031", "Chilonzor tumani, Qatortol ko‘chasi, 7"),
    ("TSH-CHL-L01", FacilityKind.LABORATORY, "Chilonzor diagnostika laboratoriyasi",
     "301234569", "", "Chilonzor tumani, Muqimiy ko‘chasi, 44"),
    ("TSH-CHL-A07", FacilityKind.PHARMACY, "Shifo-Farm dorixonasi",
     "301234570", "", "Chilonzor tumani, Lutfiy ko‘chasi, 3"),
    ("TSH-CHL-A15", FacilityKind.PHARMACY, "Dori-Darmon 15-dorixona",
     "301234571", "", "Chilonzor tumani, Arnasoy ko‘chasi, 12"),
]

DEPARTMENTS = [
    ("TSH-CHL-P12", "THER", "Terapiya bo‘limi", "Family medicine"),
    ("TSH-CHL-H03", "CARD", "Kardiologiya bo‘limi", "Cardiology"),
    ("TSH-CHL-H03", "SURG", "Jarrohlik bo‘limi", "Surgery"),
]

STAFF = [
    # username, facility, role, specialty, department, Argos ID, licence
    ("doctor", "TSH-CHL-P12", Role.CLINICIAN, "Oilaviy shifokor", "THER", "AR1000001",
     "LIC-12-0451"),
    ("nurse", "TSH-CHL-P12", Role.NURSE, "Hamshira", "THER", "AR1000002", "LIC-12-0452"),
    ("registrar", "TSH-CHL-P12", Role.REGISTRAR, "", None, "AR1000003", ""),
    ("lab", "TSH-CHL-L01", Role.LAB_TECHNICIAN, "Laborant", None, "AR1000004", "LIC-12-0453"),
    ("pharmacist", "TSH-CHL-A07", Role.PHARMACIST, "Provizor", None, "AR1000005", "LIC-12-0454"),
    ("cardiologist", "TSH-CHL-H03", Role.CLINICIAN, "Kardiolog", "CARD", "AR1000006",
     "LIC-12-0455"),
    ("head", "TSH-CHL-P12", Role.CLINICIAN, "Terapevt, bo‘lim mudiri", "THER", "AR1000007",
     "LIC-12-0456"),
    # The Chilonzor district's epidemiologist, posted at its central polyclinic: she reads
    # the district's adverse events following immunisation (mch).
    ("epidemiologist", "TSH-CHL-P12", Role.EPIDEMIOLOGIST, "Epidemiolog", None, "AR1000008",
     "LIC-12-0457"),
]
# The head of the polyclinic's therapy department, also on call: a critical result nobody
# acknowledges reaches her, and she reviews the polyclinic's broken-glass grants.
HEADS_ON_CALL = {"head"}


def seed(world: dict) -> None:
    load_administrative_divisions()
    # Reference data from migrations, again: a transactional test may have emptied it.
    if not Icd10Code.objects.exists():
        load_icd10()
    load_protocols()
    district = District.objects.select_related("region").get(code="1726294")  # Chilonzor
    facilities = {}
    for code, kind, name, tax_id, shif_code, address in FACILITIES:
        facilities[code], _ = Facility.objects.update_or_create(
            code=code,
            defaults={"kind": kind, "name": name, "tax_id": tax_id, "shif_code": shif_code,
                      "region": district.region, "district": district, "address": address},
        )
    departments = {}
    for facility_code, code, name, specialty in DEPARTMENTS:
        departments[code], _ = Department.objects.update_or_create(
            facility=facilities[facility_code], code=code,
            defaults={"name": name, "specialty": specialty},
        )
    for username, facility_code, role, specialty, department, argos_id, licence in STAFF:
        user = world["users"][username]
        StaffRecord.objects.update_or_create(
            user=user, facility=facilities[facility_code], role=role,
            active_from=STAFF_SINCE,
            defaults={"specialty": specialty, "argos_id": argos_id, "licence_number": licence,
                      "department": departments.get(department),
                      "is_head": username in HEADS_ON_CALL,
                      "on_call": username in HEADS_ON_CALL},
        )
    seed_wards(departments)
    world["facilities"] = facilities
    world["district"] = district


def seed_history(world: dict) -> None:
    """Records about the demo patients, once every app has seeded (the cards exist)."""
    seed_visit_history(world)
    seed_stay_history(world)
    seed_lab_history(world)
    seed_referral_history(world)
