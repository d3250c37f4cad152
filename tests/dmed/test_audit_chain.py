"""The audit trail's hash chain, and the application's database role that may only read and
append to it."""

import psycopg
import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db import connection

from dmed.audit import record_audit_event
from dmed.audit_chain import verify_audit_chains
from dmed.models import AuditAction, AuditChainHead, AuditEvent
from dmed.roles import Role


def record_events(user, count):
    return [record_audit_event(actor=user, action=AuditAction.VIEW, object_type="patients.card",
                               object_id=str(n), patient_med_id=f"1000000{n}")
            for n in range(count)]


def as_owner(sql, params=()):
    """What only the tables' owner can do: edit rows behind the append-only trigger."""
    with connection.cursor() as cursor:
        # The actor's foreign key checks wait for the commit; ALTER TABLE must not.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("ALTER TABLE dmed_auditevent DISABLE TRIGGER dmed_audit_event_append_only")
        cursor.execute(sql, params)
        cursor.execute("ALTER TABLE dmed_auditevent ENABLE TRIGGER dmed_audit_event_append_only")


@pytest.mark.django_db
def test_each_event_is_linked_to_the_one_before_in_its_chain(make_user):
    events = record_events(make_user(Role.CLINICIAN), 5)
    places = [(e.chain_day, e.chain_stripe, e.chain_seq) for e in events]
    day, stripe, first = places[0]
    # One session writes one chain: consecutive places, and the head knows the last one.
    assert places == [(day, stripe, first + n) for n in range(5)]
    assert len({e.chain_hash for e in events}) == 5
    head = AuditChainHead.objects.get(day=day, stripe=stripe)
    assert (head.last_seq, head.last_hash) == (events[-1].chain_seq, events[-1].chain_hash)
    report = verify_audit_chains()
    assert report.first_break is None and report.events >= 5


@pytest.mark.django_db
def test_what_the_application_sends_for_the_chain_is_overwritten(make_user):
    event = AuditEvent.objects.create(action=AuditAction.VIEW, chain_seq=999,
                                      chain_hash="0" * 64)
    assert event.chain_seq != 999 and event.chain_hash != "0" * 64
    assert verify_audit_chains().first_break is None


@pytest.mark.django_db
def test_a_changed_row_is_found_as_the_first_break(make_user):
    events = record_events(make_user(Role.CLINICIAN), 4)
    as_owner("UPDATE dmed_auditevent SET reason = 'nothing to see' WHERE id = %s",
             [events[2].pk])
    found = verify_audit_chains().first_break
    assert (found.event_id, found.place) == (events[2].pk, events[2].chain_seq)
    assert found.kind == "hash" and str(events[2].pk) in found.describe()


@pytest.mark.django_db
def test_a_removed_row_is_found(make_user):
    events = record_events(make_user(Role.CLINICIAN), 4)
    as_owner("DELETE FROM dmed_auditevent WHERE id = %s", [events[1].pk])
    found = verify_audit_chains().first_break
    assert (found.event_id, found.kind) == (events[2].pk, "gap")


@pytest.mark.django_db
def test_rows_removed_from_the_end_of_a_chain_are_found_by_its_head(make_user):
    events = record_events(make_user(Role.CLINICIAN), 3)
    as_owner("DELETE FROM dmed_auditevent WHERE id = %s", [events[-1].pk])
    found = verify_audit_chains().first_break
    assert (found.event_id, found.kind) == (None, "end")
    assert (found.day, found.stripe, found.place) == (
        events[0].chain_day, events[0].chain_stripe, events[1].chain_seq)


@pytest.mark.django_db
def test_the_command_reports_intact_chains_and_fails_on_a_break(make_user, capsys):
    events = record_events(make_user(Role.CLINICIAN), 2)
    call_command("verify_audit_chain", day=events[0].chain_day.isoformat())
    assert "intact: 2 events in 1 chains" in capsys.readouterr().out
    as_owner("UPDATE dmed_auditevent SET allowed = false WHERE id = %s", [events[0].pk])
    with pytest.raises(CommandError, match=f" {events[0].pk}\\)"):
        call_command("verify_audit_chain")


@pytest.mark.django_db
def test_the_application_role_may_only_read_and_append_to_the_audit_trail():
    role = settings.DATABASE_APP_ROLE
    assert role, "make test sets DATABASE_APP_ROLE (scripts/devservices.py)"
    params = connection.get_connection_params()
    params.pop("cursor_factory", None)
    params.pop("context", None)
    params.update(user=role, password=settings.DATABASE_APP_PASSWORD)
    refused = {
        "UPDATE dmed_auditevent SET reason = 'rewritten'": "permission denied",
        "DELETE FROM dmed_auditevent": "permission denied",
        "TRUNCATE dmed_auditevent": "permission denied",
        "SET LOCAL session_replication_role = replica": "permission denied",
        "ALTER TABLE dmed_auditevent DISABLE TRIGGER dmed_audit_event_append_only":
            "must be owner",
        "ALTER TABLE dmed_auditevent DISABLE TRIGGER ALL": "must be owner",
        "DROP TRIGGER dmed_audit_event_chain ON dmed_auditevent": "must be owner",
        "DROP TABLE dmed_auditevent": "must be owner",
        "UPDATE dmed_auditchainhead SET last_seq = 0": "permission denied",
        "DELETE FROM dmed_auditchainhead": "permission denied",
        "SELECT setval('dmed_auditevent_id_seq', 1)": "permission denied",
        "CREATE TABLE dmed_shadow (id int)": "permission denied",
    }
    with psycopg.connect(**params) as app:
        assert app.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user"
                           ).fetchone() == (False,)
        # What the portal does every request is allowed.
        app.execute("INSERT INTO dmed_auditevent (occurred_at, actor_role, facility_code, "
                    "action, object_type, object_id, patient_med_id, reason, allowed, "
                    "break_glass, user_agent) VALUES (now(), '', '', 'view', '', '', '', '', "
                    "true, false, '')")
        assert app.execute("SELECT count(*) FROM dmed_auditevent").fetchone()[0] >= 1
        for statement, error in refused.items():
            with pytest.raises(psycopg.errors.InsufficientPrivilege, match=error):
                with app.transaction():
                    app.execute(statement)
        app.rollback()
