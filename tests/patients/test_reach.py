"""Finding a card outside scope by its exact identifier, and the head's review of
break-the-glass openings."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404

from dmed.models import AuditEvent
from dmed.roles import Role
from patients.access import CardAccessDenied, card_at_the_desk, check_card_access
from patients.identifiers import pinfl_check_digit
from patients.models import GrantReview
from patients.selectors import GLIMPSE_OBJECT
from patients.services import break_the_glass, review_break_glass, revoke_break_glass
from registry.models import StaffRecord
from tests.factories import FacilityFactory, staff_at
from tests.patients.factories import CardFactory

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
BIRTH = datetime.date(1985, 3, 12)


def _pinfl(serial: int) -> str:
    first13 = f"3{BIRTH:%d%m%y}264{serial:03d}"
    return first13 + pinfl_check_digit(first13)


@pytest.fixture
def registrar(polyclinic):
    return staff_at(polyclinic, Role.REGISTRAR)


@pytest.fixture
def elsewhere(db):
    """A card attached to another polyclinic: outside the fixtures' scope."""
    return CardFactory(last_name="Yusupova", first_name="Malika", birth_date=BIRTH,
                       pinfl=_pinfl(7))


@pytest.mark.django_db
@pytest.mark.parametrize("typed", ["med_id", "pinfl"])
def test_an_exact_identifier_outside_scope_says_the_card_exists(client, doctor, elsewhere,
                                                                  typed):
    client.force_login(doctor)
    page = client.get("/patients/", {"q": getattr(elsewhere, typed)}, **EN).content.decode()
    assert 'data-testid="glimpse"' in page
    assert "Y.M." in page and "1985" in page
    assert "Malika" not in page and "Yusupova" not in page and "12.03.1985" not in page
    assert 'data-testid="break-glass"' in page and 'data-testid="ticket-for-today"' not in page
    assert 'data-testid="register-new"' not in page
    event = AuditEvent.objects.get(object_type=GLIMPSE_OBJECT)
    assert (event.actor, event.patient_med_id) == (doctor, elsewhere.med_id)


@pytest.mark.django_db
def test_a_registrar_is_offered_todays_ticket_and_reaches_the_card_at_the_desk(
        client, registrar, doctor, elsewhere):
    client.force_login(registrar)
    page = client.get("/patients/", {"q": elsewhere.med_id}, **EN).content.decode()
    assert 'data-testid="ticket-for-today"' in page and 'data-testid="break-glass"' not in page
    assert f"/queue/walk-in/?med_id={elsewhere.med_id}" in page
    assert card_at_the_desk(registrar, elsewhere.med_id) == elsewhere
    with pytest.raises(PermissionDenied):
        card_at_the_desk(doctor, elsewhere.med_id)
    with pytest.raises(Http404):
        card_at_the_desk(registrar, "0000000000")


@pytest.mark.django_db
def test_names_and_partial_identifiers_still_show_only_cards_in_scope(client, doctor,
                                                                      elsewhere):
    client.force_login(doctor)
    for typed in ("Yusupova", elsewhere.pinfl[:10], elsewhere.med_id[:-1]):
        page = client.get("/patients/", {"q": typed}, **EN).content.decode()
        assert 'data-testid="glimpse"' not in page
        assert "No card you may open matches." in page
        assert 'data-testid="register-new"' in page
    assert not AuditEvent.objects.filter(object_type=GLIMPSE_OBJECT).exists()


@pytest.mark.django_db
def test_the_api_says_the_card_exists_outside_scope_and_others_learn_nothing(
        client, doctor, elsewhere, make_user):
    client.force_login(doctor)
    answer = client.get("/api/v1/patients/", {"search": elsewhere.med_id}).json()
    assert answer["results"] == []
    assert answer["outside_scope"] == {
        "med_id": elsewhere.med_id, "initials": "Y.M.", "birth_year": 1985,
        "can_break_glass": True, "can_issue_ticket": False}
    client.force_login(make_user(Role.PATIENT))
    answer = client.get("/api/v1/patients/", {"search": elsewhere.med_id}).json()
    assert answer["outside_scope"] is None


@pytest.fixture
def head(polyclinic):
    head = staff_at(polyclinic, Role.CLINICIAN)
    StaffRecord.objects.filter(user=head).update(is_head=True)
    return head


@pytest.mark.django_db
def test_the_head_confirms_or_refers_and_the_patient_reads_the_outcome(
        client, doctor, head, elsewhere, make_user):
    grant = break_the_glass(actor=doctor, med_id=elsewhere.med_id,
                            reason="Unconscious in the corridor, no documents")
    client.force_login(head)
    page = client.get("/break-glass/reviews/", **EN).content.decode()
    assert "Unconscious in the corridor" in page and elsewhere.med_id in page
    answer = client.post(f"/break-glass/reviews/{grant.public_id}/",
                         {"outcome": GrantReview.REFERRED, "note": "No emergency was logged"})
    assert answer.status_code == 302
    grant.refresh_from_db()
    assert (grant.review, grant.reviewed_by) == (GrantReview.REFERRED, head)
    with pytest.raises(ValidationError):  # reviewed once
        review_break_glass(actor=head, grant_id=grant.public_id,
                           outcome=GrantReview.JUSTIFIED, note="")

    patient = make_user(Role.PATIENT)
    elsewhere.user = patient
    elsewhere.save(update_fields=["user"])
    client.force_login(patient)
    page = client.get("/me/card/access/", **EN).content.decode()
    assert "referred for investigation — No emergency was logged" in page
    assert "reviewed a break-the-glass opening" in page


@pytest.mark.django_db
def test_only_the_head_of_the_grants_facility_reviews(client, doctor, elsewhere):
    grant = break_the_glass(actor=doctor, med_id=elsewhere.med_id,
                            reason="Brought in by ambulance, unknown history")
    with pytest.raises(PermissionDenied):
        review_break_glass(actor=doctor, grant_id=grant.public_id,
                           outcome=GrantReview.JUSTIFIED, note="")
    other_head = staff_at(FacilityFactory(), Role.CLINICIAN)
    StaffRecord.objects.filter(user=other_head).update(is_head=True)
    with pytest.raises(Http404):
        review_break_glass(actor=other_head, grant_id=grant.public_id,
                           outcome=GrantReview.JUSTIFIED, note="")
    with pytest.raises(ValidationError):
        review_break_glass(actor=other_head, grant_id=grant.public_id, outcome="fine",
                           note="")
    client.force_login(doctor)
    assert client.get("/break-glass/reviews/").status_code == 403
    assert AuditEvent.objects.filter(object_type="patients.break_glass_grant").count() == 0


@pytest.mark.django_db
def test_a_revoked_grant_no_longer_opens_the_card(doctor, head, elsewhere):
    grant = break_the_glass(actor=doctor, med_id=elsewhere.med_id,
                            reason="Collapsed at the pharmacy next door")
    assert check_card_access(doctor, elsewhere).break_glass is True
    revoke_break_glass(actor=head, grant_id=grant.public_id)
    with pytest.raises(CardAccessDenied):
        check_card_access(doctor, elsewhere)
    with pytest.raises(ValidationError):
        revoke_break_glass(actor=head, grant_id=grant.public_id)
