from django.db import migrations


def load(apps, schema_editor):
    from clinics.coding.services import load_icd10

    load_icd10(model=apps.get_model("clinics", "Icd10Code"))


class Migration(migrations.Migration):
    dependencies = [("clinics", "0006_visit_closed_is_final")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
