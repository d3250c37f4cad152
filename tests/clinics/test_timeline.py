"""The card's timeline: every source merged newest first, keyset pages without gaps or
repeats, filters, scope, audit and a flat query count."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from clinics.labs import services as lab_services
from clinics.labs.models import LabResult
from clinics.models import Stay, StayDiagnosis
from clinics.referrals import services as referral_services
from clinics.referrals.models import Referral
from clinics.stays.models import StayStatus
from clinics.timeline.selectors import card_timeline
from clinics.visits import services as visit_services
from clinics.visits.models import Visit, VisitDiagnosis
from clinics.visits.selectors import visits_of_card
from dmed.models import AuditEvent
from dmed.roles import Role
from patients.services import merge_cards
from prescriptions.models import Drug, Prescription
from prescriptions.services import issue_prescription
from registry.models import FacilityKind
from tests.clinics.factories import VisitFactory
from tests.clinics.lab_helpers import lab_world, released_result
from tests.factories import FacilityFactory, UserFactory, staff_at
from tests.patients.factories import CardFactory
from tests.prescriptions.conftest import add_chronic

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    return lab_world()


@pytest.fixture
def card(world):
    return CardFactory(attached_facility=world.polyclinic, registered_at=world.polyclinic,
                       user=UserFactory(role=Role.PATIENT), birth_date=date(1970, 1, 1))


@pytest.fixture
def history(world, card):
    """12 released results and 12 referrals spread over 24 days, 3 visits with a
    diagnosis each, a hospital stay ended with a final diagnosis and one going on, two
    prescriptions (one a repeat series of three issues), and one unreleased result."""
    for day in range(12):
        released_result(world, card, "GLU", Decimal("5.0") + day, days_ago=2 * day + 1)
    for day in range(12):
        referral = referral_services.refer(
            actor=world.doctor, med_id=card.med_id, target="laboratory",
            to_facility=world.laboratory, diagnosis_code="E11.9", reason=f"Control {day}")
        Referral.objects.filter(pk=referral.pk).update(
            created_at=timezone.now() - timedelta(days=2 * day + 2))
    for day in range(3):
        # One open visit per clinician and card: the older ones were other doctors'.
        doctor = {"clinician": world.doctor} if day == 0 else {}
        visit = VisitFactory(card=card, **doctor,
                             opened_at=timezone.now() - timedelta(days=3 * day, hours=3))
        VisitDiagnosis.objects.create(visit=visit, code_id="E11.9", kind="primary")
    hospital = FacilityFactory(kind=FacilityKind.HOSPITAL)
    ended = Stay.objects.create(card=card, facility=hospital, admitted_by=world.doctor,
                                admitting_diagnosis_id="J18.9", status=StayStatus.DISCHARGED,
                                admitted_at=timezone.now() - timedelta(days=30),
                                discharged_at=timezone.now() - timedelta(days=25),
                                discharged_by=world.doctor, discharge_summary="Recovered.")
    StayDiagnosis.objects.create(stay=ended, code_id="J18.9", kind="primary")
    Stay.objects.create(card=card, facility=hospital, admitted_by=world.doctor,
                        admitting_diagnosis_id="I10",
                        admitted_at=timezone.now() - timedelta(hours=1))
    add_chronic(card, "E11.9")
    for repeats in (1, 3):
        items = [{"drug": Drug.objects.filter(inn="Metformin").first().pk, "quantity": 60,
                  "dosage": "500 mg"}]
        prescription = issue_prescription(actor=world.doctor, patient=card.med_id,
                                          diagnosis="E11.9", items=items, repeats=repeats,
                                          interval_days=30 if repeats > 1 else 0)
        Prescription.objects.filter(series_code=prescription.series_code).update(
            issued_at=timezone.now() - timedelta(days=10 + repeats))
    order = lab_services.place_lab_order(actor=world.doctor, med_id=card.med_id,
                                         laboratory=world.laboratory, tests=["HGB"])
    lab_services.enter_result(actor=world.technician, order_id=order.public_id,
                              test_code="HGB", value=Decimal(99), sampled_at=timezone.now())


def all_pages(user, med_id, **filters):
    entries, cursor = [], None
    while True:
        _access, page = card_timeline(user, med_id, cursor=cursor, limit=5, **filters)
        entries += page.entries
        cursor = page.next_cursor
        if cursor is None:
            return entries


@pytest.mark.usefixtures("history")
class TestTimeline:
    def test_pages_walk_every_entry_once_newest_first(self, world, card):
        entries = all_pages(world.doctor, card.med_id)
        # A visit's diagnoses are inside its line, not lines of their own.
        assert len(entries) == 32
        assert len({(e.key, e.pk) for e in entries}) == 32
        assert [e.when for e in entries] == sorted((e.when for e in entries), reverse=True)
        assert [e.group for e in entries[:4]] == ["stay", "visit", "lab_result", "referral"]
        assert "diagnoses: E11.9" in entries[1].detail
        # Every line links to its record.
        assert all(e.url for e in entries)
        visits = [e for e in entries if e.group == "visit"]
        assert [e.url for e in visits] == [f"/visits/{v.public_id}/" for v in
                                           Visit.objects.order_by("-opened_at")]
        stays = [e for e in entries if e.group == "stay"]
        assert [e.url for e in stays] == [f"/stays/{s.public_id}/" for s in
                                          Stay.objects.order_by("-admitted_at")]
        assert "J18.9" in [e.title[:5] for e in entries if e.key == "diagnosis_of_stay"]
        prescriptions = [e for e in entries if e.group == "prescription"]
        assert len(prescriptions) == 2 and all("Metformin" in e.title for e in prescriptions)
        assert "3 issues" in prescriptions[1].detail and "issues" not in prescriptions[0].detail
        # The unreleased result stays in the lab. (Its value, 99, is no mark to look for:
        # factory facility names such as "299-sonli poliklinika" hold it too.)
        unreleased = set(LabResult.objects.filter(released_at__isnull=True)
                         .values_list("pk", flat=True))
        shown = {e.pk for e in entries if e.group == "lab_result"}
        assert unreleased and not unreleased & shown
        assert shown == set(LabResult.objects.filter(released_at__isnull=False)
                            .values_list("pk", flat=True))

    def test_filters_by_kind_and_date(self, world, card):
        results = all_pages(world.doctor, card.med_id, groups=["lab_result"])
        assert len(results) == 12 and {e.group for e in results} == {"lab_result"}
        diagnoses = all_pages(world.doctor, card.med_id, groups=["diagnosis"])
        # The diagnosis filter shows the visits with theirs, and the stays' final ones.
        assert sorted(e.key for e in diagnoses) == ["diagnosis_of_stay"] + ["visit"] * 3
        since = timezone.localdate() - timedelta(days=6)
        recent = all_pages(world.doctor, card.med_id, since=since, groups=["lab_result",
                                                                          "referral"])
        assert {timezone.localtime(e.when).date() >= since for e in recent} == {True}
        assert len(recent) == 6
        until = timezone.localdate() - timedelta(days=20)
        old = all_pages(world.doctor, card.med_id, until=until)
        assert {timezone.localtime(e.when).date() <= until for e in old} == {True}

    def test_the_page_query_count_is_flat(self, client, world, card,
                                          django_assert_max_num_queries):
        client.force_login(world.doctor)
        # The clinical banner on top is a fixed few (allergies, problems and their catalogue
        # titles, medicines, vitals, a woman's pregnancy).
        with django_assert_max_num_queries(16):
            response = client.get(f"/patients/{card.med_id}/timeline/")
        assert response.content.decode().count('data-testid="timeline-') >= 24

    def test_the_patient_reads_their_own_timeline_and_it_is_audited(self, client, card):
        client.force_login(card.user)
        assert client.get(f"/patients/{card.med_id}/timeline/").status_code == 200
        assert AuditEvent.objects.filter(actor=card.user, object_type="clinics.timeline",
                                         patient_med_id=card.med_id).exists()

    def test_outsiders_are_refused(self, client, card):
        client.force_login(staff_at(FacilityFactory()))
        assert client.get(f"/patients/{card.med_id}/timeline/").status_code == 403
        stranger = UserFactory(role=Role.PATIENT)
        client.force_login(stranger)
        assert client.get(f"/patients/{card.med_id}/timeline/").status_code == 404
        assert AuditEvent.objects.filter(object_type="clinics.timeline", allowed=False).count() \
            == 2

    def test_a_bad_cursor_answers_400(self, client, world, card):
        client.force_login(world.doctor)
        response = client.get(f"/patients/{card.med_id}/timeline/?cursor=nonsense")
        assert response.status_code == 400


def test_records_signed_on_merged_cards_stay_in_the_persons_history(world, card):
    """A closed visit and a discharge are never rewritten, so they stay on the temporary
    card they were signed for; the timeline and lists follow merges, chains included."""
    temporary = CardFactory(attached_facility=world.polyclinic, status="temporary")
    visit = VisitFactory(card=temporary, clinician=world.doctor)
    visit_services.record_visit(world.doctor, visit.public_id,
                                diagnoses=[{"code": "S06.0", "kind": "primary"}])
    visit_services.close_visit(world.doctor, visit.public_id)
    second = CardFactory(attached_facility=world.polyclinic)
    admin = UserFactory(role=Role.ADMINISTRATOR)
    merge_cards(actor=admin, source_med_id=temporary.med_id, target_med_id=second.med_id)
    merge_cards(actor=admin, source_med_id=second.med_id, target_med_id=card.med_id)

    temporary.refresh_from_db()
    assert temporary.merged_into == card  # the earlier merge now points at the survivor
    entries = all_pages(world.doctor, card.med_id, groups=["visit", "diagnosis"])
    assert [e.pk for e in entries if e.key == "visit"] == [visit.pk]
    assert [e.detail for e in entries if e.key == "visit"] == ["closed and signed · "
                                                               "diagnoses: S06.0"]
    assert [v.pk for v in visits_of_card(world.doctor, card.med_id).results] == [visit.pk]
