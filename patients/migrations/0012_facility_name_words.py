"""A polyclinic's fuzzy name search on its own cards' words (issue 17): GIN over the words of
search_name each after the polyclinic's id (patients.models.facility_name_words).

Built with CREATE INDEX CONCURRENTLY, so the card table keeps taking writes; at 10^7 cards
it took 38 s. A failed concurrent build leaves an INVALID index: drop it and migrate
again.
"""

import django.contrib.postgres.fields
import django.contrib.postgres.indexes
import django.db.models.functions.comparison
from django.conf import settings
from django.contrib.postgres.operations import AddIndexConcurrently
from django.db import migrations, models


class Migration(migrations.Migration):
    atomic = False  # CREATE INDEX CONCURRENTLY cannot run inside a transaction

    dependencies = [
        ('patients', '0011_search_branches_and_name_words'),
        ('registry', '0002_epidemiologist_staff_role'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        AddIndexConcurrently(
            model_name='patientcard',
            index=django.contrib.postgres.indexes.GinIndex(models.Func(models.F('search_name'), django.db.models.functions.comparison.Cast('attached_facility_id', models.TextField()), arg_joiner=", '(^| )', '\\1' || ", output_field=django.contrib.postgres.fields.ArrayField(base_field=models.TextField(), size=None), template="string_to_array(regexp_replace(%(expressions)s || ':', 'g'), ' ')"), condition=models.Q(('attached_facility__isnull', False)), fastupdate=False, name='card_facility_name_words'),
        ),
    ]
