"""The database keeps a closed visit as it was signed.

- A closed visit refuses UPDATE and DELETE; its diagnoses refuse INSERT, UPDATE, DELETE.
- A visit closes only with exactly one primary diagnosis (at most one is a unique index).
- Addenda are append-only and written only to closed visits.
"""

from django.db import migrations

FORBID = """
CREATE FUNCTION clinics_visit_closed_is_final() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF OLD.status = 'closed' THEN
        RAISE EXCEPTION 'visit % is closed and signed: % refused; write an addendum',
            OLD.public_id, TG_OP USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    IF TG_OP = 'UPDATE' AND NEW.status = 'closed' AND NOT EXISTS (
        SELECT 1 FROM clinics_visitdiagnosis d
        WHERE d.visit_id = NEW.id AND d.kind = 'primary'
    ) THEN
        RAISE EXCEPTION 'visit % cannot close without a primary diagnosis', NEW.public_id
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    IF TG_OP = 'DELETE' THEN
        RETURN OLD;
    END IF;
    RETURN NEW;
END;
$$;

CREATE TRIGGER clinics_visit_closed_is_final
    BEFORE UPDATE OR DELETE ON clinics_visit
    FOR EACH ROW EXECUTE FUNCTION clinics_visit_closed_is_final();

CREATE FUNCTION clinics_visit_diagnosis_of_open_visit() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    row_visit bigint := CASE WHEN TG_OP = 'DELETE' THEN OLD.visit_id ELSE NEW.visit_id END;
BEGIN
    IF EXISTS (SELECT 1 FROM clinics_visit v WHERE v.id = row_visit AND v.status = 'closed')
       OR (TG_OP = 'UPDATE' AND EXISTS (
            SELECT 1 FROM clinics_visit v WHERE v.id = OLD.visit_id AND v.status = 'closed'))
    THEN
        RAISE EXCEPTION 'diagnoses of a closed visit are final: % refused', TG_OP
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    IF TG_OP = 'DELETE' THEN
        RETURN OLD;
    END IF;
    RETURN NEW;
END;
$$;

CREATE TRIGGER clinics_visit_diagnosis_of_open_visit
    BEFORE INSERT OR UPDATE OR DELETE ON clinics_visitdiagnosis
    FOR EACH ROW EXECUTE FUNCTION clinics_visit_diagnosis_of_open_visit();

CREATE FUNCTION clinics_visit_addendum_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP <> 'INSERT' THEN
        RAISE EXCEPTION 'addenda are append-only: % refused', TG_OP
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    IF NOT EXISTS (SELECT 1 FROM clinics_visit v
                   WHERE v.id = NEW.visit_id AND v.status = 'closed') THEN
        RAISE EXCEPTION 'an addendum is written to a closed visit only'
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NEW;
END;
$$;

CREATE TRIGGER clinics_visit_addendum_append_only
    BEFORE INSERT OR UPDATE OR DELETE ON clinics_visitaddendum
    FOR EACH ROW EXECUTE FUNCTION clinics_visit_addendum_append_only();
"""

ALLOW = """
DROP TRIGGER clinics_visit_addendum_append_only ON clinics_visitaddendum;
DROP FUNCTION clinics_visit_addendum_append_only();
DROP TRIGGER clinics_visit_diagnosis_of_open_visit ON clinics_visitdiagnosis;
DROP FUNCTION clinics_visit_diagnosis_of_open_visit();
DROP TRIGGER clinics_visit_closed_is_final ON clinics_visit;
DROP FUNCTION clinics_visit_closed_is_final();
"""


class Migration(migrations.Migration):
    dependencies = [("clinics", "0005_visits_and_icd10")]

    operations = [migrations.RunSQL(FORBID, ALLOW)]
