"""Audit events are hash-chained, so a changed or removed row is evident.

Each inserted row gets, from a trigger, its chain (the Tashkent day and one of STRIPES
stripes, by database session, so concurrent writers rarely wait for each other), its place
in that chain and sha256(previous row's hash | the row's canonical text). The chain's head
row is locked until the inserting transaction ends, which orders each chain. The trigger runs
as its owner (SECURITY DEFINER): the application's role needs no right on the heads table.
Rows written before this migration are chained in id order on stripe 0.
"""

import django.db.models.functions.datetime
from django.db import migrations, models


STRIPES = 8

CHAIN = f"""
CREATE FUNCTION dmed_audit_chain_genesis(day date, stripe smallint) RETURNS text
LANGUAGE sql STABLE AS $$
    SELECT encode(sha256(convert_to(
        'dmed audit chain ' || to_char(day, 'YYYY-MM-DD') || '/' || stripe::text, 'UTF8')),
        'hex')
$$;

-- Every value length-prefixed (NULL as ~), so no two rows share a text; times in UTC with
-- microseconds, so the text does not depend on the session's settings.
CREATE FUNCTION dmed_audit_event_text(e dmed_auditevent) RETURNS text
LANGUAGE sql STABLE AS $$
    SELECT string_agg(CASE WHEN v IS NULL THEN '~' ELSE length(v)::text || ':' || v END,
                      '|' ORDER BY n)
    FROM unnest(ARRAY[
        e.id::text,
        to_char(e.occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US'),
        e.actor_id::text, e.actor_role, e.facility_code, e.action, e.object_type,
        e.object_id, e.patient_med_id, e.reason, e.allowed::text, e.break_glass::text,
        e.ip_address::text, e.user_agent, to_char(e.chain_day, 'YYYY-MM-DD'),
        e.chain_stripe::text, e.chain_seq::text
    ]) WITH ORDINALITY AS field(v, n)
$$;

CREATE FUNCTION dmed_audit_chain_link(previous text, e dmed_auditevent) RETURNS text
LANGUAGE sql STABLE AS $$
    SELECT encode(sha256(convert_to(previous || '|' || dmed_audit_event_text(e), 'UTF8')),
                  'hex')
$$;

ALTER TABLE dmed_auditevent DISABLE TRIGGER dmed_audit_event_append_only;
DO $$
DECLARE
    r record;
    previous text;
    previous_day date;
    place bigint;
BEGIN
    FOR r IN SELECT id, (occurred_at AT TIME ZONE 'Asia/Tashkent')::date AS day
             FROM dmed_auditevent ORDER BY 2, id LOOP
        IF previous_day IS DISTINCT FROM r.day THEN
            place := 0;
            previous := dmed_audit_chain_genesis(r.day, 0::smallint);
            previous_day := r.day;
        END IF;
        place := place + 1;
        UPDATE dmed_auditevent SET chain_day = r.day, chain_stripe = 0, chain_seq = place
            WHERE id = r.id;
        UPDATE dmed_auditevent e SET chain_hash = dmed_audit_chain_link(previous, e)
            WHERE id = r.id RETURNING chain_hash INTO previous;
    END LOOP;
END $$;
ALTER TABLE dmed_auditevent ENABLE TRIGGER dmed_audit_event_append_only;
INSERT INTO dmed_auditchainhead (day, stripe, last_seq, last_hash)
    SELECT DISTINCT ON (chain_day) chain_day, 0, chain_seq, chain_hash
    FROM dmed_auditevent ORDER BY chain_day, chain_seq DESC;

CREATE FUNCTION dmed_audit_event_chain() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    previous text;
BEGIN
    NEW.chain_day := (NEW.occurred_at AT TIME ZONE 'Asia/Tashkent')::date;
    NEW.chain_stripe := pg_backend_pid() % {STRIPES};
    -- Takes the head's row lock (held to the end of the transaction) and the next place.
    INSERT INTO dmed_auditchainhead AS head (day, stripe, last_seq, last_hash)
        VALUES (NEW.chain_day, NEW.chain_stripe, 1,
                dmed_audit_chain_genesis(NEW.chain_day, NEW.chain_stripe))
        ON CONFLICT (day, stripe) DO UPDATE SET last_seq = head.last_seq + 1
        RETURNING last_seq, last_hash INTO NEW.chain_seq, previous;
    NEW.chain_hash := dmed_audit_chain_link(previous, NEW);
    UPDATE dmed_auditchainhead SET last_hash = NEW.chain_hash
        WHERE day = NEW.chain_day AND stripe = NEW.chain_stripe;
    RETURN NEW;
END;
$$;

CREATE TRIGGER dmed_audit_event_chain
    BEFORE INSERT ON dmed_auditevent
    FOR EACH ROW EXECUTE FUNCTION dmed_audit_event_chain();
"""

UNCHAIN = """
DROP TRIGGER dmed_audit_event_chain ON dmed_auditevent;
DROP FUNCTION dmed_audit_event_chain();
DROP FUNCTION dmed_audit_chain_link(text, dmed_auditevent);
DROP FUNCTION dmed_audit_event_text(dmed_auditevent);
DROP FUNCTION dmed_audit_chain_genesis(date, smallint);
"""


class Migration(migrations.Migration):

    dependencies = [
        ('dmed', '0003_audit_role_choices'),
    ]

    operations = [
        migrations.CreateModel(
            name='AuditChainHead',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('day', models.DateField(verbose_name='day')),
                ('stripe', models.SmallIntegerField(verbose_name='stripe')),
                ('last_seq', models.BigIntegerField(verbose_name='last place')),
                ('last_hash', models.CharField(max_length=64, verbose_name='last hash')),
            ],
            options={
                'verbose_name': 'audit chain head',
                'verbose_name_plural': 'audit chain heads',
            },
        ),
        migrations.AddField(
            model_name='auditevent',
            name='chain_day',
            field=models.DateField(db_default=django.db.models.functions.datetime.Now(), editable=False, verbose_name='chain day'),
        ),
        migrations.AddField(
            model_name='auditevent',
            name='chain_hash',
            field=models.CharField(db_default='', editable=False, max_length=64, verbose_name='chain hash'),
        ),
        migrations.AddField(
            model_name='auditevent',
            name='chain_seq',
            field=models.BigIntegerField(db_default=0, editable=False, verbose_name='place in chain'),
        ),
        migrations.AddField(
            model_name='auditevent',
            name='chain_stripe',
            field=models.SmallIntegerField(db_default=0, editable=False, verbose_name='chain stripe'),
        ),
        migrations.AddConstraint(
            model_name='auditchainhead',
            constraint=models.UniqueConstraint(fields=('day', 'stripe'), name='audit_chain_head_key'),
        ),
        migrations.RunSQL(CHAIN, UNCHAIN),
        migrations.AddConstraint(
            model_name='auditevent',
            constraint=models.UniqueConstraint(fields=('chain_day', 'chain_stripe', 'chain_seq'), name='audit_chain_place'),
        ),
    ]
