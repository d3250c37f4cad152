"""Prescriptions and dispensing receipts in the admin name their patient in the trail,
read with the rows (no query per row)."""


from dmed.models import AuditAction, AuditEvent
from prescriptions import services
from prescriptions.models import Dispensing


def _listed(object_type):
    return sorted(AuditEvent.objects.filter(object_type=object_type, action=AuditAction.LIST)
                  .values_list("object_id", "patient_med_id"))


def test_the_lists_record_each_prescription_and_receipt_with_its_patient(
        client, administrator, write, card, at_pharmacy, patient_check,
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
