"""The clinician's home page: the room's live queue, today's appointments, open visits,
referrals to decide, repeat prescriptions running out; never another facility's."""

import pytest
from django.urls import reverse
from django.utils import timezone

from clinics.referrals.models import ReferralTarget
from clinics.referrals.services import refer
from dmed.models import AuditAction, AuditEvent
from prescriptions.models import Prescription
from prescriptions.services import issue_prescription
from queues.models import AppointmentStatus, TicketStatus
from tests.clinics.factories import VisitFactory
from tests.factories import staff_at
from tests.home.conftest import appointment, home_page, home_queries, patient_at, ticket
from tests.prescriptions.conftest import add_chronic, drug

pytestmark = pytest.mark.django_db


def test_the_room_queue_shows_called_waiting_and_checked_in_and_opens_the_patient(
        client, world):
    called, walk_in, booked = (patient_at(world.polyclinic, first_name=name)
                               for name in ("Chaqirilgan", "Navbatdagi", "Yozilgan"))
    ticket(world.room, called, 1, status=TicketStatus.CALLED)
    ticket(world.room, walk_in, 2)
    ticket(world.room, booked, 3, appointment=appointment(
        world.room, booked, minutes=10, status=AppointmentStatus.CHECKED_IN))
    elsewhere = patient_at(world.other, first_name="Begona")
    ticket(world.other_room, elsewhere, 1)

    page = home_page(client, world.doctor)
    assert 'data-testid="panel-room-queue"' in page
    assert 'data-testid="waiting-count">2<' in page
    for card in (called, walk_in, booked):
        assert reverse("patients:card", args=[card.med_id]) in page
    assert "Begona" not in page and elsewhere.med_id not in page
    assert reverse("queue:desk", args=[world.room.public_id]) in page
    # The appointment panel lists the checked-in booking with its ticket.
    assert "Checked in" in page


def test_the_live_queue_refreshes_and_audits_only_a_changed_line(client, world):
    ticket(world.room, patient_at(world.polyclinic), 1)
    client.force_login(world.doctor)
    url = reverse("home-panel", args=["room-queue"])
    for _refresh in range(3):
        response = client.get(url, HTTP_HX_REQUEST="true")
        assert response.status_code == 200
        assert "<html" not in response.content.decode()
    shown = AuditEvent.objects.filter(object_type="queue.ticket", action=AuditAction.LIST)
    assert shown.count() == 1  # three refreshes of the same line: one read on record
    ticket(world.room, patient_at(world.polyclinic), 2)
    client.get(url, HTTP_HX_REQUEST="true")
    assert shown.count() == 3  # a new patient in line: the line read again, two rows


def test_open_visits_are_the_clinicians_own_at_the_acting_facility(client, world):
    mine = VisitFactory(card=patient_at(world.polyclinic, first_name="Ochiq"),
                        clinician=world.doctor)
    colleagues = VisitFactory(card=patient_at(world.polyclinic, first_name="Hamkasb"),
                              clinician=staff_at(world.polyclinic))
    page = home_page(client, world.doctor)
    assert reverse("clinics:visit-edit", args=[mine.public_id]) in page
    assert colleagues.card.med_id not in page


def test_referrals_to_decide_reach_the_specialist_only(client, world):
    world.doctor.staff_records.update(specialty="Kardiolog")
    card = patient_at(world.polyclinic, first_name="Yuborilgan")
    refer(actor=staff_at(world.polyclinic), med_id=card.med_id,
          target=ReferralTarget.SPECIALIST, reason="Yurak shovqini", diagnosis_code="I10",
          to_clinician=world.doctor, to_facility=world.polyclinic)
    page = home_page(client, world.doctor)
    assert 'data-testid="panel-referrals"' in page and card.full_name in page
    assert card.full_name not in home_page(client, world.other_doctor)


def _chronic_last_issue(doctor, card, *, days_left: int):
    add_chronic(card, "I10")
    first = issue_prescription(
        actor=doctor, patient=card.med_id, diagnosis="I10",
        items=[{"drug": drug("Amlodipine").pk, "quantity": 30, "dosage": "1 tablet",
                "frequency": "once a day", "route": "oral", "duration_days": 30}])
    Prescription.objects.filter(pk=first.pk).update(
        valid_until=timezone.localdate() + timezone.timedelta(days=days_left))
    return first


def test_chronic_patients_whose_repeat_runs_out_within_a_week(client, world):
    soon = patient_at(world.polyclinic, first_name="Tugayapti")
    later = patient_at(world.polyclinic, first_name="Hali")
    _chronic_last_issue(world.doctor, soon, days_left=3)
    _chronic_last_issue(world.doctor, later, days_left=20)
    page = home_page(client, world.doctor)
    assert soon.full_name in page and later.full_name not in page
    # Renewed since: no longer to act on.
    _chronic_last_issue(world.doctor, soon, days_left=80)
    assert soon.full_name not in home_page(client, world.doctor)


def test_other_roles_panels_are_not_on_the_clinicians_page(client, world):
    page = home_page(client, world.doctor)
    for other in ("panel-waiting", "panel-no-shows", "panel-dispense", "panel-lab",
                  "panel-vitals", "panel-my-appointments"):
        assert other not in page
    client.force_login(world.doctor)
    assert client.get(reverse("home-panel", args=["dispensings"])).status_code == 404


def test_a_clinician_without_a_room_has_no_queue_panel(client, world):
    page = home_page(client, staff_at(world.polyclinic))
    assert "panel-room-queue" not in page and "panel-open-visits" in page


def test_the_clinicians_page_costs_the_same_with_one_patient_or_thirty(
        client, world, django_assert_max_num_queries):
    def fill(start, end):
        for n in range(start, end):
            card = patient_at(world.polyclinic)
            ticket(world.room, card, n + 1, appointment=appointment(
                world.room, card, minutes=n * 5, status=AppointmentStatus.CHECKED_IN))
            VisitFactory(card=card, clinician=world.doctor)
            _chronic_last_issue(world.doctor, card, days_left=2)

    fill(0, 1)
    home_queries(client, world.doctor)  # the first request of all fills the process's caches
    few = home_queries(client, world.doctor)
    fill(1, 30)
    assert home_queries(client, world.doctor) == few
    with django_assert_max_num_queries(few):
        client.get(reverse("home"))
