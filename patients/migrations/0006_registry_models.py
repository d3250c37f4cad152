"""Foreign keys to the registry's models, which moved from clinics to registry; the tables
and constraints do not change."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('patients', '0005_identification_notes'),
        ('registry', '0001_initial'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(state_operations=[
                migrations.AlterField(
                    model_name='attachment',
                    name='facility',
                    field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='registry.facility', verbose_name='polyclinic'),
                ),
                migrations.AlterField(
                    model_name='patientcard',
                    name='attached_facility',
                    field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='attached_cards', to='registry.facility', verbose_name='attached polyclinic'),
                ),
                migrations.AlterField(
                    model_name='patientcard',
                    name='district',
                    field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='registry.district', verbose_name='district'),
                ),
                migrations.AlterField(
                    model_name='patientcard',
                    name='region',
                    field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='registry.region', verbose_name='region'),
                ),
                migrations.AlterField(
                    model_name='patientcard',
                    name='registered_at',
                    field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='registry.facility', verbose_name='registered at'),
                ),
        ]),
    ]
