"""Appointment (a card's bookings, for the patient's clinicians and the booked facility),
HealthcareService (service points) and Location (departments): the registries need only
the scope, appointments go through the queue's own access rule and audit."""

from datetime import timedelta

import pytest
from django.utils import timezone

from dmed.models import AuditEvent
from dmed.roles import Role
from queues.models import Appointment, ServicePointKind
from queues.selectors import APPOINTMENT_OBJECT
from tests.factories import DepartmentFactory, FacilityFactory
from tests.fhir.conftest import Fhir, make_system_client, token_for
from tests.queues.factories import ServicePointFactory

pytestmark = pytest.mark.django_db


def _ids(bundle):
    return [e["resource"]["id"] for e in bundle.get("entry", [])]


@pytest.fixture
def room(world):
    return ServicePointFactory(facility=world.polyclinic, kind=ServicePointKind.DOCTOR_ROOM,
                               practitioner=world.doctor, name="Oilaviy shifokor", room="214")


def _book(room, card, *, days: int, status="booked"):
    starts = timezone.now().replace(microsecond=0) + timedelta(days=days)
    return Appointment.objects.create(service_point=room, card=card, starts_at=starts,
                                      ends_at=starts + timedelta(minutes=15),
                                      day=timezone.localtime(starts).date(), status=status,
                                      booked_by=room.practitioner)


def test_a_cards_appointments_by_status_and_date(fhir, world, card, room):
    past = _book(room, card, days=-3, status="no_show")
    coming = _book(room, card, days=2)
    bundle = fhir.get("Appointment", {"patient": card.med_id}).json()
    assert _ids(bundle) == [str(coming.public_id), str(past.public_id)]
    booked = bundle["entry"][0]["resource"]
    assert booked["status"] == "booked"
    actors = [p["actor"]["reference"] for p in booked["participant"]]
    assert actors == [f"Patient/{card.med_id}", f"HealthcareService/{room.public_id}",
                      f"Practitioner/{world.doctor.public_id.hex}"]
    missed = fhir.get("Appointment", {"patient": card.med_id, "status": "noshow"}).json()
    assert _ids(missed) == [str(past.public_id)]
    ahead = fhir.get("Appointment", {"patient": card.med_id,
                                     "date": f"ge{timezone.localdate().isoformat()}"}).json()
    assert _ids(ahead) == [str(coming.public_id)]
    assert fhir.get("Appointment", {"patient": card.med_id,
                                    "status": "waitlist"}).status_code == 400
    assert fhir.get(f"Appointment/{coming.public_id}").json()["id"] == str(coming.public_id)
    assert AuditEvent.objects.filter(patient_med_id=card.med_id, action="list",
                                     object_type=APPOINTMENT_OBJECT).exists()
    assert AuditEvent.objects.filter(object_id=str(coming.public_id), action="view").exists()


def test_another_facilitys_system_does_not_find_an_appointment(world, card, room):
    booking = _book(room, card, days=1)
    other = Fhir(token_for(make_system_client(role=Role.CLINICIAN, facility=FacilityFactory())))
    assert other.get(f"Appointment/{booking.public_id}").status_code == 404
    assert other.get("Appointment", {"patient": card.med_id}).status_code == 403
    assert AuditEvent.objects.filter(object_id=str(booking.public_id), allowed=False).exists()


def test_service_points_and_departments_read_as_services_and_locations(fhir, world, room):
    desk = ServicePointFactory(facility=world.polyclinic, name="Registratura")
    ServicePointFactory(name="Elsewhere")
    ServicePointFactory(facility=world.polyclinic, name="Closed", is_active=False)
    services = fhir.get("HealthcareService",
                        {"organization": f"Organization/{world.polyclinic.code}"}).json()
    assert _ids(services) == [str(room.public_id), str(desk.public_id)]
    service = fhir.get(f"HealthcareService/{room.public_id}").json()
    assert service["providedBy"]["reference"] == f"Organization/{world.polyclinic.code}"
    assert service["name"] == "Oilaviy shifokor"
    ward = DepartmentFactory(facility=world.polyclinic, code="CARD", name="Kardiologiya")
    DepartmentFactory(code="CARD")
    location = fhir.get(f"Location/{world.polyclinic.code}.CARD").json()
    assert location["name"] == "Kardiologiya"
    assert location["managingOrganization"]["reference"] == (
        f"Organization/{world.polyclinic.code}")
    found = fhir.get("Location", {"organization": world.polyclinic.code, "name": "kardio"})
    assert _ids(found.json()) == [f"{world.polyclinic.code}.{ward.code}"]
    assert fhir.get("Location/NOPE.X").status_code == 404
    assert fhir.get("HealthcareService/not-a-uuid").status_code == 404
