from django.db import migrations, models
from django.db.models import F, OuterRef, Q, Subquery


def copy_birth_dates(apps, schema_editor):
    Newborn = apps.get_model("mch", "Newborn")
    Pregnancy = apps.get_model("mch", "Pregnancy")
    Newborn.objects.update(born_on=Subquery(
        Pregnancy.objects.filter(pk=OuterRef("pregnancy_id")).values("outcome_date")[:1]))


class Migration(migrations.Migration):

    dependencies = [
        ("mch", "0008_reminder_marks"),
    ]

    operations = [
        migrations.AddField(
            model_name="newborn",
            name="born_on",
            field=models.DateField(null=True, verbose_name="born on"),
        ),
        migrations.RunPython(copy_birth_dates, migrations.RunPython.noop, elidable=True),
        migrations.AlterField(
            model_name="newborn",
            name="born_on",
            field=models.DateField(verbose_name="born on"),
        ),
        migrations.AddField(
            model_name="newborn",
            name="discharged_on",
            field=models.DateField(blank=True, null=True, verbose_name="discharged home on"),
        ),
        migrations.AddConstraint(
            model_name="newborn",
            constraint=models.CheckConstraint(
                condition=Q(discharged_on__isnull=True) | Q(discharged_on__gte=F("born_on")),
                name="newborn_discharged_after_birth"),
        ),
    ]
