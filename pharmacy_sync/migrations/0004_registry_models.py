"""Foreign keys to the registry's models, which moved from clinics to registry; the tables
and constraints do not change."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('pharmacy_sync', '0003_reconciliation'),
        ('registry', '0001_initial'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(state_operations=[
                migrations.AlterField(
                    model_name='discrepancy',
                    name='pharmacy',
                    field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='registry.facility', verbose_name='pharmacy'),
                ),
                migrations.AlterField(
                    model_name='feedentry',
                    name='district',
                    field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='registry.district'),
                ),
                migrations.AlterField(
                    model_name='stockchange',
                    name='pharmacy',
                    field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='registry.facility', verbose_name='pharmacy'),
                ),
                migrations.AlterField(
                    model_name='stockreport',
                    name='pharmacy',
                    field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='registry.facility', verbose_name='pharmacy'),
                ),
                migrations.AlterField(
                    model_name='webhooksubscription',
                    name='pharmacy',
                    field=models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='registry.facility', verbose_name='pharmacy'),
                ),
        ]),
    ]
