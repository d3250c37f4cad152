"""manage.py generate_prescriptions: signed prescriptions and dispensings, set-based, valid
as the services write them."""

from io import StringIO

import pytest
from django.core.management import call_command

from clinics.visits.models import Visit
from dmed.audit_chain import verify_audit_chains
from dmed.models import AuditAction, AuditEvent
from prescriptions import qr
from prescriptions.models import Dispensing, ItemStatus, Prescription, PrescriptionStatus
from prescriptions.selectors import PRESCRIPTION_OBJECT, signature_is_valid
from tests.patients.factories import CardFactory


@pytest.mark.django_db
def test_prescriptions_are_signed_and_dispensings_settle_them(polyclinic, doctor, pharmacist):
    CardFactory.create_batch(5, attached_facility=polyclinic)
    call_command("generate_visits", years=1, per_year=3, seed=3, stdout=StringIO())
    out = StringIO()
    call_command("generate_prescriptions", share=1, dispensed=0.5, seed=4, batch=4, stdout=out)
    assert "rows/s" in out.getvalue()
    prescriptions = list(Prescription.objects.select_related(
        "patient", "prescriber", "facility", "signing_key", "visit")
        .prefetch_related("items__drug", "dispensings__lines"))
    assert len(prescriptions) == Visit.objects.count() > 0
    statuses = set()
    for rx in prescriptions:
        assert signature_is_valid(rx)
        read = qr.read(qr.encode(bytes(rx.qr_message)),
                       lambda kid, rx=rx: bytes(rx.signing_key.public_key))
        assert read.code == rx.code
        assert (rx.prescriber, rx.patient) == (doctor, rx.visit.card)
        items = list(rx.items.all())
        dispensings = list(rx.dispensings.all())
        statuses.add(rx.status)
        if rx.status == PrescriptionStatus.DISPENSED:
            assert [d.pharmacist for d in dispensings] == [pharmacist]
            assert all(i.status == ItemStatus.DISPENSED and i.dispensed_quantity == i.quantity
                       for i in items)
            assert sorted(line.item_id for line in dispensings[0].lines.all()) == sorted(
                i.pk for i in items)
        else:
            assert rx.status == PrescriptionStatus.ISSUED and not dispensings
            assert all(i.dispensed_quantity == 0 for i in items)
    assert statuses == {PrescriptionStatus.DISPENSED, PrescriptionStatus.ISSUED}
    events = AuditEvent.objects.filter(object_type=PRESCRIPTION_OBJECT)
    assert events.filter(action=AuditAction.CREATE, actor=doctor).count() == len(prescriptions)
    assert events.filter(action=AuditAction.UPDATE, actor=pharmacist).count() == (
        Dispensing.objects.count())
    assert verify_audit_chains().first_break is None
    # Every visit has its prescription: a second run adds none.
    call_command("generate_prescriptions", share=1, seed=5, stdout=StringIO())
    assert Prescription.objects.count() == len(prescriptions)
