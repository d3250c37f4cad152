"""Organization (facilities with their tax and insurance identifiers), Group (a facility's
attached population), Practitioner and PractitionerRole (staff and their posts):
registries, read by any client with the scope."""

import pytest

from dmed.models import AuditEvent
from fhir import identifiers
from tests.factories import FacilityFactory
from tests.fhir.conftest import Fhir, token_for

pytestmark = pytest.mark.django_db


def test_a_facility_reads_as_an_organization_with_tax_and_insurance_identifiers(fhir):
    parent = FacilityFactory(code="TSH-HQ", tax_id="200935935")
    facility = FacilityFactory(code="TSH-CHL-P12", tax_id="201234567", shif_code="OAA000024",
                               parent=parent, phone="+998712000000")
    organization = fhir.get("Organization/TSH-CHL-P12").json()
    assert organization["identifier"] == [
        identifiers.TAX_ID.as_fhir("201234567"), identifiers.SHIF.as_fhir("OAA000024")]
    assert organization["partOf"]["reference"] == "Organization/TSH-HQ"
    assert organization["contact"][0]["address"]["district"] == facility.district.code
    found = fhir.get("Organization", {"identifier": f"https://soliq.uz|{parent.tax_id}"})
    assert [e["resource"]["id"] for e in found.json()["entry"]] == ["TSH-HQ"]
    by_shif = fhir.get("Organization", {"identifier": f"{identifiers.SHIF.system}|OAA000024"})
    assert [e["resource"]["id"] for e in by_shif.json()["entry"]] == ["TSH-CHL-P12"]
    assert fhir.get("Organization/NOPE").status_code == 404


def test_a_group_reads_as_a_facilitys_attached_population(world, polyclinic_system, fhir):
    before = AuditEvent.objects.count()
    group = fhir.get(f"Group/{world.polyclinic.code}").json()
    organization = {"reference": f"Organization/{world.polyclinic.code}",
                    "display": world.polyclinic.name}
    assert group["id"] == world.polyclinic.code
    assert (group["type"], group["membership"]) == ("person", "definitional")
    assert group["name"] == world.polyclinic.name
    assert group["managingEntity"] == organization
    assert group["characteristic"] == [{"code": {"text": "attached to"},
                                        "valueReference": organization, "exclude": False}]
    assert "quantity" not in group and "member" not in group
    # A registry, as an Organization: read with the scope, no patient's data, no audit row.
    assert fhir.get(f"Organization/{world.polyclinic.code}").status_code == 200
    assert AuditEvent.objects.count() == before
    missing = fhir.get("Group/NO-SUCH-FACILITY")
    assert missing.status_code == 404
    assert missing.json()["resourceType"] == "OperationOutcome"
    assert fhir.get("Group").status_code == 404  # read, not searched
    narrow = Fhir(token_for(polyclinic_system, "system/Organization.rs"))
    refused = narrow.get(f"Group/{world.polyclinic.code}")
    assert refused.status_code == 403
    assert "Group" in refused.json()["issue"][0]["diagnostics"]
    assert Fhir(token_for(polyclinic_system, "system/Group.r")).get(
        f"Group/{world.polyclinic.code}").json() == group


def test_staff_read_as_practitioners_and_roles_not_the_system_accounts(
        fhir, world, polyclinic_system):
    record = world.doctor.staff_records.get()
    record.argos_id, record.specialty = "AR1000001", "Oilaviy shifokor"
    record.save()
    practitioner = fhir.get(f"Practitioner/{world.doctor.public_id.hex}").json()
    assert practitioner["identifier"] == [identifiers.ARGOS.as_fhir("AR1000001")]
    by_argos = fhir.get("Practitioner", {"identifier": f"{identifiers.ARGOS.system}|AR1000001"})
    assert [e["resource"]["id"] for e in by_argos.json()["entry"]] == [world.doctor.public_id.hex]
    roles = fhir.get("PractitionerRole", {"practitioner": f"Practitioner/"
                                          f"{world.doctor.public_id.hex}"}).json()
    role = roles["entry"][0]["resource"]
    assert role["organization"]["reference"] == f"Organization/{world.polyclinic.code}"
    assert role["specialty"] == [{"text": "Oilaviy shifokor"}]
    assert fhir.get(f"PractitionerRole/{role['id']}").json() == role
    assert fhir.get(f"Practitioner/{polyclinic_system.account.public_id.hex}").status_code == 404
    at_polyclinic = fhir.get("PractitionerRole", {"organization": world.polyclinic.code}).json()
    assert polyclinic_system.account.public_id.hex not in str(at_polyclinic)
    # People are named by their account's random public ID, never by their username.
    assert practitioner["id"] == world.doctor.public_id.hex
    assert fhir.get(f"Practitioner/{world.doctor.username}").status_code == 404
    nobody = fhir.get("PractitionerRole", {"practitioner": f"Practitioner/{world.doctor.username}"})
    assert nobody.status_code == 200 and not nobody.json().get("entry")
    assert "Clinician" in str(at_polyclinic)
