"""Referrals: sending, deciding, the receiver's scope (granted and refused), API and audit."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.http import Http404
from django.utils import timezone

from clinics.referrals import selectors, services
from clinics.referrals.models import Referral, ReferralStatus, ReferralTarget, Urgency
from dmed.models import AuditAction, AuditEvent
from dmed.roles import Role
from patients.access import CardAccessDenied, card_for, visible_cards
from registry.models import FacilityKind
from tests.factories import (
    DepartmentFactory,
    FacilityFactory,
    StaffRecordFactory,
    UserFactory,
    staff_at,
)
from tests.patients.factories import CardFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def doctor(polyclinic):
    return staff_at(polyclinic)


@pytest.fixture
def card(polyclinic):
    return CardFactory(attached_facility=polyclinic, registered_at=polyclinic)


@pytest.fixture
def hospital():
    return FacilityFactory(kind=FacilityKind.HOSPITAL, name="Shahar shifoxonasi")


@pytest.fixture
def cardiologist(hospital):
    user = UserFactory(role=Role.CLINICIAN)
    StaffRecordFactory(user=user, facility=hospital, specialty="Kardiolog")
    return user


@pytest.fixture
def department(hospital):
    return DepartmentFactory(facility=hospital, code="CARD", name="Kardiologiya")


def refer_to(doctor, card, **target):
    target.setdefault("target", ReferralTarget.SPECIALIST)
    return services.refer(actor=doctor, med_id=card.med_id, reason="Uncontrolled hypertension",
                          diagnosis_code="i10", **target)


class TestSending:
    def test_a_referral_to_a_specialist_names_their_facility_and_a_month_of_validity(
            self, doctor, card, cardiologist, hospital):
        referral = refer_to(doctor, card, to_clinician=cardiologist)
        assert referral.to_facility == hospital and referral.diagnosis_id == "I10"
        assert referral.valid_until == timezone.localdate() + timedelta(days=30)
        assert AuditEvent.objects.filter(action=AuditAction.CREATE, patient_med_id=card.med_id,
                                         object_type="clinics.referral").exists()

    def test_urgency_shortens_validity(self, doctor, card, department):
        referral = refer_to(doctor, card, target=ReferralTarget.DEPARTMENT,
                            to_department=department, urgency=Urgency.EMERGENCY)
        assert referral.valid_until == timezone.localdate() + timedelta(days=1)

    @pytest.mark.parametrize(("target", "field"), [
        ({"target": ReferralTarget.SPECIALIST}, "to_clinician"),
        ({"target": ReferralTarget.DEPARTMENT}, "to_department"),
        ({"target": ReferralTarget.LABORATORY}, "to_facility"),
    ])
    def test_the_receiver_must_fit_the_kind_of_referral(self, doctor, card, target, field):
        with pytest.raises(ValidationError) as error:
            refer_to(doctor, card, **target)
        assert field in error.value.message_dict

    def test_bad_code_and_empty_reason_are_reported_per_field(self, doctor, card, cardiologist):
        with pytest.raises(ValidationError) as error:
            services.refer(actor=doctor, med_id=card.med_id, target="specialist",
                           to_clinician=cardiologist, reason=" ", diagnosis_code="hypertension")
        assert {"reason", "diagnosis_code"} <= set(error.value.message_dict)
        assert not Referral.objects.exists()

    def test_a_patient_outside_scope_cannot_be_referred(self, doctor, cardiologist):
        with pytest.raises(CardAccessDenied):
            refer_to(doctor, CardFactory(), to_clinician=cardiologist)

    def test_the_database_refuses_a_referral_whose_receiver_does_not_fit(
            self, doctor, card, cardiologist, department):
        referral = refer_to(doctor, card, to_clinician=cardiologist)
        with pytest.raises(IntegrityError), transaction.atomic():
            Referral.objects.filter(pk=referral.pk).update(to_department=department)
        with pytest.raises(IntegrityError), transaction.atomic():
            Referral.objects.filter(pk=referral.pk).update(status=ReferralStatus.DECLINED,
                                                           decided_by=doctor,
                                                           decided_at=timezone.now())


class TestScope:
    def test_an_active_referral_puts_the_patient_in_the_specialists_scope(
            self, doctor, card, cardiologist):
        with pytest.raises(CardAccessDenied):
            card_for(cardiologist, card.med_id)
        refer_to(doctor, card, to_clinician=cardiologist)
        assert card_for(cardiologist, card.med_id).break_glass is False
        assert list(visible_cards(cardiologist)) == [card]

    def test_a_department_referral_reaches_the_departments_clinicians_and_nurses_only(
            self, doctor, card, department, hospital):
        in_department = UserFactory(role=Role.NURSE)
        StaffRecordFactory(user=in_department, facility=hospital, department=department)
        elsewhere_in_hospital = staff_at(hospital)
        registrar = UserFactory(role=Role.REGISTRAR)
        StaffRecordFactory(user=registrar, facility=hospital, department=department)
        refer_to(doctor, card, target=ReferralTarget.DEPARTMENT, to_department=department)
        assert card_for(in_department, card.med_id)
        for outsider in (elsewhere_in_hospital, registrar):
            with pytest.raises(CardAccessDenied):
                card_for(outsider, card.med_id)

    def test_a_declined_referral_gives_no_scope(self, doctor, card, cardiologist):
        referral = refer_to(doctor, card, to_clinician=cardiologist)
        services.decide_referral(actor=cardiologist, referral_id=referral.public_id,
                                 accept=False, reason="Not my specialty; refer to nephrology")
        with pytest.raises(CardAccessDenied):
            card_for(cardiologist, card.med_id)
        assert not visible_cards(cardiologist).exists()

    def test_an_expired_referral_gives_no_scope_even_if_accepted(self, doctor, card,
                                                                 cardiologist):
        referral = refer_to(doctor, card, to_clinician=cardiologist)
        services.decide_referral(actor=cardiologist, referral_id=referral.public_id,
                                 accept=True)
        assert card_for(cardiologist, card.med_id)
        Referral.objects.filter(pk=referral.pk).update(
            valid_until=timezone.localdate() - timedelta(days=1))
        with pytest.raises(CardAccessDenied):
            card_for(cardiologist, card.med_id)

    def test_a_laboratory_referral_gives_lab_technicians_no_card(self, doctor, card):
        laboratory = FacilityFactory(kind=FacilityKind.LABORATORY)
        technician = staff_at(laboratory, Role.LAB_TECHNICIAN)
        refer_to(doctor, card, target=ReferralTarget.LABORATORY, to_facility=laboratory)
        assert [r.card for r in selectors.incoming_referrals(technician)] == [card]
        with pytest.raises(Http404):
            card_for(technician, card.med_id)


class TestDeciding:
    def test_only_the_receiver_decides_others_get_404(self, doctor, card, cardiologist):
        referral = refer_to(doctor, card, to_clinician=cardiologist)
        for outsider in (doctor, staff_at(FacilityFactory())):
            with pytest.raises(Http404):
                services.decide_referral(actor=outsider, referral_id=referral.public_id,
                                         accept=True)
        assert AuditEvent.objects.filter(actor=doctor, allowed=False,
                                         object_id=str(referral.public_id)).exists()
        referral.refresh_from_db()
        assert referral.status == ReferralStatus.SENT

    def test_declining_needs_a_reason_and_is_recorded(self, doctor, card, cardiologist):
        referral = refer_to(doctor, card, to_clinician=cardiologist)
        with pytest.raises(ValidationError):
            services.decide_referral(actor=cardiologist, referral_id=referral.public_id,
                                     accept=False)
        decided = services.decide_referral(actor=cardiologist, referral_id=referral.public_id,
                                           accept=False, reason="Needs nephrology")
        assert (decided.status, decided.decided_by) == (ReferralStatus.DECLINED, cardiologist)
        with pytest.raises(ValidationError):  # decided once
            services.decide_referral(actor=cardiologist, referral_id=referral.public_id,
                                     accept=True)

    def test_an_expired_referral_cannot_be_accepted(self, doctor, card, cardiologist):
        referral = refer_to(doctor, card, to_clinician=cardiologist)
        Referral.objects.filter(pk=referral.pk).update(
            valid_until=timezone.localdate() - timedelta(days=1))
        with pytest.raises(ValidationError):
            services.decide_referral(actor=cardiologist, referral_id=referral.public_id,
                                     accept=True)

    def test_the_incoming_list_is_only_for_receivers(self, doctor, card, cardiologist):
        refer_to(doctor, card, to_clinician=cardiologist)
        assert len(selectors.incoming_referrals(cardiologist)) == 1
        assert selectors.incoming_referrals(doctor) == []
        with pytest.raises(PermissionDenied):
            selectors.incoming_referrals(UserFactory(role=Role.PATIENT))


class TestCancelling:
    def test_the_referrer_cancels_with_a_reason_and_the_scope_ends(self, doctor, card,
                                                                  cardiologist):
        referral = refer_to(doctor, card, to_clinician=cardiologist)
        with pytest.raises(ValidationError) as refused:
            services.cancel_referral(actor=doctor, referral_id=referral.public_id, reason=" ")
        assert "reason" in refused.value.message_dict
        services.cancel_referral(actor=doctor, referral_id=referral.public_id,
                                 reason="Blood pressure controlled")
        referral.refresh_from_db()
        assert (referral.status, referral.cancelled_by) == (ReferralStatus.CANCELLED, doctor)
        assert selectors.incoming_referrals(cardiologist) == []
        with pytest.raises(CardAccessDenied):
            card_for(cardiologist, card.med_id)
        assert AuditEvent.objects.filter(object_id=str(referral.public_id),
                                         reason="Blood pressure controlled").exists()

    def test_a_colleague_of_the_referring_facility_may_cancel(self, polyclinic, doctor, card,
                                                             cardiologist):
        referral = refer_to(doctor, card, to_clinician=cardiologist)
        services.cancel_referral(actor=staff_at(polyclinic, Role.NURSE),
                                 referral_id=referral.public_id, reason="Moved away")
        assert Referral.objects.get().status == ReferralStatus.CANCELLED

    def test_the_receiver_and_strangers_get_404_and_the_refusal_is_audited(
            self, doctor, card, cardiologist):
        referral = refer_to(doctor, card, to_clinician=cardiologist)
        for outsider in (cardiologist, staff_at(FacilityFactory()),
                         UserFactory(role=Role.PATIENT)):
            with pytest.raises(Http404):
                services.cancel_referral(actor=outsider, referral_id=referral.public_id,
                                         reason="Not needed")
        assert Referral.objects.get().status == ReferralStatus.SENT
        assert AuditEvent.objects.filter(object_id=str(referral.public_id),
                                         allowed=False).count() == 3

    def test_only_an_open_referral_is_cancelled(self, doctor, card, cardiologist):
        referral = refer_to(doctor, card, to_clinician=cardiologist)
        services.decide_referral(actor=cardiologist, referral_id=referral.public_id,
                                 accept=False, reason="Seen last week")
        with pytest.raises(ValidationError) as refused:
            services.cancel_referral(actor=doctor, referral_id=referral.public_id,
                                     reason="Not needed")
        assert "status" in refused.value.message_dict

    def test_the_database_wants_who_and_why_of_a_cancellation(self, doctor, card,
                                                             cardiologist):
        referral = refer_to(doctor, card, to_clinician=cardiologist)
        with pytest.raises(IntegrityError), transaction.atomic():
            Referral.objects.filter(pk=referral.pk).update(status=ReferralStatus.CANCELLED)

    def test_the_card_page_lists_referrals_and_cancels(self, client, doctor, card,
                                                       cardiologist,
                                                       django_assert_max_num_queries):
        for _ in range(12):
            referral = refer_to(doctor, card, to_clinician=cardiologist)
        client.force_login(doctor)
        url = f"/patients/{card.med_id}/referrals/"
        with django_assert_max_num_queries(12):
            page = client.get(url).content.decode()
        assert page.count('data-testid="cancel-referral"') == 12
        response = client.post(f"{url}{referral.public_id}/cancel/", {"reason": "Duplicate"})
        assert response.status_code == 302 and response.url == url
        assert Referral.objects.filter(status=ReferralStatus.CANCELLED).count() == 1
        client.force_login(cardiologist)  # the receiver reads the card, cannot cancel
        assert 'data-testid="cancel-referral"' not in client.get(url).content.decode()

    def test_api_cancel(self, api_client, doctor, card, cardiologist):
        referral = refer_to(doctor, card, to_clinician=cardiologist)
        url = f"/api/v1/referrals/{referral.public_id}/cancel/"
        api_client.force_authenticate(cardiologist)
        assert api_client.post(url, {"reason": "x"}, format="json").status_code == 404
        api_client.force_authenticate(doctor)
        bad = api_client.post(url, {}, format="json")
        assert bad.status_code == 400 and "reason" in bad.json()["fields"]
        done = api_client.post(url, {"reason": "Duplicate"}, format="json")
        assert done.status_code == 200 and done.json()["status"] == "cancelled"
        assert done.json()["cancel_reason"] == "Duplicate"
        again = api_client.post(url, {"reason": "Duplicate"}, format="json")
        assert again.status_code == 400 and "status" in again.json()["fields"]


class TestPagesAndApi:
    def test_the_receiver_accepts_on_the_incoming_page(self, client, doctor, card,
                                                       cardiologist):
        referral = refer_to(doctor, card, to_clinician=cardiologist)
        client.force_login(cardiologist)
        page = client.get("/referrals/incoming/")
        assert page.status_code == 200 and card.full_name in page.content.decode()
        client.post(f"/referrals/{referral.public_id}/decide/", {"decision": "accept"})
        referral.refresh_from_db()
        assert referral.status == ReferralStatus.ACCEPTED

    def test_the_doctor_refers_from_the_card_page(self, client, doctor, card, cardiologist):
        client.force_login(doctor)
        url = f"/patients/{card.med_id}/referrals/new/"
        assert client.get(url).status_code == 200
        record = cardiologist.staff_records.get()
        response = client.post(url, {"target": "specialist",
                                     "specialist": selectors.specialist_choice(record),
                                     "diagnosis_code": "I10", "reason": "Resistant hypertension",
                                     "urgency": "routine"})
        assert response.status_code == 302
        bad = client.post(url, {"target": "specialist", "diagnosis_code": "I10",
                                "reason": "x", "urgency": "routine"})
        assert bad.status_code == 400 and Referral.objects.count() == 1

    def test_api_send_list_and_decline(self, api_client, doctor, card, cardiologist):
        api_client.force_authenticate(doctor)
        response = api_client.post("/api/v1/referrals/", {
            "med_id": card.med_id, "target": "specialist", "to_clinician":
            cardiologist.username, "diagnosis_code": "E11.9", "reason": "HbA1c 9.1%"},
            format="json")
        assert response.status_code == 201, response.json()
        referral_id = response.json()["id"]
        assert [r["id"] for r in api_client.get(
            f"/api/v1/referrals/?med_id={card.med_id}").json()["results"]] == [referral_id]
        api_client.force_authenticate(cardiologist)
        incoming = api_client.get("/api/v1/referrals/?incoming=1").json()["results"]
        assert [r["id"] for r in incoming] == [referral_id]
        bad = api_client.post(f"/api/v1/referrals/{referral_id}/decline/", {}, format="json")
        assert bad.status_code == 400 and "reason" in bad.json()["fields"]
        declined = api_client.post(f"/api/v1/referrals/{referral_id}/decline/",
                                   {"reason": "Endocrinology first"}, format="json")
        assert declined.status_code == 200 and declined.json()["status"] == "declined"

    def test_api_refuses_a_stranger_with_the_error_format(self, api_client, doctor, card,
                                                          cardiologist):
        referral = refer_to(doctor, card, to_clinician=cardiologist)
        api_client.force_authenticate(staff_at(FacilityFactory()))
        response = api_client.post(f"/api/v1/referrals/{referral.public_id}/accept/")
        assert response.status_code == 404 and response.json()["code"] == "not_found"
        listed = api_client.get(f"/api/v1/referrals/?med_id={card.med_id}")
        assert listed.status_code == 403 and listed.json()["code"] == "out_of_scope"


class TestSpecialistSearch:
    """The referral form's specialist field is a search over the whole country, the
    referrer's region first (Tashkent alone has thousands of specialists)."""

    URL = "/api/v1/referrals/specialists/"

    @pytest.fixture
    def specialists(self, hospital):
        from registry.models import Region

        elsewhere = Region.objects.exclude(pk=hospital.region_id).order_by("code").first()
        far_hospital = FacilityFactory(kind=FacilityKind.HOSPITAL, region=elsewhere,
                                       district=elsewhere.districts.first(),
                                       name="Viloyat ko‘p tarmoqli shifoxonasi")
        made = {}
        for key, facility, specialty, last_name in [
                ("near", hospital, "Kardiolog", "Aliyev"),
                ("far", far_hospital, "Kardiolog", "Abdullayev"),
                ("other", hospital, "Nevrolog", "Karimova")]:
            user = UserFactory(role=Role.CLINICIAN, last_name=last_name)
            StaffRecordFactory(user=user, facility=facility, specialty=specialty)
            made[key] = user
        for _ in range(20):  # enough rows for a query per row to show
            StaffRecordFactory(user=UserFactory(role=Role.CLINICIAN), facility=far_hospital,
                               specialty="Terapevt")
        return made

    def test_every_word_must_match_and_the_region_comes_first(self, api_client, doctor,
                                                              specialists,
                                                              django_assert_max_num_queries):
        api_client.force_authenticate(doctor)
        with django_assert_max_num_queries(4):
            found = api_client.get(self.URL, {"search": "kardio"}).json()["results"]
        assert [s["username"] for s in found] == [specialists["near"].username,
                                                  specialists["far"].username]
        assert found[0]["choice"].endswith(f"#{specialists['near'].username}")
        narrowed = api_client.get(self.URL, {"search": "kardiolog viloyat"}).json()["results"]
        assert [s["username"] for s in narrowed] == [specialists["far"].username]
        with django_assert_max_num_queries(4):
            many = api_client.get(self.URL, {"search": "shifoxona"}).json()["results"]
        assert len(many) == selectors.SUGGESTIONS  # of the 23 in both hospitals
        # Nobody refers a patient to themselves.
        api_client.force_authenticate(specialists["near"])
        assert specialists["near"].username not in {
            s["username"] for s in api_client.get(self.URL, {"search": "kardio"}).json()[
                "results"]}

    def test_a_search_in_cyrillic_or_after_a_rename_finds_the_specialist(
            self, api_client, doctor, specialists, hospital):
        api_client.force_authenticate(doctor)

        def found(text):
            return [s["username"] for s in
                    api_client.get(self.URL, {"search": text}).json()["results"]]

        assert found("Алиев кардио") == [specialists["near"].username]
        assert found("al") == []  # under three letters narrows nothing: type more
        near = specialists["near"]
        near.last_name = "Rahimov"
        near.save(update_fields=["last_name"])
        assert found("rahimov") == [near.username] and found("aliyev") == []
        hospital.name = "Respublika kardiologiya markazi"
        hospital.save()
        assert set(found("respublika")) == {near.username, specialists["other"].username}

    @pytest.mark.parametrize("role", [Role.PATIENT, Role.REGISTRAR, Role.PHARMACIST])
    def test_only_those_who_refer_may_search(self, api_client, polyclinic, specialists, role):
        api_client.force_authenticate(staff_at(polyclinic, role) if role != Role.PATIENT
                                      else UserFactory(role=role))
        assert api_client.get(self.URL, {"search": "kardio"}).status_code == 403
        api_client.force_authenticate(None)
        assert api_client.get(self.URL).status_code in (401, 403)

    def test_the_form_offers_the_region_and_reads_a_choice_back(self, client, doctor, card,
                                                                specialists):
        client.force_login(doctor)
        url = f"/patients/{card.med_id}/referrals/new/"
        assert "#" not in client.get(url).context["specialists"]  # none referred to yet
        record = specialists["far"].staff_records.get()
        sent = client.post(url, {"target": "specialist",
                                 "specialist": selectors.specialist_choice(record),
                                 "diagnosis_code": "I10", "reason": "Second opinion",
                                 "urgency": "routine"})
        assert sent.status_code == 302
        assert Referral.objects.get().to_clinician == specialists["far"]
        # Before any typing, the page offers whom the doctor referred to lately.
        assert client.get(url).context["specialists"] == [selectors.specialist_choice(record)]

    def test_a_typed_name_that_is_no_choice_is_refused_on_the_field(self, client, doctor,
                                                                    card, specialists):
        client.force_login(doctor)
        response = client.post(f"/patients/{card.med_id}/referrals/new/", {
            "target": "specialist", "specialist": "Aliyev", "diagnosis_code": "I10",
            "reason": "Second opinion", "urgency": "routine"}, HTTP_ACCEPT_LANGUAGE="en")
        assert response.status_code == 400
        assert response.context["form"].errors["specialist"] == [
            "Choose a specialist from the suggestions."]
        assert not Referral.objects.exists()
