"""Prescriptions and dispensing receipts in the admin name their patient in the trail,
read with the rows (no query per row), for the roles that see prescriptions; an
administrator's role does not, in the admin no more than on the pages."""

import pytest

from dmed.models import AuditAction, AuditEvent
from dmed.roles import Role
from prescriptions import services
from prescriptions.models import Dispensing, Prescription
from tests.factories import UserFactory

RECORD_LISTS = ["/admin/prescriptions/prescription/", "/admin/prescriptions/dispensing/",
                "/admin/clinics/laborder/", "/admin/clinics/labresult/"]


@pytest.fixture
def head_doctor(client, db):
    """A clinician with the admin (a polyclinic's head, say): their role sees prescriptions."""
    user = UserFactory(role=Role.CLINICIAN, is_staff=True, is_superuser=True)
    client.force_login(user)
    return user


def _listed(object_type):
    return sorted(AuditEvent.objects.filter(object_type=object_type, action=AuditAction.LIST)
                  .values_list("object_id", "patient_med_id"))


def test_the_lists_record_each_prescription_and_receipt_with_its_patient(
        client, head_doctor, write, card, at_pharmacy, patient_check,
        django_assert_max_num_queries):
    codes = [write(("Amoxicillin", 20)).code for _ in range(12)]
    for code in codes:
        services.dispense(by=at_pharmacy, code=code, patient_check=patient_check,
                          items=[{"item": 1, "quantity": 1}])

    with django_assert_max_num_queries(12):
        assert client.get("/admin/prescriptions/prescription/").status_code == 200
    assert _listed("prescriptions.prescription") == sorted((c, card.med_id) for c in codes)

    with django_assert_max_num_queries(12):
        assert client.get("/admin/prescriptions/dispensing/").status_code == 200
    receipts = Dispensing.objects.values_list("public_id", flat=True)
    assert _listed("prescriptions.dispensing") == sorted(
        (str(r), card.med_id) for r in receipts)


def test_an_administrator_is_refused_what_their_role_does_not_see(client, administrator, write):
    code = write(("Amoxicillin", 20)).code
    for path in RECORD_LISTS:
        assert client.get(path).status_code == 403, path
    prescription = Prescription.objects.get(code=code)
    assert client.get(f"/admin/prescriptions/prescription/{prescription.pk}/change/"
                      ).status_code == 403
    index = client.get("/admin/").content.decode()
    assert not [path for path in RECORD_LISTS if path in index]
    # Registries stay theirs.
    assert "/admin/prescriptions/drug/" in index
    assert not AuditEvent.objects.filter(actor=administrator).exclude(
        action=AuditAction.LOGIN).exists()
