"""Foreign keys to the registry's models, which moved from clinics to registry; the tables
and constraints do not change."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('queue', '0003_appointment_referral'),
        ('registry', '0001_initial'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(state_operations=[
                migrations.AlterField(
                    model_name='closure',
                    name='facility',
                    field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='+', to='registry.facility', verbose_name='facility'),
                ),
                migrations.AlterField(
                    model_name='servicepoint',
                    name='facility',
                    field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='service_points', to='registry.facility', verbose_name='facility'),
                ),
        ]),
    ]
