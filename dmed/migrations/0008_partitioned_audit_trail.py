"""The audit trail becomes a table partitioned by month (PostgreSQL declarative partitioning).

Three functions, owned by the migrating role, do the partitioning for every app:

- dmed_convert_to_partitioned(table, key): the table, with its rows untouched, becomes a
  partitioned table by month of `key` (Tashkent months), with one partition per month its
  rows span and a DEFAULT partition; its columns, defaults, CHECKs, NOT NULLs, foreign keys
  and indexes come back under the same names, the id sequence keeps its name and value, and
  the primary key becomes (id, key), as PostgreSQL requires the partition key in every
  unique index of a partitioned table. A unique constraint without the key is refused
  (the caller decides what becomes of it), and so is a foreign key into the table: it
  would have to reference (id, key), so the caller decides for each.
- dmed_month_partition(table, month): the partition of that month, made if missing; rows
  of that month already waiting in the DEFAULT partition move into it unchanged (the audit
  trail's triggers do not run for them: the chain they carry stays as written).
- dmed_drop_month_partition(table, month): drops one month of the outbox; refuses the
  audit trail whatever the caller says, and refuses a month that still has work
  (an unrelayed event, a pending delivery).

Why a DEFAULT partition: a row whose month has no partition (a clock far ahead, a month the
maintenance task has not reached, an old date written by an import) must never fail a
clinician's action. The maintenance task (dmed.partitions) keeps months ahead, also at every
`migrate`, so the DEFAULT partition stays empty in practice; when a month is made later, its
rows move out of the DEFAULT partition.

The maintenance functions run as their owner (SECURITY DEFINER): the application's role,
which owns no table, may call them from the beat task but cannot create or drop a table.

The audit trail's chains are per Tashkent day (chain_day, from occurred_at by the chain
trigger) and the audit trail is partitioned on occurred_at at Tashkent midnights, so a
chain lies in one partition; a CHECK holds chain_day to occurred_at's Tashkent day, and the
chain's place is unique in each partition (so unique everywhere). The chain functions take
the new table's row type, so they are dropped and made again with the same bodies.
"""

from django.db import migrations

# Made here and re-made by 0010, whose reverse restores this text.
MONTH_PARTITION = r"""
CREATE FUNCTION dmed_month_partition(parent text, month date) RETURNS text
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    month_start date := date_trunc('month', month)::date;
    name text := parent || '_' || to_char(month, 'YYYYMM');
    fallback text := parent || '_default';
    key text;
    key_type text;
    low text;
    high text;
    moved bigint := 0;
BEGIN
    -- Two makers at once (the beat task and a migrate) take turns; the second finds it made.
    PERFORM pg_advisory_xact_lock(hashtext(name));
    IF to_regclass(name) IS NOT NULL THEN
        RETURN NULL;
    END IF;
    -- Foreign key checks deferred to the commit would forbid the ALTER TABLEs below.
    SET CONSTRAINTS ALL IMMEDIATE;
    SELECT a.attname, format_type(a.atttypid, a.atttypmod) INTO key, key_type
    FROM pg_partitioned_table p
    JOIN pg_attribute a ON a.attrelid = p.partrelid AND a.attnum = p.partattrs[0]
    WHERE p.partrelid = parent::regclass;
    IF key IS NULL THEN
        RAISE EXCEPTION '% is not partitioned', parent;
    END IF;
    IF key_type = 'date' THEN
        low := month_start::text;
        high := (month_start + interval '1 month')::date::text;
    ELSE
        low := dmed_month_start(month_start)::text;
        high := dmed_month_start((month_start + interval '1 month')::date)::text;
    END IF;
    EXECUTE format('CREATE TABLE %I (LIKE %I INCLUDING DEFAULTS INCLUDING CONSTRAINTS '
                   'INCLUDING STORAGE)', name, parent);
    -- The month's rows that were written before it had a partition move in as they are.
    IF to_regclass(fallback) IS NOT NULL THEN
        EXECUTE format('INSERT INTO %I SELECT * FROM %I WHERE %I >= %L AND %I < %L',
                       name, fallback, key, low, key, high);
        GET DIAGNOSTICS moved = ROW_COUNT;
    END IF;
    IF moved > 0 THEN
        EXECUTE format('ALTER TABLE %I DISABLE TRIGGER USER', fallback);
        EXECUTE format('DELETE FROM %I WHERE %I >= %L AND %I < %L',
                       fallback, key, low, key, high);
        EXECUTE format('ALTER TABLE %I ENABLE TRIGGER USER', fallback);
    END IF;
    EXECUTE format('ALTER TABLE %I ATTACH PARTITION %I FOR VALUES FROM (%L) TO (%L)',
                   parent, name, low, high);
    PERFORM dmed_partition_unique_indexes(parent, name);
    -- Reached through the parent only, whose rights are checked there.
    EXECUTE format('REVOKE ALL ON %I FROM PUBLIC', name);
    RETURN name;
END;
$$;
"""

FUNCTIONS = r"""
CREATE FUNCTION dmed_month_start(month date) RETURNS timestamptz
LANGUAGE sql IMMUTABLE AS $$
    SELECT date_trunc('month', month)::timestamp AT TIME ZONE 'Asia/Tashkent'
$$;

-- Unique indexes without the partition key, which the parent cannot hold, on each partition
-- (its DEFAULT one too). Where every row sharing the key lies in one partition, as a chain's
-- day does, unique in the partition is unique everywhere.
CREATE FUNCTION dmed_partition_unique_indexes(parent text, name text) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    IF parent = 'dmed_auditevent' THEN
        EXECUTE format('CREATE UNIQUE INDEX %I ON %I (chain_day, chain_stripe, chain_seq)',
                       name || '_chain_place', name);
    ELSIF parent IN ('outbox_event', 'prescriptions_dispensing') THEN
        -- A random UUID, unique in its month; a repeat across months would take a
        -- collision of 122 random bits.
        EXECUTE format('CREATE UNIQUE INDEX %I ON %I (%I)', name || '_uuid', name,
                       CASE parent WHEN 'outbox_event' THEN 'uuid' ELSE 'public_id' END);
    END IF;
END;
$$;

""" + MONTH_PARTITION + r"""
CREATE FUNCTION dmed_drop_month_partition(parent text, month date) RETURNS boolean
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    name text := parent || '_' || to_char(month, 'YYYYMM');
    busy boolean;
BEGIN
    IF parent NOT IN ('outbox_event', 'outbox_delivery') THEN
        RAISE EXCEPTION 'only outbox months are dropped, not %', parent
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF to_regclass(name) IS NULL THEN
        RETURN false;
    END IF;
    -- Work still to do keeps its month, whatever its age; an event's month goes after its
    -- deliveries' (they live in their event's month and reference it).
    IF parent = 'outbox_event' THEN
        EXECUTE format('SELECT EXISTS (SELECT 1 FROM %I WHERE relayed_at IS NULL)', name)
            INTO busy;
        busy := busy OR to_regclass('outbox_delivery_' || to_char(month, 'YYYYMM')) IS NOT NULL;
    ELSE
        EXECUTE format('SELECT EXISTS (SELECT 1 FROM %I WHERE status = %L)', name, 'pending')
            INTO busy;
    END IF;
    IF busy THEN
        RAISE NOTICE '% keeps work to do: not dropped', name;
        RETURN false;
    END IF;
    IF parent = 'outbox_event' THEN
        -- Their deduplication keys go with them (a key older than the retention is free).
        EXECUTE format('DELETE FROM outbox_eventkey k USING %I e '
                       'WHERE k.event_id = e.id AND k.event_created_at = e.created_at', name);
    END IF;
    EXECUTE format('ALTER TABLE %I DETACH PARTITION %I', parent, name);
    EXECUTE format('DROP TABLE %I', name);
    RETURN true;
END;
$$;

CREATE FUNCTION dmed_convert_to_partitioned(tbl text, key text) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    old text := tbl || '_unpartitioned';
    sequence text := pg_get_serial_sequence(tbl, 'id');
    r record;
    indexes text[] := '{}';
    constraints text[] := '{}';
    statement text;
    first_month date;
BEGIN
    IF EXISTS (SELECT 1 FROM pg_constraint WHERE contype = 'f'
               AND confrelid = tbl::regclass AND conrelid <> tbl::regclass) THEN
        RAISE EXCEPTION 'foreign keys still point at %', tbl;
    END IF;
    IF EXISTS (SELECT 1 FROM pg_constraint c
               JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attname = key
               WHERE c.conrelid = tbl::regclass AND c.contype = 'u'
                 AND NOT a.attnum = ANY (c.conkey)) THEN
        RAISE EXCEPTION 'a unique constraint of % lacks %', tbl, key;
    END IF;
    -- What comes back on the new table, by the same names.
    FOR r IN SELECT conname, pg_get_constraintdef(oid) AS def FROM pg_constraint
             WHERE conrelid = tbl::regclass AND contype IN ('f', 'u') LOOP
        constraints := constraints || format('ALTER TABLE %I ADD CONSTRAINT %I %s',
                                             tbl, r.conname, r.def);
    END LOOP;
    FOR r IN SELECT i.indexrelid FROM pg_index i
             WHERE i.indrelid = tbl::regclass
               AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)
    LOOP
        indexes := indexes || pg_get_indexdef(r.indexrelid);
    END LOOP;

    EXECUTE format('ALTER TABLE %I RENAME TO %I', tbl, old);
    EXECUTE format('CREATE TABLE %I (LIKE %I INCLUDING DEFAULTS INCLUDING CONSTRAINTS '
                   'INCLUDING STORAGE INCLUDING COMMENTS) PARTITION BY RANGE (%I)',
                   tbl, old, key);
    -- The id keeps counting where it was, from a sequence of the same name.
    EXECUTE format('CREATE SEQUENCE %I AS bigint', tbl || '_id_seq_new');
    EXECUTE format('SELECT setval(%L, last_value, is_called) FROM %s',
                   tbl || '_id_seq_new', sequence);
    EXECUTE format('ALTER TABLE %I ALTER id SET DEFAULT nextval(%L)', tbl, tbl || '_id_seq_new');
    EXECUTE format('CREATE TABLE %I PARTITION OF %I DEFAULT', tbl || '_default', tbl);
    PERFORM dmed_partition_unique_indexes(tbl, tbl || '_default');
    EXECUTE format('REVOKE ALL ON %I FROM PUBLIC', tbl || '_default');
    -- A date is a Tashkent day already; a time is taken in Tashkent.
    EXECUTE format('SELECT (date_trunc(''month'', min(%I)%s))::date FROM %I', key,
                   CASE WHEN (SELECT atttypid FROM pg_attribute WHERE attrelid = old::regclass
                                AND attname = key) = 'date'::regtype THEN ''
                        ELSE ' AT TIME ZONE ''Asia/Tashkent''' END, old) INTO first_month;
    first_month := least(coalesce(first_month, current_date), current_date);
    FOR r IN SELECT generate_series(first_month, current_date, interval '1 month')::date AS m
    LOOP
        PERFORM dmed_month_partition(tbl, r.m);
    END LOOP;
    EXECUTE format('INSERT INTO %I SELECT * FROM %I', tbl, old);
    EXECUTE format('DROP TABLE %I', old);
    EXECUTE format('ALTER SEQUENCE %I RENAME TO %I', tbl || '_id_seq_new', tbl || '_id_seq');
    EXECUTE format('ALTER SEQUENCE %I OWNED BY %I.id', tbl || '_id_seq', tbl);
    EXECUTE format('ALTER TABLE %I ADD CONSTRAINT %I PRIMARY KEY (id, %I)',
                   tbl, tbl || '_pkey', key);
    FOREACH statement IN ARRAY constraints LOOP
        EXECUTE statement;
    END LOOP;
    FOREACH statement IN ARRAY indexes LOOP
        EXECUTE replace(statement, format(' ON public.%s ', old), format(' ON public.%s ', tbl));
    END LOOP;
END;
$$;
"""

# The chain functions of migration 0004, unchanged, made again for the new row type.
# (0011 writes the row text as one expression, and restores this one when reversed.)
EVENT_TEXT = r"""
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
"""
CHAIN_FUNCTIONS = EVENT_TEXT + r"""
CREATE FUNCTION dmed_audit_chain_link(previous text, e dmed_auditevent) RETURNS text
LANGUAGE sql STABLE AS $$
    SELECT encode(sha256(convert_to(previous || '|' || dmed_audit_event_text(e), 'UTF8')),
                  'hex')
$$;
"""

AUDIT_TRIGGERS = """
CREATE TRIGGER dmed_audit_event_append_only
    BEFORE UPDATE OR DELETE ON dmed_auditevent
    FOR EACH ROW EXECUTE FUNCTION dmed_audit_event_append_only();
CREATE TRIGGER dmed_audit_event_chain
    BEFORE INSERT ON dmed_auditevent
    FOR EACH ROW EXECUTE FUNCTION dmed_audit_event_chain();
"""

PARTITION_AUDIT = (
    FUNCTIONS
    + """
DROP TRIGGER dmed_audit_event_chain ON dmed_auditevent;
DROP TRIGGER dmed_audit_event_append_only ON dmed_auditevent;
DROP FUNCTION dmed_audit_chain_link(text, dmed_auditevent);
DROP FUNCTION dmed_audit_event_text(dmed_auditevent);
-- Unique per partition instead (dmed_month_partition), which is unique everywhere here.
ALTER TABLE dmed_auditevent DROP CONSTRAINT audit_chain_place;
-- A chain's day is its row's Tashkent day, so a chain never spans two partitions.
ALTER TABLE dmed_auditevent ADD CONSTRAINT audit_chain_day_is_the_day
    CHECK (chain_day = (occurred_at AT TIME ZONE 'Asia/Tashkent')::date);
SELECT dmed_convert_to_partitioned('dmed_auditevent', 'occurred_at');
REVOKE ALL ON FUNCTION dmed_month_partition(text, date) FROM PUBLIC;
REVOKE ALL ON FUNCTION dmed_drop_month_partition(text, date) FROM PUBLIC;
REVOKE ALL ON FUNCTION dmed_convert_to_partitioned(text, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION dmed_partition_unique_indexes(text, text) FROM PUBLIC;
"""
    + CHAIN_FUNCTIONS
    + AUDIT_TRIGGERS
)

# Back to one table, rows untouched, by the same steps reversed.
UNPARTITION_AUDIT = (
    """
DROP TRIGGER dmed_audit_event_chain ON dmed_auditevent;
DROP TRIGGER dmed_audit_event_append_only ON dmed_auditevent;
DROP FUNCTION dmed_audit_chain_link(text, dmed_auditevent);
DROP FUNCTION dmed_audit_event_text(dmed_auditevent);
ALTER TABLE dmed_auditevent RENAME TO dmed_auditevent_partitioned;
CREATE TABLE dmed_auditevent (LIKE dmed_auditevent_partitioned INCLUDING DEFAULTS
                              INCLUDING STORAGE INCLUDING COMMENTS);
ALTER TABLE dmed_auditevent ALTER id DROP DEFAULT;
ALTER TABLE dmed_auditevent ALTER id ADD GENERATED BY DEFAULT AS IDENTITY;
INSERT INTO dmed_auditevent SELECT * FROM dmed_auditevent_partitioned;
SELECT setval(pg_get_serial_sequence('dmed_auditevent', 'id'), last_value, is_called)
    FROM dmed_auditevent_id_seq;
DROP TABLE dmed_auditevent_partitioned;
ALTER TABLE dmed_auditevent ADD PRIMARY KEY (id);
ALTER TABLE dmed_auditevent ADD CONSTRAINT audit_chain_place
    UNIQUE (chain_day, chain_stripe, chain_seq);
ALTER TABLE dmed_auditevent ADD CONSTRAINT dmed_auditevent_actor_id_f00afd79_fk_dmed_user_id
    FOREIGN KEY (actor_id) REFERENCES dmed_user (id) DEFERRABLE INITIALLY DEFERRED;
CREATE INDEX dmed_auditevent_actor_id_f00afd79 ON dmed_auditevent (actor_id);
CREATE INDEX audit_patient_time ON dmed_auditevent (patient_med_id, occurred_at DESC)
    WHERE NOT (patient_med_id = '');
CREATE INDEX audit_actor_time ON dmed_auditevent (actor_id, occurred_at DESC);
CREATE INDEX audit_break_glass ON dmed_auditevent (occurred_at DESC) WHERE break_glass;
CREATE INDEX audit_time_brin ON dmed_auditevent USING brin (occurred_at);
"""
    + CHAIN_FUNCTIONS
    + AUDIT_TRIGGERS
    + """
DROP FUNCTION dmed_convert_to_partitioned(text, text);
DROP FUNCTION dmed_drop_month_partition(text, date);
DROP FUNCTION dmed_month_partition(text, date);
DROP FUNCTION dmed_partition_unique_indexes(text, text);
DROP FUNCTION dmed_month_start(date);
"""
)


class Migration(migrations.Migration):

    dependencies = [
        ("dmed", "0007_user_public_id"),
    ]

    # The model keeps `id` as its primary key and the chain place as a unique constraint:
    # the database holds both (the id from its sequence, the place per partition).
    operations = [migrations.RunSQL(PARTITION_AUDIT, UNPARTITION_AUDIT)]
