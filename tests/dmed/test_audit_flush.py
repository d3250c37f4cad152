"""Which audit rows commit without waiting for the disk's flush: a read's, written on its
own; never a write's, a refusal's, or one inside a transaction (dmed.audit)."""

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from dmed.audit import record_audit_event, record_list_event
from dmed.audit_chain import verify_audit_chains
from dmed.models import AuditAction, AuditEvent
from dmed.roles import Role

WITHOUT_WAITING = "set_config('synchronous_commit', 'off', true)"


def inserts(queries):
    return [q["sql"] for q in queries.captured_queries if "INSERT INTO" in q["sql"]]


def synchronous_commit() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SHOW synchronous_commit")
        return cursor.fetchone()[0]


@pytest.mark.django_db(transaction=True)
def test_a_read_on_its_own_commits_without_waiting_and_leaves_the_connection_as_it_was(
        make_user):
    doctor = make_user(Role.CLINICIAN)
    with CaptureQueriesContext(connection) as queries:
        event = record_audit_event(actor=doctor, action=AuditAction.VIEW,
                                   object_type="patients.card", object_id="1",
                                   patient_med_id="10000001")
        record_list_event(actor=doctor, action=AuditAction.SEARCH, object_type="patients.card",
                          shown=[("2", "10000002"), ("3", "10000003"), ("4", "10000004")])
    sent = inserts(queries)
    # One statement each, the list's rows in one, with no transaction around them.
    assert len(sent) == 2 and all(WITHOUT_WAITING in sql for sql in sent)
    assert not any(q["sql"] in {"BEGIN", "COMMIT"} for q in queries.captured_queries)
    # The setting was the statement's own transaction's: the connection (a pooled one, in
    # production) is back to waiting for the disk.
    assert synchronous_commit() == "on"
    rows = list(AuditEvent.objects.filter(actor=doctor).order_by("id"))
    assert [r.patient_med_id for r in rows] == ["10000001", "10000002", "10000003", "10000004"]
    assert rows[0].pk == event.pk and event.chain_hash == rows[0].chain_hash
    # Each row came back with its own place in the chain, and the chain holds.
    assert [r.chain_seq for r in rows] == [rows[0].chain_seq + n for n in range(4)]
    assert verify_audit_chains().first_break is None


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("fields", [
    {"action": AuditAction.CREATE},
    {"action": AuditAction.UPDATE},
    {"action": AuditAction.BREAK_GLASS},
    {"action": AuditAction.EXPORT},
    {"action": AuditAction.LOGIN},
    {"action": AuditAction.VIEW, "allowed": False},  # a refusal: evidence of probing
], ids=["create", "update", "break-glass", "export", "login", "refused-view"])
def test_writes_refusals_and_sign_ins_wait_for_the_disk(make_user, fields):
    doctor = make_user(Role.CLINICIAN)
    with CaptureQueriesContext(connection) as queries:
        record_audit_event(actor=doctor, object_type="patients.card", object_id="1",
                           patient_med_id="10000001", **fields)
    [sql] = inserts(queries)
    assert WITHOUT_WAITING not in sql


@pytest.mark.django_db(transaction=True)
def test_an_empty_list_is_unhurried_but_a_read_inside_a_transaction_is_not(make_user):
    doctor = make_user(Role.CLINICIAN)
    with CaptureQueriesContext(connection) as queries:
        record_list_event(actor=doctor, action=AuditAction.LIST, object_type="patients.card",
                          shown=[])
        with transaction.atomic():
            record_audit_event(actor=doctor, action=AuditAction.VIEW, object_id="1",
                               object_type="patients.card", patient_med_id="10000001")
    empty_list, inside = inserts(queries)
    assert WITHOUT_WAITING in empty_list
    # Inside a transaction the read commits with whatever else it holds, as it does.
    assert WITHOUT_WAITING not in inside


@pytest.mark.django_db(transaction=True)
def test_a_read_waits_for_the_disk_when_the_setting_says_so(make_user, settings):
    settings.AUDIT_READS_WAIT_FOR_DISK = True
    doctor = make_user(Role.CLINICIAN)
    with CaptureQueriesContext(connection) as queries:
        record_audit_event(actor=doctor, action=AuditAction.VIEW, object_type="patients.card",
                           object_id="1", patient_med_id="10000001")
    [sql] = inserts(queries)
    assert WITHOUT_WAITING not in sql
