"""Foreign keys to the registry's models, which moved from clinics to registry; the tables
and constraints do not change."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('prescriptions', '0009_failed_patient_check'),
        ('registry', '0001_initial'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(state_operations=[
                migrations.AlterField(
                    model_name='dispensing',
                    name='pharmacy',
                    field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='registry.facility', verbose_name='pharmacy'),
                ),
                migrations.AlterField(
                    model_name='failedpatientcheck',
                    name='pharmacy',
                    field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='registry.facility', verbose_name='pharmacy'),
                ),
                migrations.AlterField(
                    model_name='pharmacyapikey',
                    name='pharmacy',
                    field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='api_keys', to='registry.facility', verbose_name='pharmacy'),
                ),
                migrations.AlterField(
                    model_name='prescription',
                    name='facility',
                    field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='registry.facility', verbose_name='issued at'),
                ),
                migrations.AlterField(
                    model_name='prescriptionitem',
                    name='refused_at',
                    field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='registry.facility', verbose_name='refused at'),
                ),
        ]),
    ]
