"""A polyclinic's fuzzy name search on its own cards' words (issue 17): GIN over the words of
search_name each after the polyclinic's id (patients.models.facility_name_words).

Built with CREATE INDEX CONCURRENTLY, so the card table keeps taking writes; at 10^7 cards
it takes minutes. A failed concurrent build leaves an INVALID index: drop it and migrate
again.
"""

import django.contrib.postgres.fields
import django.contrib.postgres.indexes
import django.db.models.functions.comparison
import django.db.models.functions.text
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
            index=django.contrib.postgres.indexes.GinIndex(models.Func(django.db.models.functions.text.Concat(django.db.models.functions.text.Concat(django.db.models.functions.comparison.Cast('attached_facility_id', models.TextField()), models.Value(':'), output_field=models.TextField()), models.Func(models.F('search_name'), models.Value(' '), django.db.models.functions.text.Concat(models.Value(' '), django.db.models.functions.text.Concat(django.db.models.functions.comparison.Cast('attached_facility_id', models.TextField()), models.Value(':'), output_field=models.TextField()), output_field=models.TextField()), function='replace', output_field=models.TextField()), output_field=models.TextField()), models.Value(' '), function='string_to_array', output_field=django.contrib.postgres.fields.ArrayField(base_field=models.TextField(), size=None)), condition=models.Q(('attached_facility__isnull', False)), fastupdate=False, name='card_facility_name_words'),
        ),
    ]
