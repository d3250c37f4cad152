"""Month partitions of the audit trail (dmed 0008, dmed/partitions.py): the maintenance
task across a month boundary, rows in the right months, the hash chain across partitions,
the audit trail never dropped, a past month detached for archiving, and the conversion of
a table that holds rows."""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import psycopg
import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone
from psycopg import sql

from dmed.audit_chain import verify_audit_chains
from dmed.models import AuditAction, AuditChainHead, AuditEvent
from dmed.partitions import detach_audit_month, maintain_partitions, month_partitions
from dmed.roles import Role

TASHKENT = ZoneInfo("Asia/Tashkent")


def event_at(moment, user=None, **fields):
    return AuditEvent.objects.create(occurred_at=moment, actor=user, action=AuditAction.VIEW,
                                     object_type="patients.card", **fields)


def partition_of(event) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT tableoid::regclass::text FROM dmed_auditevent WHERE id = %s",
                       [event.pk])
        return cursor.fetchone()[0]


def table_exists(name) -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass(%s) IS NOT NULL", [name])
        return cursor.fetchone()[0]


@pytest.mark.django_db
def test_the_task_near_a_month_end_makes_the_next_months_and_rows_land_in_their_month(
        make_user, settings):
    settings.PARTITION_MONTHS_AHEAD = 2
    user = make_user(Role.CLINICIAN)
    report = maintain_partitions(today=date(2031, 1, 31))
    assert {"dmed_auditevent_203101", "dmed_auditevent_203102",
            "dmed_auditevent_203103"} <= set(report.created)
    assert not table_exists("dmed_auditevent_203104")
    # Run again on the same day: nothing more to make.
    assert maintain_partitions(today=date(2031, 1, 31)).created == []

    # The boundary is Tashkent's midnight (19:00 UTC the day before).
    last_of_january = event_at(datetime(2031, 1, 31, 23, 59, 59, 999999, tzinfo=TASHKENT), user)
    first_of_february = event_at(datetime(2031, 2, 1, 0, 0, tzinfo=TASHKENT), user)
    assert partition_of(last_of_january) == "dmed_auditevent_203101"
    assert partition_of(first_of_february) == "dmed_auditevent_203102"
    assert (last_of_january.chain_day, first_of_february.chain_day) == (
        date(2031, 1, 31), date(2031, 2, 1))

    # Both chains, in two partitions, verify; a change in either is still found.
    report = verify_audit_chains()
    assert report.first_break is None and report.events >= 2
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("ALTER TABLE dmed_auditevent DISABLE TRIGGER dmed_audit_event_append_only")
        cursor.execute("UPDATE dmed_auditevent SET reason = 'edited' WHERE id = %s",
                       [first_of_february.pk])
        cursor.execute("ALTER TABLE dmed_auditevent ENABLE TRIGGER dmed_audit_event_append_only")
    assert verify_audit_chains().first_break.event_id == first_of_february.pk


@pytest.mark.django_db
def test_a_row_whose_month_has_no_partition_is_kept_and_moves_into_it_when_made(
        make_user, settings):
    settings.PARTITION_MONTHS_AHEAD = 0
    user = make_user(Role.CLINICIAN)
    early = event_at(datetime(2032, 7, 3, 10, tzinfo=TASHKENT), user)
    later = event_at(datetime(2032, 7, 3, 11, tzinfo=TASHKENT), user)
    assert partition_of(early) == "dmed_auditevent_default"
    assert not table_exists("dmed_auditevent_203207")

    report = maintain_partitions(today=date(2032, 7, 1))
    assert "dmed_auditevent_203207" in report.created
    assert {partition_of(early), partition_of(later)} == {"dmed_auditevent_203207"}
    # Moved as written: the chain triggers did not run again.
    moved = AuditEvent.objects.get(pk=later.pk)
    assert (moved.chain_seq, moved.chain_hash) == (later.chain_seq, later.chain_hash)
    assert verify_audit_chains(day=date(2032, 7, 3)).first_break is None
    # The chain goes on in the new partition, its place still unique.
    after = event_at(datetime(2032, 7, 3, 12, tzinfo=TASHKENT), user)
    assert partition_of(after) == "dmed_auditevent_203207"
    assert verify_audit_chains(day=date(2032, 7, 3)).first_break is None


@pytest.mark.django_db
def test_the_audit_trail_is_never_dropped_whatever_the_retention_says(settings):
    settings.PARTITION_RETENTION_MONTHS = {"dmed_auditevent": 0}
    maintain_partitions(today=date(2031, 1, 10))
    report = maintain_partitions(today=date(2031, 6, 10))
    assert report.dropped == []
    assert table_exists("dmed_auditevent_203101")
    with pytest.raises(Exception, match="only outbox months are dropped"):
        with connection.cursor() as cursor:
            cursor.execute("SELECT dmed_drop_month_partition('dmed_auditevent', '2031-01-01')")


@pytest.mark.django_db
def test_a_past_month_is_detached_with_its_chain_heads_and_the_rest_still_verifies(make_user):
    user = make_user(Role.CLINICIAN)
    maintain_partitions(today=date(2025, 3, 10))
    archived = [event_at(datetime(2025, 3, 5, 9, n, tzinfo=TASHKENT), user) for n in range(3)]
    kept = event_at(datetime(2025, 4, 2, 9, tzinfo=TASHKENT), user)

    call_command("detach_audit_partition", "2025-03")

    assert "dmed_auditevent_202503" not in month_partitions("dmed_auditevent").values()
    assert not AuditEvent.objects.filter(pk__in=[e.pk for e in archived]).exists()
    assert AuditEvent.objects.filter(pk=kept.pk).exists()
    assert not AuditChainHead.objects.filter(day=date(2025, 3, 5)).exists()
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM dmed_auditevent_202503")
        assert cursor.fetchone()[0] == 3
        cursor.execute("SELECT last_seq, last_hash FROM dmed_auditevent_202503_heads")
        assert cursor.fetchall() == [(archived[-1].chain_seq, archived[-1].chain_hash)]
    assert verify_audit_chains().first_break is None


@pytest.mark.django_db
def test_the_current_month_cannot_be_detached():
    with pytest.raises(ValueError, match="past month"):
        detach_audit_month(timezone.localdate())


@pytest.mark.django_db(transaction=True)
def test_the_application_role_runs_the_maintenance_but_cannot_touch_a_partition():
    role = settings.DATABASE_APP_ROLE
    assert role, "make test sets DATABASE_APP_ROLE (scripts/devservices.py)"
    current = sql.Identifier(
        month_partitions("dmed_auditevent")[timezone.localdate().replace(day=1)])
    params = connection.get_connection_params()
    params.pop("cursor_factory", None)
    params.pop("context", None)
    params.update(user=role, password=settings.DATABASE_APP_PASSWORD)
    with psycopg.connect(**params) as app:
        app.execute("SELECT dmed_month_partition('dmed_auditevent', '2033-05-01')")
        for statement in (sql.SQL("DELETE FROM {}").format(current),
                          sql.SQL("UPDATE {} SET reason = ''").format(current),
                          sql.SQL("DROP TABLE {}").format(current),
                          "SELECT dmed_drop_month_partition('dmed_auditevent', '2033-05-01')"):
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                with app.transaction():
                    app.execute(statement)
        app.rollback()


@pytest.mark.django_db(transaction=True)
def test_the_migration_partitions_a_trail_that_holds_rows_and_keeps_every_row_and_link():
    executor = MigrationExecutor(connection)
    executor.migrate([("dmed", "0007_user_public_id")])
    old = executor.loader.project_state([("dmed", "0007_user_public_id")]).apps
    user = old.get_model("dmed", "User").objects.create(username="partition-auditor",
                                                        role="clinician")
    Event = old.get_model("dmed", "AuditEvent")
    now = datetime.now(tz=TASHKENT)
    months_ago = [now - timedelta(days=days) for days in (70, 35, 0)]
    written = [Event.objects.create(occurred_at=moment, actor=user, action="view",
                                    patient_med_id="1000000001") for moment in months_ago]
    before = {e.pk: (e.occurred_at, e.chain_day, e.chain_seq, e.chain_hash)
              for e in Event.objects.all()}

    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())

    after = {e.pk: (e.occurred_at, e.chain_day, e.chain_seq, e.chain_hash)
             for e in AuditEvent.objects.all()}
    assert after == before
    months = month_partitions("dmed_auditevent")
    for event in written:
        month = event.occurred_at.astimezone(TASHKENT).date().replace(day=1)
        assert partition_of(event) == months[month]
    assert verify_audit_chains().first_break is None
    newer = AuditEvent.objects.create(actor_id=user.pk, action=AuditAction.VIEW)
    assert newer.pk > max(before)
    assert verify_audit_chains().first_break is None
