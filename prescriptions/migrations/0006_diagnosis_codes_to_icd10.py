"""Step 2 of 3: each prescription's diagnosis code points at its ICD-10 catalogue row.

The code is kept exactly as written, because the prescriber's signature covers it: a
code mapped to another one (its category, say) would make the prescription fail
verification at the pharmacy. So a code the catalogue lacks stops the migration, naming
it; add it to the catalogue (admin, ICD-10 codes) and migrate again.
"""

from django.db import migrations
from django.db.models import F

SHOWN = 20


def codes_to_catalogue(apps, schema_editor):
    Prescription = apps.get_model("prescriptions", "Prescription")
    Icd10Code = apps.get_model("clinics", "Icd10Code")
    missing = list(Prescription.objects.exclude(diagnosis_code__in=Icd10Code.objects.values("code"))
                   .order_by("diagnosis_code").values_list("diagnosis_code", flat=True)
                   .distinct()[:SHOWN])
    if missing:
        raise RuntimeError(
            "Prescriptions have diagnosis codes that are not in the ICD-10 catalogue: "
            f"{', '.join(missing)}. Add them to the catalogue (admin, ICD-10 codes), then "
            "migrate again; they are not changed here because the signatures cover them.")
    Prescription.objects.filter(diagnosis__isnull=True).update(diagnosis_id=F("diagnosis_code"))


def codes_back(apps, schema_editor):
    Prescription = apps.get_model("prescriptions", "Prescription")
    Prescription.objects.update(diagnosis_code=F("diagnosis_id"))


class Migration(migrations.Migration):

    dependencies = [("prescriptions", "0005_prescription_diagnosis_key_and_visit")]

    operations = [migrations.RunPython(codes_to_catalogue, codes_back)]
