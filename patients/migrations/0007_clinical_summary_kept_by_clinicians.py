
import django.db.models.deletion
import django.utils.timezone
import uuid
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('patients', '0006_registry_models'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name='allergy',
            name='atc_code',
            field=models.CharField(blank=True, max_length=7, verbose_name='ATC code'),
        ),
        migrations.AddField(
            model_name='allergy',
            name='changed_at',
            field=models.DateTimeField(default=django.utils.timezone.now, verbose_name='changed'),
        ),
        migrations.AddField(
            model_name='allergy',
            name='changed_by',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='changed by'),
        ),
        migrations.AddField(
            model_name='allergy',
            name='end_reason',
            field=models.CharField(blank=True, max_length=300, verbose_name='why it ended'),
        ),
        migrations.AddField(
            model_name='allergy',
            name='ended_at',
            field=models.DateTimeField(blank=True, null=True, verbose_name='ended'),
        ),
        migrations.AddField(
            model_name='allergy',
            name='kind',
            field=models.CharField(choices=[('drug', 'Medicine (INN)'), ('drug_group', 'Group of medicines (ATC)'), ('other', 'Other allergen (food, latex, pollen, …)')], default='other', max_length=10, verbose_name='kind of allergen'),
        ),
        migrations.AddField(
            model_name='allergy',
            name='public_id',
            field=models.UUIDField(null=True, editable=False),
        ),
        # Rows from before get their own identifier (PostgreSQL 13+ makes it).
        migrations.RunSQL("UPDATE patients_allergy SET public_id = gen_random_uuid()",
                          migrations.RunSQL.noop),
        migrations.AlterField(
            model_name='allergy',
            name='public_id',
            field=models.UUIDField(default=uuid.uuid4, editable=False, unique=True),
        ),
        migrations.AddField(
            model_name='allergy',
            name='recorded_by',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='recorded by'),
        ),
        migrations.AddField(
            model_name='allergy',
            name='verification',
            field=models.CharField(choices=[('verified', 'Verified'), ('suspected', 'Suspected')], default='suspected', max_length=10, verbose_name='verification'),
        ),
        migrations.AddField(
            model_name='chroniccondition',
            name='changed_at',
            field=models.DateTimeField(default=django.utils.timezone.now, verbose_name='changed'),
        ),
        migrations.AddField(
            model_name='chroniccondition',
            name='changed_by',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='changed by'),
        ),
        migrations.AddField(
            model_name='chroniccondition',
            name='public_id',
            field=models.UUIDField(null=True, editable=False),
        ),
        # Rows from before get their own identifier (PostgreSQL 13+ makes it).
        migrations.RunSQL("UPDATE patients_chroniccondition SET public_id = gen_random_uuid()",
                          migrations.RunSQL.noop),
        migrations.AlterField(
            model_name='chroniccondition',
            name='public_id',
            field=models.UUIDField(default=uuid.uuid4, editable=False, unique=True),
        ),
        migrations.AddField(
            model_name='chroniccondition',
            name='recorded_at',
            field=models.DateTimeField(default=django.utils.timezone.now, verbose_name='recorded'),
        ),
        migrations.AddField(
            model_name='chroniccondition',
            name='recorded_by',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='recorded by'),
        ),
        migrations.AddField(
            model_name='chroniccondition',
            name='status',
            field=models.CharField(choices=[('active', 'Active'), ('remission', 'In remission'), ('resolved', 'Resolved')], default='active', max_length=10, verbose_name='status'),
        ),
        migrations.AddField(
            model_name='patientcard',
            name='no_known_allergies_at',
            field=models.DateTimeField(blank=True, null=True, verbose_name='no known allergies, recorded'),
        ),
        migrations.AddField(
            model_name='patientcard',
            name='no_known_allergies_by',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='no known allergies, recorded by'),
        ),
        migrations.AddIndex(
            model_name='allergy',
            index=models.Index(condition=models.Q(('ended_at__isnull', True)), fields=['card'], name='allergy_active_by_card'),
        ),
        migrations.AddConstraint(
            model_name='allergy',
            constraint=models.CheckConstraint(condition=models.Q(('kind__in', ['drug', 'drug_group', 'other'])), name='allergy_kind_known'),
        ),
        migrations.AddConstraint(
            model_name='allergy',
            constraint=models.CheckConstraint(condition=models.Q(('verification__in', ['verified', 'suspected'])), name='allergy_verification_known'),
        ),
        migrations.AddConstraint(
            model_name='allergy',
            constraint=models.CheckConstraint(condition=models.Q(('substance', ''), _negated=True), name='allergy_has_substance'),
        ),
        migrations.AddConstraint(
            model_name='allergy',
            constraint=models.CheckConstraint(condition=models.Q(('ended_at__isnull', True), models.Q(('end_reason', ''), _negated=True), _connector='OR'), name='allergy_end_has_reason'),
        ),
        migrations.AddConstraint(
            model_name='chroniccondition',
            constraint=models.CheckConstraint(condition=models.Q(('status__in', ['active', 'remission', 'resolved'])), name='condition_status_known'),
        ),
    ]
