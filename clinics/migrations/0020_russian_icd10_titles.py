from django.db import migrations


def load(apps, schema_editor):
    from clinics.coding.services import load_russian_titles

    load_russian_titles(model=apps.get_model("clinics", "Icd10Code"))


class Migration(migrations.Migration):
    dependencies = [("clinics", "0019_icd10_national_extensions")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
