"""The nurse's, registrar's, lab technician's, pharmacist's and patient's home pages: each
shows its own panels with the acting facility's (or the person's own) data, and no other."""

import uuid
from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from clinics.labs import services as lab_services
from clinics.labs.models import OrderPriority
from clinics.stays import services as stay_services
from dmed.models import AuditAction, AuditEvent
from dmed.roles import Role
from home.models import HomeVisit
from notifications.models import Message
from outbox.events import emit
from outbox.kinds import PRESCRIPTION_ISSUED
from prescriptions.services import dispense, issue_prescription, pharmacist_actor
from queues.models import AppointmentStatus, TicketStatus
from registry.models import FacilityKind
from tests.clinics.factories import BedFactory, VisitFactory, WardFactory
from tests.clinics.lab_helpers import lab_world, released_result
from tests.factories import FacilityFactory, StaffRecordFactory, UserFactory, staff_at
from tests.home.conftest import (
    appointment,
    home_page,
    home_queries,
    patient_at,
    patient_user,
    ticket,
)
from tests.prescriptions.conftest import drug
from tests.queues.factories import ServicePointFactory

pytestmark = pytest.mark.django_db


def _nurse_in(department):
    nurse = UserFactory(role=Role.NURSE)
    StaffRecordFactory(user=nurse, facility=department.facility, role=Role.NURSE,
                       department=department)
    return nurse


# --- nurse ---

def test_the_ward_nurse_sees_her_wards_patients_only(client):
    ward, other_ward = WardFactory(), WardFactory()
    hospital = ward.department.facility
    other_ward.department.facility = hospital
    other_ward.department.save()
    doctor = staff_at(hospital)
    here, there = (patient_at(hospital, first_name=name) for name in ("Palatada", "Boshqada"))
    stay = stay_services.admit(doctor, here, bed=BedFactory(ward=ward), admitting_diagnosis="J18.9")
    stay_services.admit(doctor, there, bed=BedFactory(ward=other_ward),
                        admitting_diagnosis="J18.9")
    page = home_page(client, _nurse_in(ward.department))
    assert reverse("clinics:stay", args=[stay.public_id]) in page
    assert "Boshqada" not in page
    assert "panel-rooms" not in page  # a hospital nurse has wards, not rooms


def test_the_polyclinic_nurse_sees_vitals_due_samples_and_todays_patients(client, world):
    nurse = staff_at(world.polyclinic, Role.NURSE)
    measured = VisitFactory(card=patient_at(world.polyclinic, first_name="Olchangan"),
                            clinician=world.doctor, pulse=72)
    due = VisitFactory(card=patient_at(world.polyclinic, first_name="Olchanmagan"),
                       clinician=world.doctor)
    VisitFactory(card=patient_at(world.other, first_name="Begona"),
                 clinician=world.other_doctor)
    laboratory = FacilityFactory(kind=FacilityKind.LABORATORY)
    sampled = patient_at(world.polyclinic, first_name="Qonolinadigan")
    lab_services.place_lab_order(actor=world.doctor, med_id=sampled.med_id,
                                 laboratory=laboratory, tests=["HGB"],
                                 priority=OrderPriority.URGENT)
    booked = patient_at(world.polyclinic, first_name="Yozilgan")
    appointment(world.room, booked, minutes=30)

    page = home_page(client, nurse)
    assert due.card.full_name in page and measured.card.full_name not in page
    assert "Begona" not in page
    assert 'data-testid="panel-samples"' in page and sampled.full_name in page
    assert 'data-testid="panel-rooms"' in page and booked.full_name in page
    assert "panel-room-queue" not in page and "panel-running-out" not in page


# --- registrar ---

def test_the_registrar_sees_the_facilitys_bookings_line_and_no_shows(client, world):
    registrar = staff_at(world.polyclinic, Role.REGISTRAR)
    booked = patient_at(world.polyclinic, first_name="Keladigan")
    missed = patient_at(world.polyclinic, first_name="Kelmagan")
    appointment(world.room, booked, minutes=60)
    appointment(world.room, missed, minutes=5, status=AppointmentStatus.NO_SHOW)
    ticket(world.room, patient_at(world.polyclinic), 1)
    ticket(world.room, patient_at(world.polyclinic), 2, status=TicketStatus.CALLED)
    appointment(world.other_room, patient_at(world.other, first_name="Begona"))

    page = home_page(client, registrar)
    assert 'data-testid="panel-bookings"' in page and booked.full_name in page
    no_shows = page[page.index('data-testid="panel-no-shows"'):]
    assert missed.full_name in no_shows and booked.full_name not in no_shows
    waiting = page[page.index('data-testid="panel-waiting"'):
                   page.index('data-testid="panel-no-shows"')]
    assert "1 waiting · 1 called" in waiting
    assert world.other_room.name not in page and "Begona" not in page
    # The line per point is live: its panel refreshes alone.
    client.force_login(registrar)
    fragment = client.get(reverse("home-panel", args=["waiting"]), HTTP_HX_REQUEST="true",
                          HTTP_ACCEPT_LANGUAGE="en")
    assert "1 waiting" in fragment.content.decode()


def test_the_registrars_page_is_flat_at_thirty_bookings(client, world):
    registrar = staff_at(world.polyclinic, Role.REGISTRAR)
    for point_number in range(3):
        ServicePointFactory(facility=world.polyclinic, name=f"Oyna {point_number}")

    def fill(start, end):
        for n in range(start, end):
            card = patient_at(world.polyclinic)
            appointment(world.room, card, minutes=n * 5,
                        status=AppointmentStatus.NO_SHOW if n % 2 else AppointmentStatus.BOOKED)
            ticket(world.room, card, n + 1)

    fill(0, 2)
    home_queries(client, registrar)
    few = home_queries(client, registrar)
    fill(2, 30)
    assert home_queries(client, registrar) == few


# --- lab technician ---

def test_the_lab_technician_sees_counts_by_urgency(client, world):
    lab = lab_world()
    for priority in (OrderPriority.URGENT, OrderPriority.ROUTINE, OrderPriority.ROUTINE):
        lab_services.place_lab_order(actor=lab.doctor, med_id=patient_at(lab.polyclinic).med_id,
                                     laboratory=lab.laboratory, tests=["HGB"],
                                     priority=priority)
    other_lab = lab_world()
    lab_services.place_lab_order(actor=other_lab.doctor,
                                 med_id=patient_at(other_lab.polyclinic).med_id,
                                 laboratory=other_lab.laboratory, tests=["HGB"],
                                 priority=OrderPriority.URGENT)
    page = home_page(client, lab.technician)
    assert 'data-testid="lab-urgent">1<' in page
    assert 'data-testid="lab-routine">2<' in page
    assert page.index('data-testid="lab-urgent"') < page.index('data-testid="lab-routine"')
    assert reverse("labs:worklist") in page
    assert "panel-bookings" not in page


# --- pharmacist ---

def _dispensed(doctor, card, pharmacist):
    prescription = issue_prescription(
        actor=doctor, patient=card.med_id, diagnosis="J06.9",
        items=[{"drug": drug("Amlodipine").pk, "quantity": 10, "dosage": "1 tablet",
                "frequency": "once a day", "route": "oral", "duration_days": 10}])
    dispensing, _new = dispense(by=pharmacist_actor(pharmacist), code=prescription.code,
                                patient_check=card.birth_date.strftime("%d.%m.%Y"),
                                items=[{"item": 1, "quantity": 10}])
    return dispensing


def test_the_pharmacist_has_the_code_box_first_and_the_days_dispensings(client, world):
    pharmacy = FacilityFactory(kind=FacilityKind.PHARMACY)
    other_pharmacy = FacilityFactory(kind=FacilityKind.PHARMACY)
    pharmacist, other = staff_at(pharmacy, Role.PHARMACIST), staff_at(other_pharmacy,
                                                                       Role.PHARMACIST)
    mine = _dispensed(world.doctor, patient_at(world.polyclinic), pharmacist)
    theirs = _dispensed(world.doctor, patient_at(world.polyclinic), other)
    page = home_page(client, pharmacist)
    assert page.index('data-testid="dispense-box"') < page.index('data-testid="panel-dispensings"')
    assert reverse("prescriptions:receipt", args=[mine.public_id]) in page
    assert str(theirs.public_id) not in page
    assert 'action="/pharmacy/"' in page


# --- patient ---

def _message(user, text):
    event = emit(PRESCRIPTION_ISSUED, {"med_id": user.patient_card.med_id, "code": "X"})
    return Message.objects.create(uuid=uuid.uuid4(), event=event, recipient=user,
                                  kind=PRESCRIPTION_ISSUED, language="uz", text=text)


def test_the_patient_sees_own_appointments_results_prescriptions_and_new_messages(
        client, world):
    lab = lab_world()
    user, card = patient_user(lab.polyclinic)
    stranger, strangers_card = patient_user(lab.polyclinic)
    point = ServicePointFactory(facility=lab.polyclinic)
    appointment(point, card, day=timezone.localdate() + timedelta(days=2))
    appointment(point, strangers_card, minutes=5,
                day=timezone.localdate() + timedelta(days=2))
    result = released_result(lab, card, "HGB", Decimal("121"))
    strangers = released_result(lab, strangers_card, "HGB", Decimal("99"))
    prescription = issue_prescription(
        actor=lab.doctor, patient=card.med_id, diagnosis="J06.9",
        items=[{"drug": drug("Amlodipine").pk, "quantity": 10, "dosage": "1 tablet",
                "frequency": "once a day", "route": "oral", "duration_days": 10}])
    _message(user, "Retseptingiz tayyor")
    _message(stranger, "Begona xabar")

    page = home_page(client, user)
    assert reverse("labs:result", args=[result.public_id]) in page
    assert str(strangers.public_id) not in page
    assert reverse("prescriptions:detail", args=[prescription.code]) in page
    assert "Retseptingiz tayyor" in page and "Begona xabar" not in page
    assert page.count(point.name) == 1  # the own appointment, not the stranger's
    assert "panel-room-queue" not in page and "panel-bookings" not in page

    # Within the sitting what was new stays new; in the next sitting it is old news.
    assert "Retseptingiz tayyor" in home_page(client, user)
    client.logout()
    page = home_page(client, user)
    assert "Retseptingiz tayyor" not in page
    assert reverse("labs:result", args=[result.public_id]) not in page
    assert reverse("prescriptions:detail", args=[prescription.code]) in page  # still ready


def test_the_patients_lists_are_audited_with_the_cards_shown(client, world):
    user, card = patient_user(world.polyclinic)
    appointment(ServicePointFactory(facility=world.polyclinic), card,
                day=timezone.localdate() + timedelta(days=1))
    home_page(client, user)
    assert AuditEvent.objects.filter(actor=user, action=AuditAction.LIST,
                                     object_type="queue.appointment",
                                     patient_med_id=card.med_id).exists()


# --- paging and refusals ---

def test_a_panel_pages_on_with_its_cursor_and_refuses_a_bad_one(client, world):
    registrar = staff_at(world.polyclinic, Role.REGISTRAR)
    cards = [patient_at(world.polyclinic) for _n in range(12)]
    for n, card in enumerate(cards):
        appointment(world.room, card, minutes=n * 5)
    client.force_login(registrar)
    page = client.get(reverse("home"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert cards[9].full_name in page and cards[11].full_name not in page
    first = client.get(reverse("home-panel", args=["bookings"]))
    cursor = first.context["panel"].data.page.next_cursor
    second = client.get(reverse("home-panel", args=["bookings"]), {"cursor": cursor},
                        HTTP_HX_REQUEST="true").content.decode()
    assert cards[11].full_name in second and cards[0].full_name not in second
    assert 'data-testid="count">12<' in second
    bad = client.get(reverse("home-panel", args=["bookings"]), {"cursor": "not-a-cursor"})
    assert bad.status_code == 400


def test_staff_without_a_post_and_unknown_panels_get_nothing(client, world):
    idle = UserFactory(role=Role.CLINICIAN)
    page = home_page(client, idle)
    assert 'data-testid="panels"' not in page
    assert client.get(reverse("home-panel", args=["open-visits"])).status_code == 404
    client.force_login(world.doctor)
    assert client.get(reverse("home-panel", args=["no-such-panel"])).status_code == 404
    assert client.get(reverse("home-panel", args=["bookings"])).status_code == 404


def test_the_nurses_and_patients_pages_are_flat_at_thirty_rows(client, world):
    lab = lab_world()
    nurse = staff_at(lab.polyclinic, Role.NURSE)
    user, card = patient_user(lab.polyclinic)
    point = ServicePointFactory(facility=lab.polyclinic)

    def fill(start, end):
        for n in range(start, end):
            other = patient_at(lab.polyclinic)
            VisitFactory(card=other, clinician=lab.doctor)
            lab_services.place_lab_order(actor=lab.doctor, med_id=other.med_id,
                                         laboratory=lab.laboratory, tests=["HGB"])
            appointment(point, card, minutes=n * 5,
                        day=timezone.localdate() + timedelta(days=n + 1))
            released_result(lab, card, "HGB", Decimal(110 + n))
            issue_prescription(
                actor=lab.doctor, patient=card.med_id, diagnosis="J06.9",
                items=[{"drug": drug("Amlodipine").pk, "quantity": 10, "dosage": "1 tablet",
                        "frequency": "once a day", "route": "oral", "duration_days": 10}])
            _message(user, f"Xabar {n}")

    def first_sitting(person) -> int:
        # Everything is new at a first visit: the patient's page reads all its rows.
        HomeVisit.objects.filter(user=person).delete()
        return home_queries(client, person)

    fill(0, 1)
    for person in (nurse, user):
        first_sitting(person)
    few = {person.pk: first_sitting(person) for person in (nurse, user)}
    fill(1, 30)
    for person in (nurse, user):
        assert first_sitting(person) == few[person.pk], person.role


def test_the_pharmacists_page_is_flat_at_thirty_dispensings(client, world):
    pharmacist = staff_at(FacilityFactory(kind=FacilityKind.PHARMACY), Role.PHARMACIST)
    _dispensed(world.doctor, patient_at(world.polyclinic), pharmacist)
    home_queries(client, pharmacist)
    few = home_queries(client, pharmacist)
    for _n in range(29):
        _dispensed(world.doctor, patient_at(world.polyclinic), pharmacist)
    assert home_queries(client, pharmacist) == few
