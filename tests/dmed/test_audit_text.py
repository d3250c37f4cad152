"""The chain's row text as one expression (dmed 0011) is, row for row, the text 0004 and
0008 hashed: chains written before the change still verify after it."""

from importlib import import_module

import pytest
from django.db import connection

from dmed.audit import record_audit_event
from dmed.audit_chain import verify_audit_chains
from dmed.models import AuditAction
from dmed.roles import Role

BEFORE = import_module("dmed.migrations.0008_partitioned_audit_trail").EVENT_TEXT.replace(
    "CREATE FUNCTION dmed_audit_event_text(", "CREATE FUNCTION pg_temp.event_text_before(", 1)


@pytest.mark.django_db
def test_every_row_reads_as_it_did_and_the_chains_hold(make_user):
    clinician = make_user(Role.CLINICIAN)
    record_audit_event(actor=clinician, action=AuditAction.VIEW, object_type="patients.card",
                       object_id="1", patient_med_id="10000001")
    # No actor, no address; a reason in Cyrillic with a separator and a colon in it.
    record_audit_event(actor=None, action=AuditAction.VIEW,
                       object_type="prescriptions.prescription", object_id="238DZBWU2",
                       reason="Бемор | рецепт: 1 ✓")
    with connection.cursor() as cursor:
        cursor.execute(BEFORE)
        cursor.execute("SELECT count(*), count(*) FILTER (WHERE dmed_audit_event_text(e) "
                       "IS DISTINCT FROM pg_temp.event_text_before(e)) FROM dmed_auditevent e")
        rows, different = cursor.fetchone()
    assert rows >= 2 and different == 0
    assert verify_audit_chains().first_break is None
