"""Today's national immunisation calendar of Uzbekistan: hepatitis B birth dose, BCG,
OPV and IPV, pentavalent (DTP-HepB-Hib), rotavirus, pneumococcal conjugate, the DTP
booster, MMR, Td and HPV for girls. Where it comes from: mch/catalogue.py."""

from django.db import migrations


def load(apps, schema_editor):
    from mch.catalogue import load_immunisation_calendar

    load_immunisation_calendar(vaccine_model=apps.get_model("mch", "Vaccine"),
                               dose_model=apps.get_model("mch", "CalendarDose"))


class Migration(migrations.Migration):
    dependencies = [("mch", "0002_antenatal_schedule_and_risk_factors")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
