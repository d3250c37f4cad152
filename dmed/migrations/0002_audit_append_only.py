from django.db import migrations

FORBID = """
CREATE FUNCTION dmed_audit_event_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit events are append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$;

CREATE TRIGGER dmed_audit_event_append_only
    BEFORE UPDATE OR DELETE ON dmed_auditevent
    FOR EACH ROW EXECUTE FUNCTION dmed_audit_event_append_only();
"""

ALLOW = """
DROP TRIGGER dmed_audit_event_append_only ON dmed_auditevent;
DROP FUNCTION dmed_audit_event_append_only();
"""


class Migration(migrations.Migration):
    """The database itself refuses to change or remove an audit event.

    TRUNCATE stays possible for the table's owner (test databases are emptied that way);
    in production the web and worker roles should not own the table.
    """

    dependencies = [("dmed", "0001_initial")]

    operations = [migrations.RunSQL(FORBID, ALLOW)]
