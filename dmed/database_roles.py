"""The application's database role, and what it may do.

Two roles share the database: an owner that runs migrations and owns every table, and the
application's role that the web and worker processes connect as. After each `migrate` (run
as the owner) the application's role, named by settings.DATABASE_APP_ROLE, is granted plain
reads and writes on every table, except the audit trail, which it may only read and append
to, and the audit chain heads, which only the chain trigger (running as the owner) writes.
Not owning the tables, it cannot alter or truncate them or disable their triggers; not being
a superuser, it cannot set session_replication_role to skip them.
"""

from django.conf import settings
from django.db import connections
from psycopg import sql

from dmed.models import AuditChainHead, AuditEvent
from dmed.partitions import maintain_partitions

_MAINTENANCE_FUNCTIONS = ["dmed_month_partition(text, date)",
                          "dmed_drop_month_partition(text, date)"]


def grant_application_role(*, using: str = "default") -> None:
    role = settings.DATABASE_APP_ROLE
    if not role:
        return
    role_id = sql.Identifier(role)
    audit = sql.Identifier(AuditEvent._meta.db_table)
    heads = sql.Identifier(AuditChainHead._meta.db_table)
    statements = [
        sql.SQL("GRANT USAGE ON SCHEMA public TO {}"),
        sql.SQL("GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {}"),
        sql.SQL("GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {}"),
        sql.SQL("REVOKE UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER ON {audit} FROM {}"),
        sql.SQL("REVOKE INSERT, UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER ON {heads} "
                "FROM {}"),
    ]
    connection = connections[using]
    with connection.cursor() as cursor:
        composed = [statement.format(role_id, audit=audit, heads=heads)
                    for statement in statements]
        # Partitions (dmed/partitions.py) are reached through their parent, whose rights
        # hold there; the role has none on a partition itself, so it cannot delete from
        # an audit month directly. It may run the maintenance functions (they run as
        # their owner and refuse to drop the audit trail).
        cursor.execute("SELECT inhrelid::regclass::text FROM pg_inherits "
                       "JOIN pg_partitioned_table ON partrelid = inhparent")
        composed += [sql.SQL("REVOKE ALL ON {} FROM {}").format(sql.Identifier(name), role_id)
                     for (name,) in cursor.fetchall()]
        for function in _MAINTENANCE_FUNCTIONS:
            cursor.execute("SELECT to_regprocedure(%s)", [function])
            if cursor.fetchone()[0]:
                composed.append(sql.SQL("GRANT EXECUTE ON FUNCTION {} TO {}").format(
                    sql.SQL(function), role_id))
        for statement in composed:
            cursor.execute(statement.as_string(connection.connection))


def on_post_migrate(sender, using="default", **kwargs) -> None:
    if connections[using].vendor == "postgresql":
        # Every migrate also makes the months ahead (before the rights on them are set).
        if using == "default":
            maintain_partitions()
        grant_application_role(using=using)
