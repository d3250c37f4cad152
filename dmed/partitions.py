"""Month partitions of the largest append-only tables (migration dmed 0008), kept by a beat
task and at every `migrate`.

Every partitioned table gets its partitions PARTITION_MONTHS_AHEAD months ahead of the
current Tashkent month, so a row always finds its month (and should one not, the table's
DEFAULT partition takes it and the month's partition, when made, takes its rows over).
Tables named in PARTITION_RETENTION_MONTHS (the outbox) lose the months older than their
retention, unless a month still holds work; the database function refuses the audit trail
whatever this setting says: it is kept as the law requires, and old months are detached
for archiving by hand (`manage.py detach_audit_partition`).
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from datetime import date

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from psycopg import sql

from dmed.audit_chain import verify_audit_chains

logger = logging.getLogger(__name__)
AUDIT_TABLE = "dmed_auditevent"
_MONTH_SUFFIX = re.compile(r"_(\d{4})(\d{2})$")


def month_start(day: date) -> date:
    return day.replace(day=1)


def add_months(month: date, count: int) -> date:
    index = month.year * 12 + month.month - 1 + count
    return date(index // 12, index % 12 + 1, 1)


@dataclass
class MaintenanceReport:
    created: list[str] = field(default_factory=list)
    dropped: list[str] = field(default_factory=list)


def partitioned_tables() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT partrelid::regclass::text FROM pg_partitioned_table "
                       "JOIN pg_class ON pg_class.oid = partrelid "
                       "WHERE NOT relispartition ORDER BY 1")
        return [name for (name,) in cursor.fetchall()]


def month_partitions(table: str) -> dict[date, str]:
    """The table's month partitions by month (its DEFAULT partition is not one)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT inhrelid::regclass::text FROM pg_inherits "
                       "WHERE inhparent = %s::regclass", [table])
        names = [name for (name,) in cursor.fetchall()]
    months = {}
    for name in names:
        found = _MONTH_SUFFIX.search(name)
        if found and name == f"{table}{found.group(0)}":
            months[date(int(found.group(1)), int(found.group(2)), 1)] = name
    return months


def maintain_partitions(*, today: date | None = None) -> MaintenanceReport:
    """Make the months ahead, drop the outbox months past their retention.

    Each month in its own transaction, so a partition's brief lock on its table is not held
    while the others are made.
    """
    this_month = month_start(today or timezone.localdate())
    report = MaintenanceReport()
    if connection.vendor != "postgresql":
        return report
    for table in partitioned_tables():
        for ahead in range(settings.PARTITION_MONTHS_AHEAD + 1):
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute("SELECT dmed_month_partition(%s, %s)",
                               [table, add_months(this_month, ahead)])
                if made := cursor.fetchone()[0]:
                    report.created.append(made)
    for table, months in settings.PARTITION_RETENTION_MONTHS.items():
        if table == AUDIT_TABLE:
            # The law keeps the trail: a setting naming it is a mistake, not an order (and
            # the database function would refuse it anyway).
            logger.error("PARTITION_RETENTION_MONTHS names the audit trail: ignored")
            continue
        oldest_kept = add_months(this_month, -months)
        for month, name in sorted(month_partitions(table).items()):
            if month >= oldest_kept:
                continue
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute("SELECT dmed_drop_month_partition(%s, %s)", [table, month])
                if cursor.fetchone()[0]:
                    report.dropped.append(name)
    return report


def detach_audit_month(month: date) -> str:
    """Takes one past month out of the audit trail, as its own table, for archiving.

    Its chains are verified first (a broken one is not archived silently), and their heads
    go with it into `<partition>_heads`, so the archive can be verified alone and the
    trail left behind still verifies end to end. Both tables stay in the database: pg_dump
    them, then drop them once the archive is verified. Run as the tables' owner (the
    application's role may not alter the trail).
    """
    month = month_start(month)
    if month >= month_start(timezone.localdate()):
        raise ValueError("only a past month of the audit trail can be detached")
    name = month_partitions(AUDIT_TABLE).get(month)
    if name is None:
        raise LookupError(f"the audit trail has no partition for {month:%Y-%m}")
    following = add_months(month, 1)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        for day in _chain_days(cursor, name):
            report = verify_audit_chains(day=day)
            if report.first_break:
                raise ChainBrokenError(report.first_break.describe())
        table, heads = sql.Identifier(name), sql.Identifier(f"{name}_heads")
        for statement in (
            sql.SQL("ALTER TABLE dmed_auditevent DETACH PARTITION {}").format(table),
            sql.SQL("CREATE TABLE {} AS SELECT * FROM dmed_auditchainhead "
                    "WHERE day >= %(first)s AND day < %(next)s").format(heads),
            sql.SQL("DELETE FROM dmed_auditchainhead "
                    "WHERE day >= %(first)s AND day < %(next)s"),
        ):
            cursor.execute(statement.as_string(connection.connection),
                           {"first": month, "next": following})
    return name


class ChainBrokenError(Exception):
    pass


def _chain_days(cursor, partition: str) -> list[date]:
    cursor.execute(sql.SQL("SELECT DISTINCT chain_day FROM {} ORDER BY 1").format(
        sql.Identifier(partition)).as_string(connection.connection))
    return [day for (day,) in cursor.fetchall()]
