"""The immunisation calendar brought in line with the Ministry of Health's table (cited in
mch/catalogue.py): OPV from 2 months to a fifth dose at 7 years instead of a birth dose,
a third rotavirus dose at 4 months, HPV up to 13 years. Rows an administrator edited are
left alone. Every stored next dose is redone by that night's refresh, as after an edit
in the admin.

A vaccination recorded as OPV 1 before this migration (a birth dose) keeps counting as
the first dose of the series."""

from django.db import migrations
from django.db.models import Q
from django.utils import timezone


def bring_in_line(apps, schema_editor):
    from mch.catalogue import bring_calendar_in_line

    bring_calendar_in_line(vaccine_model=apps.get_model("mch", "Vaccine"),
                           dose_model=apps.get_model("mch", "CalendarDose"))
    today = timezone.localdate()
    apps.get_model("mch", "ImmunisationStatus").objects.filter(
        Q(recheck_on__isnull=True) | Q(recheck_on__gt=today)).update(recheck_on=today)


class Migration(migrations.Migration):
    dependencies = [("mch", "0006_adverse_events")]

    operations = [migrations.RunPython(bring_in_line, migrations.RunPython.noop)]
