"""The WHO eight-contact antenatal schedule and the pregnancy risk factor catalogue
(sources in mch/catalogue.py)."""

from django.db import migrations


def load(apps, schema_editor):
    from mch.catalogue import load_pregnancy_catalogues

    load_pregnancy_catalogues(risk_factor_model=apps.get_model("mch", "RiskFactor"),
                              contact_model=apps.get_model("mch", "AntenatalContact"))


class Migration(migrations.Migration):
    dependencies = [("mch", "0001_pregnancy_and_immunisation")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
