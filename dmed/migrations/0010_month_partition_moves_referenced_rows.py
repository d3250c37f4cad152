"""A month made after some of its rows were written (the beat task down for months, rows
backdated) takes them out of DEFAULT even when other tables point at them: the foreign keys
into the partitioned table (a dispensing's lines and Idempotency-Key, a ticket sent on) are
dropped for the move and made again, checked over every row, in the same transaction.
Before this, such a month could not be made and the maintenance failed on it every night.
"""

from importlib import import_module

from django.db import migrations

MOVES_REFERENCED_ROWS = r"""
CREATE OR REPLACE FUNCTION dmed_month_partition(parent text, month date) RETURNS text
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
    referencing record;
    dropped text[] := '{}';
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
        -- A row other tables point at (a dispensing's lines and key, a ticket sent on)
        -- cannot leave DEFAULT while their keys stand, and the new month cannot take it
        -- before it is attached: each such key is dropped for the move and made again
        -- below, checked whole.
        FOR referencing IN
            SELECT conrelid::regclass::text AS tbl, conname, pg_get_constraintdef(oid) AS def
            FROM pg_constraint
            WHERE contype = 'f' AND confrelid = parent::regclass AND conparentid = 0
        LOOP
            EXECUTE format('ALTER TABLE %s DROP CONSTRAINT %I', referencing.tbl,
                           referencing.conname);
            dropped := dropped || format('ALTER TABLE %s ADD CONSTRAINT %I %s',
                                         referencing.tbl, referencing.conname, referencing.def);
        END LOOP;
        EXECUTE format('ALTER TABLE %I DISABLE TRIGGER USER', fallback);
        EXECUTE format('DELETE FROM %I WHERE %I >= %L AND %I < %L',
                       fallback, key, low, key, high);
        EXECUTE format('ALTER TABLE %I ENABLE TRIGGER USER', fallback);
    END IF;
    EXECUTE format('ALTER TABLE %I ATTACH PARTITION %I FOR VALUES FROM (%L) TO (%L)',
                   parent, name, low, high);
    PERFORM dmed_partition_unique_indexes(parent, name);
    FOR i IN 1 .. coalesce(array_length(dropped, 1), 0) LOOP
        EXECUTE dropped[i];
    END LOOP;
    -- Reached through the parent only, whose rights are checked there.
    EXECUTE format('REVOKE ALL ON %I FROM PUBLIC', name);
    RETURN name;
END;
$$;
"""

# Migration 0008's function, as it was.
MOVES_UNREFERENCED_ROWS = import_module("dmed.migrations.0008_partitioned_audit_trail") \
    .MONTH_PARTITION.replace("CREATE FUNCTION", "CREATE OR REPLACE FUNCTION", 1)


class Migration(migrations.Migration):
    dependencies = [
        ("dmed", "0009_epidemiologist_role"),
    ]

    operations = [migrations.RunSQL(MOVES_REFERENCED_ROWS, MOVES_UNREFERENCED_ROWS)]
