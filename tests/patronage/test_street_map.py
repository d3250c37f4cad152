"""The nurse of a planned home visit follows the street map and the card: a street given to
another nurse, a street added or removed, a patient who moved house or to another
polyclinic. A visit handed over by hand, or already made, keeps its nurse; each visit moved
is audited; the move costs the same few queries however many visits move."""

import pytest
from django.utils import timezone

from dmed.models import AuditAction, AuditEvent
from dmed.roles import Role
from patients.services import change_attachment, update_card
from patronage import services
from patronage.models import PlannedVisit, PlanStatus, Reason, StreetAssignment
from tests.factories import FacilityFactory, UserFactory, staff_at
from tests.patients.factories import CardFactory

STREET = "Bunyodkor ko‘chasi"
STREETS = "/admin/patronage/streetassignment/"


@pytest.fixture
def nurse(polyclinic):
    return staff_at(polyclinic, Role.NURSE)


@pytest.fixture
def street(polyclinic, nurse):
    return StreetAssignment.objects.create(facility=polyclinic, street=STREET, nurse=nurse)


def planned(polyclinic, nurse, address=f"{STREET}, 4", due_in=0, **fields):
    card = CardFactory(attached_facility=polyclinic, street=address)
    due = timezone.localdate() + timezone.timedelta(days=due_in)
    return PlannedVisit.objects.create(card=card, reason=Reason.BEDRIDDEN, due_on=due,
                                       overdue_after=due, facility=polyclinic, nurse=nurse,
                                       **fields)


def nurse_of(visit):
    visit.refresh_from_db()
    return visit.nurse_id


def moved_events():
    return sorted(AuditEvent.objects.filter(object_type="patronage.visit",
                                            action=AuditAction.UPDATE)
                  .values_list("object_id", "patient_med_id"))


def test_a_street_given_to_another_nurse_takes_its_open_visits_with_it(
        client, administrator, polyclinic, nurse, street):
    successor = staff_at(polyclinic, Role.NURSE)
    open_visit = planned(polyclinic, nurse)
    by_hand = planned(polyclinic, nurse, assigned_by_hand=True)
    made = planned(polyclinic, nurse, status=PlanStatus.DONE)
    elsewhere = planned(polyclinic, nurse, address="Navoiy ko‘chasi, 1")

    response = client.post(f"{STREETS}{street.pk}/change/", {
        "facility": polyclinic.pk, "street": STREET, "nurse": successor.pk})
    assert response.status_code == 302
    assert nurse_of(open_visit) == successor.pk
    assert [nurse_of(v) for v in (by_hand, made)] == [nurse.pk, nurse.pk]
    # Navoiy is nobody's street now: its visit goes to nobody, for the polyclinic to assign.
    assert nurse_of(elsewhere) is None
    assert moved_events() == sorted([(str(open_visit.public_id), open_visit.card.med_id),
                                     (str(elsewhere.public_id), elsewhere.card.med_id)])
    event = AuditEvent.objects.get(object_id=str(open_visit.public_id))
    assert event.actor == administrator


def test_a_lane_added_and_removed_moves_only_its_own_houses(client, administrator,
                                                             polyclinic, nurse, street):
    lane_nurse = staff_at(polyclinic, Role.NURSE)
    on_street, on_lane = planned(polyclinic, nurse), planned(polyclinic, nurse,
                                                             address=f"{STREET} 2-tor, 7")
    response = client.post(f"{STREETS}add/", {
        "facility": polyclinic.pk, "street": f"{STREET} 2-tor", "nurse": lane_nurse.pk})
    assert response.status_code == 302
    assert (nurse_of(on_street), nurse_of(on_lane)) == (nurse.pk, lane_nurse.pk)

    lane = StreetAssignment.objects.get(street=f"{STREET} 2-tor")
    assert client.post(f"{STREETS}{lane.pk}/delete/", {"post": "yes"}).status_code == 302
    # The street still covers its lane.
    assert (nurse_of(on_street), nurse_of(on_lane)) == (nurse.pk, nurse.pk)


def test_a_patient_who_moved_house_gets_the_nurse_of_their_new_street(polyclinic, nurse,
                                                                      street):
    other_nurse = staff_at(polyclinic, Role.NURSE)
    StreetAssignment.objects.create(facility=polyclinic, street="Navoiy ko‘chasi",
                                    nurse=other_nurse)
    visit = planned(polyclinic, nurse)
    later = planned(polyclinic, nurse, due_in=30)
    registrar = staff_at(polyclinic, Role.REGISTRAR)
    update_card(actor=registrar, med_id=visit.card.med_id, street="Navoiy ko‘chasi, 12")
    assert nurse_of(visit) == other_nurse.pk
    assert nurse_of(later) == nurse.pk  # another patient's
    assert AuditEvent.objects.get(object_id=str(visit.public_id),
                                  action=AuditAction.UPDATE).actor == registrar

    # A correction that leaves the address as it was moves nothing.
    update_card(actor=registrar, med_id=visit.card.med_id, phone="+998901234567")
    assert nurse_of(visit) == other_nurse.pk
    assert AuditEvent.objects.filter(object_type="patronage.visit").count() == 1


def test_a_patient_attached_elsewhere_is_visited_by_that_polyclinic(polyclinic, nurse,
                                                                    street):
    visit = planned(polyclinic, nurse, assigned_by_hand=True)
    made = planned(polyclinic, nurse, status=PlanStatus.DONE)
    there = FacilityFactory()
    their_nurse = staff_at(there, Role.NURSE)
    StreetAssignment.objects.create(facility=there, street=STREET, nurse=their_nurse)
    change_attachment(actor=UserFactory(role=Role.ADMINISTRATOR), med_id=visit.card.med_id,
                      facility=there, family_doctor=None, reason="Moved house")
    visit.refresh_from_db()
    assert (visit.facility, visit.nurse, visit.assigned_by_hand) == (there, their_nurse,
                                                                     False)
    made.refresh_from_db()
    assert made.facility == polyclinic


def test_moving_a_street_costs_the_same_for_many_visits(polyclinic, nurse, street,
                                                        django_assert_max_num_queries):
    successor = staff_at(polyclinic, Role.NURSE)
    visits = [planned(polyclinic, nurse) for _ in range(30)]
    street.nurse = successor
    administrator = UserFactory(role=Role.ADMINISTRATOR)
    with django_assert_max_num_queries(10):
        services.map_street(actor=administrator, assignment=street)
    assert {nurse_of(v) for v in visits} == {successor.pk}
