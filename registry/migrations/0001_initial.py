"""The registry's models, moved here from clinics: their tables, rows and constraints stay
where they are; only Django's idea of which app owns them changes."""

import django.contrib.postgres.constraints
import django.contrib.postgres.indexes
import django.core.validators
import django.db.models.deletion
import registry.models
from django.conf import settings
from django.db import migrations, models

MOVED = ["region", "district", "facility", "department", "staffrecord"]


def move_content_types(apps, source, target):
    """Permissions and admin history hang on the content type: renaming it keeps the
    groups' rights and the log entries."""
    ContentType = apps.get_model("contenttypes", "ContentType")
    for model in MOVED:
        if not ContentType.objects.filter(app_label=target, model=model).exists():
            ContentType.objects.filter(app_label=source, model=model).update(app_label=target)


def content_types_to_registry(apps, schema_editor):
    move_content_types(apps, "clinics", "registry")


def content_types_to_clinics(apps, schema_editor):
    move_content_types(apps, "registry", "clinics")


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
        ("clinics", "0015_staff_head_and_on_call"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(state_operations=[
                migrations.CreateModel(
                    name='District',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('name_uz', models.CharField(max_length=200, verbose_name='name (Uzbek)')),
                        ('name_ru', models.CharField(blank=True, max_length=200, verbose_name='name (Russian)')),
                        ('name_en', models.CharField(blank=True, max_length=200, verbose_name='name (English)')),
                        ('code', models.CharField(max_length=7, unique=True, verbose_name='SOATO code')),
                        ('ig_code', models.CharField(blank=True, max_length=16, verbose_name='UZ Core code')),
                    ],
                    options={
                        'verbose_name': 'district',
                        'verbose_name_plural': 'districts',
                        'db_table': 'clinics_district',
                        'ordering': ['code'],
                    },
                ),
                migrations.CreateModel(
                    name='Region',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('name_uz', models.CharField(max_length=200, verbose_name='name (Uzbek)')),
                        ('name_ru', models.CharField(blank=True, max_length=200, verbose_name='name (Russian)')),
                        ('name_en', models.CharField(blank=True, max_length=200, verbose_name='name (English)')),
                        ('code', models.CharField(max_length=4, unique=True, verbose_name='SOATO code')),
                        ('ig_code', models.CharField(blank=True, max_length=16, verbose_name='UZ Core code')),
                    ],
                    options={
                        'verbose_name': 'region',
                        'verbose_name_plural': 'regions',
                        'db_table': 'clinics_region',
                        'ordering': ['code'],
                    },
                ),
                migrations.CreateModel(
                    name='Facility',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('code', models.CharField(help_text="The portal's public identifier, used in addresses and the audit trail.", max_length=32, unique=True, validators=[django.core.validators.RegexValidator('^[A-Z0-9-]+$', 'Use capital letters, digits and -.')], verbose_name='code')),
                        ('name', models.CharField(max_length=255, verbose_name='name')),
                        ('kind', models.CharField(choices=[('polyclinic', 'Polyclinic'), ('hospital', 'Hospital'), ('family_doctor_point', 'Family doctor point'), ('laboratory', 'Laboratory'), ('pharmacy', 'Pharmacy')], max_length=24, verbose_name='kind')),
                        ('tax_id', models.CharField(db_index=True, max_length=9, validators=[django.core.validators.RegexValidator('^[0-9]{9}$', 'A tax ID (STIR) is 9 digits.')], verbose_name='tax ID (STIR)')),
                        ('shif_code', models.CharField(blank=True, help_text='Only for facilities contracted by the Fund.', max_length=9, validators=[django.core.validators.RegexValidator('^[A-Z]{3}[0-9]{6}$', 'A State Health Insurance Fund code is three capital letters and six digits, for example OAA000024.')], verbose_name='State Health Insurance Fund code')),
                        ('address', models.CharField(max_length=300, verbose_name='address')),
                        ('phone', models.CharField(blank=True, max_length=20, verbose_name='phone')),
                        ('language', models.CharField(choices=[('uz', 'Oʻzbekcha'), ('uz-cyrl', 'Ўзбекча'), ('ru', 'Русский'), ('en', 'English')], default='uz', help_text='The language of public screens such as the queue board.', max_length=10, verbose_name='display language')),
                        ('is_active', models.BooleanField(default=True, verbose_name='active')),
                        ('district', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, to='registry.district', verbose_name='district')),
                        ('parent', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='branches', to='registry.facility', verbose_name='parent organisation')),
                        ('region', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, to='registry.region', verbose_name='region')),
                    ],
                    options={
                        'verbose_name': 'facility',
                        'verbose_name_plural': 'facilities',
                        'db_table': 'clinics_facility',
                        'ordering': ['name'],
                    },
                ),
                migrations.CreateModel(
                    name='Department',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('code', models.CharField(max_length=32, verbose_name='code')),
                        ('name', models.CharField(max_length=255, verbose_name='name')),
                        ('specialty', models.CharField(blank=True, max_length=120, verbose_name='specialty')),
                        ('facility', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='departments', to='registry.facility', verbose_name='facility')),
                    ],
                    options={
                        'verbose_name': 'department',
                        'verbose_name_plural': 'departments',
                        'db_table': 'clinics_department',
                        'ordering': ['facility', 'name'],
                    },
                ),
                migrations.AddField(
                    model_name='district',
                    name='region',
                    field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='districts', to='registry.region', verbose_name='region'),
                ),
                migrations.CreateModel(
                    name='StaffRecord',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('role', models.CharField(choices=[('clinician', 'Clinician'), ('nurse', 'Nurse'), ('registrar', 'Registrar'), ('lab_technician', 'Lab technician'), ('pharmacist', 'Pharmacist')], max_length=20, verbose_name='role')),
                        ('specialty', models.CharField(blank=True, max_length=120, verbose_name='specialty')),
                        ('argos_id', models.CharField(blank=True, max_length=32, verbose_name='HRM Argos professional ID')),
                        ('licence_number', models.CharField(blank=True, max_length=64, verbose_name='licence number')),
                        ('is_head', models.BooleanField(default=False, help_text='Heads of the department, or of the facility when no department is set.', verbose_name='head of department or facility')),
                        ('on_call', models.BooleanField(default=False, help_text="On the facility's on-call list for escalated critical results.", verbose_name='on call')),
                        ('active_from', models.DateField(verbose_name='active from')),
                        ('active_to', models.DateField(blank=True, null=True, verbose_name='active to')),
                        ('search_text', models.CharField(default='', editable=False, max_length=600)),
                        ('department', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='staff', to='registry.department', verbose_name='department')),
                        ('facility', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='staff', to='registry.facility', verbose_name='facility')),
                        ('user', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='staff_records', to=settings.AUTH_USER_MODEL, verbose_name='user')),
                    ],
                    options={
                        'verbose_name': 'staff record',
                        'verbose_name_plural': 'staff records',
                        'db_table': 'clinics_staffrecord',
                        'ordering': ['facility', 'user'],
                    },
                ),
                migrations.AddConstraint(
                    model_name='department',
                    constraint=models.UniqueConstraint(fields=('facility', 'code'), name='department_code_unique'),
                ),
                migrations.AddConstraint(
                    model_name='facility',
                    constraint=models.CheckConstraint(condition=models.Q(('tax_id__regex', '^[0-9]{9}$')), name='facility_tax_id_9_digits'),
                ),
                migrations.AddConstraint(
                    model_name='facility',
                    constraint=models.CheckConstraint(condition=models.Q(('shif_code', ''), ('shif_code__regex', '^[A-Z]{3}[0-9]{6}$'), _connector='OR'), name='facility_shif_code_format'),
                ),
                migrations.AddConstraint(
                    model_name='facility',
                    constraint=models.UniqueConstraint(condition=models.Q(('shif_code', ''), _negated=True), fields=('shif_code',), name='facility_shif_code_unique'),
                ),
                migrations.AddConstraint(
                    model_name='facility',
                    constraint=models.CheckConstraint(condition=models.Q(('kind__in', ['polyclinic', 'hospital', 'family_doctor_point', 'laboratory', 'pharmacy'])), name='facility_kind_known'),
                ),
                migrations.AddConstraint(
                    model_name='facility',
                    constraint=models.CheckConstraint(condition=models.Q(('parent', models.F('pk')), _negated=True), name='facility_not_own_parent'),
                ),
                migrations.AddIndex(
                    model_name='staffrecord',
                    index=models.Index(fields=['user', 'active_from'], name='staff_user_active'),
                ),
                migrations.AddIndex(
                    model_name='staffrecord',
                    index=django.contrib.postgres.indexes.GinIndex(django.contrib.postgres.indexes.OpClass('search_text', name='gin_trgm_ops'), name='staff_search_trgm'),
                ),
                migrations.AddConstraint(
                    model_name='staffrecord',
                    constraint=models.CheckConstraint(condition=models.Q(('active_to__isnull', True), ('active_to__gte', models.F('active_from')), _connector='OR'), name='staff_period_ordered'),
                ),
                migrations.AddConstraint(
                    model_name='staffrecord',
                    constraint=models.CheckConstraint(condition=models.Q(('role__in', ('clinician', 'nurse', 'registrar', 'lab_technician', 'pharmacist'))), name='staff_role_is_staff'),
                ),
                migrations.AddConstraint(
                    model_name='staffrecord',
                    constraint=django.contrib.postgres.constraints.ExclusionConstraint(expressions=[('user', '='), ('facility', '='), ('role', '='), (registry.models.DateRangeFunc('active_from', 'active_to', models.Value('[]')), '&&')], name='staff_no_overlapping_periods'),
                ),
        ]),
        migrations.RunPython(content_types_to_registry, content_types_to_clinics),
    ]
