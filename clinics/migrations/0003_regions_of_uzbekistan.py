from django.db import migrations


def load_regions(apps, schema_editor):
    from registry.services import load_administrative_divisions

    load_administrative_divisions(region_model=apps.get_model("clinics", "Region"),
                                  district_model=apps.get_model("clinics", "District"))


class Migration(migrations.Migration):
    dependencies = [("clinics", "0002_initial")]

    operations = [migrations.RunPython(load_regions, migrations.RunPython.noop)]
