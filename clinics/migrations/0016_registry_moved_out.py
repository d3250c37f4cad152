"""The registry's models now belong to the registry app (registry 0001): clinics forgets them
and its foreign keys point there; the tables stay as they are."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('clinics', '0015_staff_head_and_on_call'),
        ('patients', '0006_registry_models'),
        ('pharmacy_sync', '0004_registry_models'),
        ('prescriptions', '0010_registry_models'),
        ('queue', '0004_registry_models'),
        ('registry', '0001_initial'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(state_operations=[
                migrations.RemoveField(
                    model_name='staffrecord',
                    name='department',
                ),
                migrations.AlterField(
                    model_name='referral',
                    name='to_department',
                    field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='incoming_referrals', to='registry.department', verbose_name='department'),
                ),
                migrations.AlterField(
                    model_name='ward',
                    name='department',
                    field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='wards', to='registry.department', verbose_name='department'),
                ),
                migrations.AlterField(
                    model_name='visit',
                    name='department',
                    field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='visits', to='registry.department', verbose_name='department'),
                ),
                migrations.RemoveField(
                    model_name='district',
                    name='region',
                ),
                migrations.RemoveField(
                    model_name='facility',
                    name='district',
                ),
                migrations.RemoveField(
                    model_name='facility',
                    name='parent',
                ),
                migrations.RemoveField(
                    model_name='facility',
                    name='region',
                ),
                migrations.AlterField(
                    model_name='visit',
                    name='facility',
                    field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='visits', to='registry.facility', verbose_name='facility'),
                ),
                migrations.AlterField(
                    model_name='stay',
                    name='facility',
                    field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='stays', to='registry.facility', verbose_name='hospital'),
                ),
                migrations.AlterField(
                    model_name='laborder',
                    name='ordering_facility',
                    field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='registry.facility', verbose_name='ordering facility'),
                ),
                migrations.AlterField(
                    model_name='referral',
                    name='to_facility',
                    field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='incoming_referrals', to='registry.facility', verbose_name='receiving facility'),
                ),
                migrations.RemoveField(
                    model_name='staffrecord',
                    name='facility',
                ),
                migrations.AlterField(
                    model_name='laborder',
                    name='laboratory',
                    field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='lab_orders', to='registry.facility', verbose_name='laboratory'),
                ),
                migrations.AlterField(
                    model_name='referral',
                    name='from_facility',
                    field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='registry.facility', verbose_name='from facility'),
                ),
                migrations.RemoveField(
                    model_name='staffrecord',
                    name='user',
                ),
                migrations.DeleteModel(
                    name='Department',
                ),
                migrations.DeleteModel(
                    name='District',
                ),
                migrations.DeleteModel(
                    name='Region',
                ),
                migrations.DeleteModel(
                    name='Facility',
                ),
                migrations.DeleteModel(
                    name='StaffRecord',
                ),
        ]),
    ]
