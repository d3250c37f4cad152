"""RelatedPerson: the parents and guardians who see a patient's card, read and searched
per patient under the demographics section of the need-to-know matrix."""

from datetime import date

import pytest

from dmed.models import AuditEvent
from dmed.roles import Role
from fhir import mapping
from patients.models import Representation
from tests.factories import UserFactory
from tests.fhir.conftest import Fhir, make_system_client, token_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def mother():
    return UserFactory(role=Role.PATIENT, last_name="Karimova", first_name="Dilnoza",
                       middle_name="Akmalovna", phone="+998901112233")


def test_a_childs_representatives_past_and_present(fhir, card, mother):
    now = Representation.objects.create(card=card, representative=mother, basis="mother",
                                        valid_from=date(2020, 1, 1))
    guardian = Representation.objects.create(
        card=card, representative=UserFactory(role=Role.PATIENT), basis="guardianship 12/3",
        valid_from=date(2018, 5, 1), valid_to=date(2019, 12, 31))
    bundle = fhir.get("RelatedPerson", {"patient": f"Patient/{card.med_id}"}).json()
    found = [entry["resource"] for entry in bundle["entry"]]
    assert [r["id"] for r in found] == [mapping.related_person_id(guardian),
                                        mapping.related_person_id(now)]
    assert [r["active"] for r in found] == [False, True]
    read = fhir.get(f"RelatedPerson/{mapping.related_person_id(now)}").json()
    assert read == found[1]
    assert read["patient"] == {"reference": f"Patient/{card.med_id}"}
    assert read["name"][0]["family"] == "Karimova"
    assert read["relationship"] == [{"text": "mother"}]
    assert read["telecom"] == [{"system": "phone", "value": "+998901112233"}]
    assert mother.username not in read["id"]  # named by the account's public ID
    assert AuditEvent.objects.filter(object_type="patients.representative", action="list",
                                     patient_med_id=card.med_id).exists()
    assert AuditEvent.objects.filter(object_type="patients.representative", action="view",
                                     object_id=read["id"]).exists()


@pytest.mark.parametrize("resource_id", [
    "not-an-id", "1234567890.00000000000000000000000000000000.20200101",
    "{med_id}.{person}.2020-13-01", "{med_id}.{person}.20200102"])
def test_ids_that_name_no_representation_are_404(fhir, card, mother, resource_id):
    Representation.objects.create(card=card, representative=mother, basis="mother",
                                  valid_from=date(2020, 1, 1))
    path = resource_id.format(med_id=card.med_id, person=mother.public_id.hex)
    assert fhir.get(f"RelatedPerson/{path}").status_code == 404


def test_a_laboratory_system_does_not_read_representatives(world, card, mother):
    Representation.objects.create(card=card, representative=mother, basis="mother")
    laboratory = make_system_client(role=Role.LAB_TECHNICIAN, facility=world.laboratory)
    refused = Fhir(token_for(laboratory)).get("RelatedPerson", {"patient": card.med_id})
    assert refused.status_code in (403, 404)
    assert AuditEvent.objects.filter(actor=laboratory.account, allowed=False,
                                     object_type="patients.representative").exists()
