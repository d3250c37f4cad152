"""Patient/$everything: the card and each kind of record the client may search and its
role may see, a kind at a time in keyset pages, each kind audited as its own list."""

from decimal import Decimal
from urllib.parse import parse_qs, urlsplit

import pytest

from clinics.visits.models import VisitDiagnosis
from dmed.models import AuditEvent
from dmed.roles import Role
from patients.models import Allergy, Severity
from tests.clinics.factories import VisitFactory
from tests.clinics.lab_helpers import released_result
from tests.factories import FacilityFactory
from tests.fhir.conftest import Fhir, make_system_client, token_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def record(world, card):
    visits = [VisitFactory(card=card) for _ in range(3)]
    for visit in visits:
        VisitDiagnosis.objects.create(visit=visit, code_id="I10", kind="primary")
    released_result(world, card, "GLU", Decimal("5.1"), days_ago=1)
    Allergy.objects.create(card=card, substance="Latex", severity=Severity.MILD)
    return visits


def _walk(fhir, path, params):
    pages = []
    while True:
        bundle = fhir.get(path, params).json()
        pages.append([(e["resource"]["resourceType"], e["resource"]["id"])
                      for e in bundle["entry"]])
        following = [link["url"] for link in bundle["link"] if link["relation"] == "next"]
        if not following:
            return pages
        params = {key: values[0] for key, values in parse_qs(urlsplit(following[0]).query).items()}


def test_everything_pages_through_each_kind_of_record(fhir, card, record):
    pages = _walk(fhir, f"Patient/{card.med_id}/$everything", {"_count": "2"})
    found = [entry for page in pages for entry in page]
    kinds = [kind for kind, _id in found]
    assert kinds[0] == "Patient"
    assert kinds.count("Encounter") == 3 and kinds.count("Condition") == 3
    assert {"Observation", "AllergyIntolerance", "DiagnosticReport",
            "ServiceRequest"} <= set(kinds)
    assert len(found) == len(set(found))
    # A kind starts on a fresh page, and a page holds one kind (the card aside).
    assert all(len({kind for kind, _id in page if kind != "Patient"}) <= 1 for page in pages)
    assert AuditEvent.objects.filter(patient_med_id=card.med_id, action="list",
                                     object_type="patients.allergy").exists()


def test_everything_leaves_out_what_the_token_may_not_search(polyclinic_system, card, record):
    fhir = Fhir(token_for(polyclinic_system, scope="system/Patient.rs system/Encounter.rs"))
    pages = _walk(fhir, f"Patient/{card.med_id}/$everything", {"_count": "100"})
    assert {kind for page in pages for kind, _id in page} == {"Patient", "Encounter"}


def test_everything_leaves_out_what_the_role_does_not_see(world, card, record):
    registrar = make_system_client(role=Role.REGISTRAR, facility=world.polyclinic)
    fhir = Fhir(token_for(registrar))
    pages = _walk(fhir, f"Patient/{card.med_id}/$everything", {"_count": "100"})
    assert {kind for page in pages for kind, _id in page} <= {"Patient", "Appointment"}
    assert not AuditEvent.objects.filter(actor=registrar.account, allowed=False).exists()


def test_everything_is_refused_outside_scope(card, record):
    other = Fhir(token_for(make_system_client(role=Role.CLINICIAN, facility=FacilityFactory())))
    assert other.get(f"Patient/{card.med_id}/$everything").status_code == 403
    fhir_bad = other.get(f"Patient/{card.med_id}/$everything", {"_cursor": "Nope~x"})
    assert fhir_bad.status_code == 400
