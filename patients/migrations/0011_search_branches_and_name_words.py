"""Name search that stays fast at tens of millions of cards (issue 17).

- NameWord: the dictionary of words in card names, kept by statement-level triggers on
  patients_patientcard (so COPY and bulk loads fill it too), and backfilled here from the
  cards already there. The fuzzy search finds a typed word's candidates in it by trigram
  similarity, then reads the cards holding them through card_name_words.
- card_name_words: GIN over the words of search_name.
- card_doctor_name, card_temporary_name: the scope branches of a clinician other than
  their facility (which card_facility_name already serves), each walked in name order.

Rolled out without locking the card table: the migration is not atomic and builds the
card indexes with CREATE INDEX CONCURRENTLY (AddIndexConcurrently), which takes no lock
that blocks writes; on 10^7 cards card_name_words takes minutes, the partial ones seconds.
If a concurrent build fails it leaves an INVALID index: drop it and run the migration
again. The triggers are created before the backfill, so no word written meanwhile is lost
(the backfill's ON CONFLICT DO NOTHING meets the trigger's words).
"""

import django.contrib.postgres.fields
import django.contrib.postgres.indexes
from django.conf import settings
from django.contrib.postgres.operations import AddIndexConcurrently
from django.db import migrations, models

RECORD_WORDS = """
CREATE FUNCTION patients_record_name_words() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    -- Sorted, so two transactions adding the same new words lock them in one order.
    INSERT INTO patients_nameword (word)
    SELECT DISTINCT word
    FROM new_cards, unnest(string_to_array(new_cards.search_name, ' ')) AS word
    WHERE word <> ''
    ORDER BY word
    ON CONFLICT DO NOTHING;
    RETURN NULL;
END
$$;
-- Statement-level with transition tables: one INSERT per COPY batch or bulk statement.
-- (A transition table cannot go with UPDATE OF search_name, so every UPDATE runs it; on a
-- one-row update that is one probe of the dictionary's primary key per word.)
CREATE TRIGGER patients_card_name_words_insert AFTER INSERT ON patients_patientcard
    REFERENCING NEW TABLE AS new_cards
    FOR EACH STATEMENT EXECUTE FUNCTION patients_record_name_words();
CREATE TRIGGER patients_card_name_words_update AFTER UPDATE ON patients_patientcard
    REFERENCING NEW TABLE AS new_cards
    FOR EACH STATEMENT EXECUTE FUNCTION patients_record_name_words();
"""
STOP_RECORDING_WORDS = """
DROP TRIGGER patients_card_name_words_update ON patients_patientcard;
DROP TRIGGER patients_card_name_words_insert ON patients_patientcard;
DROP FUNCTION patients_record_name_words();
"""
BACKFILL = """
INSERT INTO patients_nameword (word)
SELECT DISTINCT word
FROM patients_patientcard, unnest(string_to_array(search_name, ' ')) AS word
WHERE word <> ''
ON CONFLICT DO NOTHING;
"""


class Migration(migrations.Migration):
    atomic = False  # CREATE INDEX CONCURRENTLY cannot run inside a transaction

    dependencies = [
        ('patients', '0010_attachment_requests'),
        ('registry', '0001_initial'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='NameWord',
            fields=[
                ('word', models.CharField(db_collation='C', max_length=320, primary_key=True, serialize=False)),
            ],
            options={
                'verbose_name': 'name word',
                'verbose_name_plural': 'name words',
            },
        ),
        migrations.AddIndex(
            model_name='nameword',
            index=django.contrib.postgres.indexes.GinIndex(django.contrib.postgres.indexes.OpClass('word', name='gin_trgm_ops'), name='nameword_trgm'),
        ),
        migrations.RunSQL(RECORD_WORDS, STOP_RECORDING_WORDS),
        migrations.RunSQL(BACKFILL, migrations.RunSQL.noop),
        AddIndexConcurrently(
            model_name='patientcard',
            index=django.contrib.postgres.indexes.GinIndex(models.Func(models.F('search_name'), models.Value(' '), function='string_to_array', output_field=django.contrib.postgres.fields.ArrayField(base_field=models.TextField(), size=None)), fastupdate=False, name='card_name_words'),
        ),
        AddIndexConcurrently(
            model_name='patientcard',
            index=models.Index(condition=models.Q(('family_doctor__isnull', False)), fields=['family_doctor', 'search_name', 'id'], name='card_doctor_name'),
        ),
        AddIndexConcurrently(
            model_name='patientcard',
            index=models.Index(condition=models.Q(('status', 'temporary')), fields=['registered_at', 'search_name', 'id'], name='card_temporary_name'),
        ),
    ]
