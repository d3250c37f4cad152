"""What one pharmacy API request costs, pinned: verify and dispense read with a fixed
number of queries whatever the number of items or lines, and check the prescriber's
signature once (bench/http_floor.py measures the speed that follows through HTTP)."""

import pytest
from django.urls import reverse

from prescriptions import signing
from prescriptions.models import PrescriptionItem
from prescriptions.services import create_pharmacy_api_key

pytestmark = pytest.mark.django_db
TEN = ("Amoxicillin", "Ibuprofen", "Loratadine", "Cetirizine", "Omeprazole", "Amlodipine",
       "Metformin", "Enalapril", "Atorvastatin", "Bisoprolol")
# The key; the patient-check lockout (wrong checks of the code and by the key, one query);
# the prescription locked with its patient, prescriber, facility and key; its
# items; the Idempotency-Key lookup; one UPDATE for every line; the prescription's
# status; the dispensing; its lines; the outbox event; the audit row; the answer's lines;
# and the savepoint and its release that stand for BEGIN and COMMIT inside a test.
DISPENSE_QUERIES = 14
# A retry: the key (a process reuses it for AUTH_CACHE_SECONDS, off in tests), the
# lockout, the lock, the items, the Idempotency-Key lookup, the audit row of the replay,
# the answer's lines, and the savepoint and its release.
RETRY_QUERIES = 9


@pytest.fixture
def as_pharmacy(api_client, pharmacy):
    _key, plain = create_pharmacy_api_key(pharmacy=pharmacy, name="till")
    api_client.credentials(HTTP_AUTHORIZATION=f"Api-Key {plain}")
    return api_client


@pytest.fixture
def signature_checks(monkeypatch):
    """Counts the Ed25519 verifications (the real ones still run)."""
    calls = []
    verify = signing.verify

    def counted(*args):
        calls.append(args)
        return verify(*args)

    monkeypatch.setattr(signing, "verify", counted)
    return calls


def test_verify_reads_in_five_queries_and_checks_the_signature_once(
        as_pharmacy, write, patient_check, signature_checks, django_assert_num_queries):
    prescription = write(*[(inn, 10) for inn in TEN])
    # The key, the patient-check lockout, the prescription with what it names, its items,
    # the audit row.
    with django_assert_num_queries(5):
        answer = as_pharmacy.get(reverse("api-pharmacy-prescription", args=[prescription.code]),
                                 {"patient_check": patient_check})
    assert answer.status_code == 200 and len(answer.json()["items"]) == 10
    assert len(signature_checks) == 1


@pytest.mark.parametrize("lines", [1, 10])
def test_dispense_costs_the_same_for_one_line_or_ten(as_pharmacy, write, patient_check, lines,
                                                     signature_checks,
                                                     django_assert_num_queries):
    prescription = write(*[(inn, 10) for inn in TEN])
    url = reverse("api-pharmacy-dispense", args=[prescription.code])
    body = {"patient_check": patient_check,
            "items": [{"item": line, "quantity": 4} for line in range(1, lines + 1)]}
    with django_assert_num_queries(DISPENSE_QUERIES):
        answer = as_pharmacy.post(url, body, format="json", HTTP_IDEMPOTENCY_KEY="once")
    assert answer.status_code == 201, answer.json()
    assert len(answer.json()["items"]) == lines and len(signature_checks) == 1
    assert sorted(PrescriptionItem.objects.filter(prescription=prescription)
                  .values_list("dispensed_quantity", flat=True)) == sorted(
        [4] * lines + [0] * (10 - lines))
    # A retry answers from the first dispensing: no updates, no signature check.
    with django_assert_num_queries(RETRY_QUERIES):
        again = as_pharmacy.post(url, body, format="json", HTTP_IDEMPOTENCY_KEY="once")
    assert again.json() == answer.json() and len(signature_checks) == 1
