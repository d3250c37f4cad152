"""Allergies and chronic conditions kept by clinicians on the card and from the visit, the
"no known allergies" statement, and the clinical banner every page about a patient shows."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.urls import reverse
from django.utils import timezone, translation

from clinics.visits import services as visit_services
from dmed.models import AuditAction, AuditEvent
from dmed.roles import Role
from patients import services
from patients.models import Allergy, ChronicCondition
from patients.selectors import clinical_banner
from prescriptions.allergies import allergy_warnings
from prescriptions.models import Drug
from prescriptions.services import issue_prescription
from tests.clinics.factories import VisitFactory
from tests.factories import FacilityFactory, UserFactory, staff_at
from tests.patients.factories import CardFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english():
    """Services answer in the active language (Uzbek by default); these tests read English."""
    with translation.override("en"):
        yield


@pytest.fixture
def nurse(polyclinic):
    return staff_at(polyclinic, Role.NURSE)


@pytest.fixture
def card(polyclinic):
    return CardFactory(attached_facility=polyclinic, birth_date=date(1970, 5, 1))


def allergy(actor, card, substance="Amoxicillin", *, kind="drug", severity="severe", **extra):
    return services.record_allergy(actor=actor, med_id=card.med_id, kind=kind,
                                   substance=substance, severity=severity, **extra)


def amoxicillin():
    return Drug.objects.get(inn="Amoxicillin")


class TestAllergies:
    def test_a_drug_is_recorded_by_its_registry_name_and_warns_when_prescribed(self, doctor,
                                                                               card):
        recorded = allergy(doctor, card, "amoxicillin", reaction="Anaphylaxis",
                           verification="verified")
        assert (recorded.substance, recorded.atc_code) == ("Amoxicillin", "J01CA04")
        assert (recorded.recorded_by, recorded.changed_by) == (doctor, doctor)
        warnings = allergy_warnings([recorded], [(1, amoxicillin())], Drug.objects.all())
        assert [w.why for w in warnings] == ["the same substance"]
        event = AuditEvent.objects.get(actor=doctor, patient_med_id=card.med_id)
        assert event.action == AuditAction.UPDATE and "Amoxicillin" in event.reason

    def test_a_group_is_recorded_by_name_or_atc_code_and_covers_its_drugs(self, nurse, card):
        group = allergy(nurse, card, "Пенициллин", kind="drug_group", severity="moderate")
        assert (group.substance, group.atc_code) == ("penicillins", "J01C")
        warnings = allergy_warnings([group], [(1, amoxicillin())], Drug.objects.all())
        assert len(warnings) == 1
        other = allergy(nurse, card, "n02bb", kind="drug_group", severity="mild")
        assert other.atc_code == "N02BB"

    def test_a_non_drug_allergen_is_kept_as_typed(self, doctor, card):
        pollen = allergy(doctor, card, " Birch pollen ", kind="other", severity="mild")
        assert (pollen.substance, pollen.atc_code) == ("Birch pollen", "")

    @pytest.mark.parametrize(("fields", "field"), [
        ({"kind": "drug", "substance": "Unobtainium"}, "substance"),
        ({"kind": "drug_group", "substance": "vitamins of joy"}, "substance"),
        ({"kind": "other", "substance": "  "}, "substance"),
        ({"kind": "food"}, "kind"),
        ({"severity": "deadly"}, "severity"),
        ({"verification": "rumoured"}, "verification"),
        ({"reaction": "x" * 201}, "reaction"),
    ])
    def test_bad_input_is_refused_per_field_and_writes_nothing(self, doctor, card, fields,
                                                               field):
        arguments = {"kind": "other", "substance": "Latex", "severity": "mild", **fields}
        with pytest.raises(ValidationError) as refused:
            services.record_allergy(actor=doctor, med_id=card.med_id, **arguments)
        assert field in refused.value.message_dict
        assert not Allergy.objects.exists()

    def test_the_same_allergy_twice_is_refused(self, doctor, card):
        allergy(doctor, card)
        with pytest.raises(ValidationError) as refused:
            allergy(doctor, card, "AMOXICILLIN")
        assert "substance" in refused.value.message_dict

    def test_corrected_then_ended_it_keeps_its_history_and_warns_no_more(self, doctor, nurse,
                                                                        card):
        suspected = allergy(doctor, card, severity="moderate")
        corrected = services.correct_allergy(
            actor=nurse, med_id=card.med_id, allergy_id=suspected.public_id, kind="drug",
            substance="Amoxicillin", severity="severe", reaction="Angioedema",
            verification="verified")
        assert (corrected.severity, corrected.changed_by, corrected.recorded_by) == (
            "severe", nurse, doctor)
        ended = services.end_allergy(actor=doctor, med_id=card.med_id,
                                     allergy_id=suspected.public_id,
                                     reason="Tolerated a full course since")
        assert ended.ended_at and not ended.is_active
        reasons = list(AuditEvent.objects.filter(patient_med_id=card.med_id)
                       .order_by("pk").values_list("reason", flat=True))
        assert reasons[1].startswith("Allergy corrected") and "severe" in reasons[1].lower()
        assert reasons[2].startswith("Allergy ended")
        # The prescription's check reads the current allergies only.
        issue_prescription(actor=doctor, patient=card.med_id, diagnosis="J06.9", items=[
            {"drug": amoxicillin().pk, "quantity": 10, "dosage": "500 mg"}])
        with pytest.raises(ValidationError):
            services.correct_allergy(actor=doctor, med_id=card.med_id,
                                     allergy_id=suspected.public_id, kind="other",
                                     substance="x", severity="mild")
        with pytest.raises(ValidationError) as refused:
            services.end_allergy(actor=doctor, med_id=card.med_id,
                                 allergy_id=suspected.public_id, reason=" ")
        assert "end_reason" in refused.value.message_dict

    def test_another_cards_allergy_is_not_followed(self, doctor, card, polyclinic):
        other = CardFactory(attached_facility=polyclinic)
        foreign = allergy(doctor, other)
        with pytest.raises(Http404):
            services.end_allergy(actor=doctor, med_id=card.med_id,
                                 allergy_id=foreign.public_id, reason="not theirs")
        foreign.refresh_from_db()
        assert foreign.is_active


class TestNoKnownAllergies:
    def test_it_is_a_statement_an_allergy_withdraws(self, doctor, card):
        assert clinical_banner(doctor, card).no_known_allergies is False  # never asked
        services.record_no_known_allergies(actor=doctor, med_id=card.med_id)
        card.refresh_from_db()
        assert card.no_known_allergies_by == doctor
        assert clinical_banner(doctor, card).no_known_allergies is True
        allergy(doctor, card)
        card.refresh_from_db()
        assert card.no_known_allergies_at is None
        assert clinical_banner(doctor, card).no_known_allergies is False

    def test_it_is_refused_while_allergies_are_listed(self, doctor, card):
        allergy(doctor, card)
        with pytest.raises(ValidationError):
            services.record_no_known_allergies(actor=doctor, med_id=card.med_id)
        card.refresh_from_db()
        assert card.no_known_allergies_at is None


class TestChronicConditions:
    def test_a_code_of_the_catalogue_names_the_condition(self, doctor, card):
        condition = services.record_chronic_condition(actor=doctor, med_id=card.med_id,
                                                      icd10_code="e11.9",
                                                      since=date(2015, 6, 1))
        assert condition.icd10_code == "E11.9" and condition.recorded_by == doctor
        # Nothing is copied in the writer's language: each reader gets the title in theirs.
        assert condition.text == ""
        for language, words in (("en", "diabetes"), ("ru", "диабет")):
            with translation.override(language):
                assert words in clinical_banner(doctor, card).problems[0].name.lower()
        own = services.correct_chronic_condition(
            actor=doctor, med_id=card.med_id, condition_id=condition.public_id,
            icd10_code="E11.9", text="Qandli diabet, insulinga muhtoj emas")
        with translation.override("ru"):
            assert clinical_banner(doctor, card).problems[0].name == own.text

    @pytest.mark.parametrize(("fields", "field"), [
        ({"icd10_code": "Z99.999"}, "icd10_code"),
        ({"icd10_code": "hypertension"}, "icd10_code"),
        ({"since": timezone.localdate() + timedelta(days=30)}, "since"),
        ({"status": "cured-by-magic"}, "status"),
    ])
    def test_bad_input_is_refused_per_field(self, doctor, card, fields, field):
        with pytest.raises(ValidationError) as refused:
            services.record_chronic_condition(actor=doctor, med_id=card.med_id,
                                              **{"icd10_code": "I10", **fields})
        assert field in refused.value.message_dict
        assert not ChronicCondition.objects.exists()

    def test_resolved_it_leaves_the_banner(self, doctor, nurse, card):
        condition = services.record_chronic_condition(actor=doctor, med_id=card.med_id,
                                                      icd10_code="I10")
        assert [p.icd10_code for p in clinical_banner(doctor, card).problems] == ["I10"]
        services.correct_chronic_condition(actor=nurse, med_id=card.med_id,
                                           condition_id=condition.public_id,
                                           icd10_code="I10", status="resolved")
        condition.refresh_from_db()
        assert condition.changed_by == nurse
        assert clinical_banner(doctor, card).problems == []


class TestRefusals:
    @pytest.mark.parametrize("role", [Role.REGISTRAR, Role.PHARMACIST, Role.LAB_TECHNICIAN])
    def test_roles_that_do_not_treat_write_nothing(self, client, polyclinic, card, role):
        user = staff_at(polyclinic, role)
        with pytest.raises(PermissionDenied):
            allergy(user, card)
        with pytest.raises(PermissionDenied):
            services.record_chronic_condition(actor=user, med_id=card.med_id,
                                              icd10_code="I10")
        client.force_login(user)
        response = client.post(reverse("patients:allergy-add", args=[card.med_id]), {
            "allergy-kind": "other", "allergy-substance": "Latex",
            "allergy-severity": "mild", "allergy-verification": "suspected"})
        assert response.status_code == 403
        response = client.post(reverse("patients:no-known-allergies", args=[card.med_id]))
        assert response.status_code == 403
        assert not Allergy.objects.exists() and not ChronicCondition.objects.exists()
        card.refresh_from_db()
        assert card.no_known_allergies_at is None

    def test_the_patient_reads_but_does_not_write(self, client, card):
        card.user = UserFactory(role=Role.PATIENT)
        card.save()
        client.force_login(card.user)
        response = client.post(reverse("patients:allergy-add", args=[card.med_id]), {
            "allergy-kind": "other", "allergy-substance": "Latex",
            "allergy-severity": "mild", "allergy-verification": "suspected"})
        assert response.status_code == 403
        assert 'data-testid="clinical-summary"' in client.get(
            reverse("patients:my-card")).content.decode()
        assert not Allergy.objects.exists()

    def test_a_clinician_out_of_scope_is_refused_and_it_is_audited(self, client, card):
        outsider = staff_at(FacilityFactory(), Role.CLINICIAN)
        with pytest.raises(PermissionDenied):
            allergy(outsider, card)
        client.force_login(outsider)
        response = client.post(reverse("patients:condition-add", args=[card.med_id]), {
            "condition-icd10_code": "I10", "condition-status": "active"})
        assert response.status_code == 403
        assert AuditEvent.objects.filter(actor=outsider, allowed=False,
                                         patient_med_id=card.med_id).count() == 2
        assert not Allergy.objects.exists() and not ChronicCondition.objects.exists()

    def test_a_foreign_allergy_id_in_the_url_answers_404(self, client, doctor, card,
                                                         polyclinic):
        foreign = allergy(doctor, CardFactory(attached_facility=polyclinic))
        client.force_login(doctor)
        url = reverse("patients:allergy-end", args=[card.med_id, foreign.public_id])
        response = client.post(url, {f"e-{foreign.public_id}-end_reason": "not theirs"})
        assert response.status_code == 404
        foreign.refresh_from_db()
        assert foreign.is_active


class TestPages:
    def test_htmx_adds_an_allergy_in_place_and_the_banner_follows(self, client, doctor, card):
        client.force_login(doctor)
        response = client.post(
            reverse("patients:allergy-add", args=[card.med_id]),
            {"allergy-kind": "drug_group", "allergy-substance": "penicillin",
             "allergy-reaction": "Urticaria", "allergy-severity": "severe",
             "allergy-verification": "verified", "next": "/visits/x/edit/"},
            HTTP_HX_REQUEST="true", HTTP_ACCEPT_LANGUAGE="en")
        assert response.status_code == 200
        page = response.content.decode()
        assert 'id="clinical-summary"' in page and 'hx-swap-oob="true"' in page
        assert "data-severe" in page and "penicillins" in page
        assert 'value="/visits/x/edit/"' in page  # forms keep returning to the visit

    def test_without_htmx_it_returns_to_the_page_it_came_from(self, client, doctor, card):
        client.force_login(doctor)
        visit_page = "/visits/some/edit/"
        response = client.post(reverse("patients:allergy-add", args=[card.med_id]), {
            "allergy-kind": "other", "allergy-substance": "Latex",
            "allergy-severity": "mild", "allergy-verification": "suspected",
            "next": visit_page})
        assert response.status_code == 302 and response.url == visit_page
        response = client.post(reverse("patients:allergy-add", args=[card.med_id]), {
            "allergy-kind": "other", "allergy-substance": "Latex",
            "allergy-severity": "mild", "allergy-verification": "suspected",
            "next": "https://evil.example/"})
        # The same allergy again: refused, shown again with the message, nothing followed.
        assert response.status_code == 400
        assert 'data-testid="error-substance"' in response.content.decode()
        assert "evil.example" not in response.content.decode()

    def test_a_refused_correction_is_shown_again_in_its_row(self, client, doctor, card):
        recorded = allergy(doctor, card)
        client.force_login(doctor)
        prefix = f"a-{recorded.public_id}"
        response = client.post(
            reverse("patients:allergy-correct", args=[card.med_id, recorded.public_id]),
            {f"{prefix}-kind": "drug", f"{prefix}-substance": "Unobtainium",
             f"{prefix}-severity": "severe", f"{prefix}-verification": "verified"},
            HTTP_HX_REQUEST="true")
        assert response.status_code == 400
        page = response.content.decode()
        assert 'data-testid="error-substance"' in page and 'value="Unobtainium"' in page
        recorded.refresh_from_db()
        assert recorded.substance == "Amoxicillin"

    def test_the_card_shows_who_recorded_and_the_registrar_no_clinical_part(
            self, client, doctor, polyclinic, card):
        allergy(doctor, card)
        client.force_login(doctor)
        page = client.get(reverse("patients:card", args=[card.med_id])).content.decode()
        assert 'data-testid="clinical-banner"' in page and 'data-testid="allergy-who"' in page
        assert doctor.full_name in page
        client.force_login(staff_at(polyclinic, Role.REGISTRAR))
        page = client.get(reverse("patients:card", args=[card.med_id])).content.decode()
        assert 'data-testid="clinical-banner"' in page
        assert "Amoxicillin" not in page and 'data-testid="clinical-summary"' not in page


class TestBanner:
    def test_it_is_a_fixed_few_queries_however_much_is_recorded(
            self, doctor, card, django_assert_num_queries):
        for substance in ("Latex", "Birch pollen", "Peanuts", "Bee venom"):
            allergy(doctor, card, substance, kind="other", severity="mild")
        allergy(doctor, card, "Ibuprofen", severity="severe")
        for code in ("I10", "E11.9", "J45.9"):
            services.record_chronic_condition(actor=doctor, med_id=card.med_id,
                                              icd10_code=code)
        for inn in ("Metformin", "Amoxicillin"):
            issue_prescription(actor=doctor, patient=card.med_id, diagnosis="E11.9",
                               items=[{"drug": Drug.objects.filter(inn=inn).first().pk,
                                       "quantity": 10, "dosage": "1 tablet"}],
                               acknowledge_allergies=True)
        for days in (40, 3):
            visit = VisitFactory(card=card, opened_at=timezone.now() - timedelta(days=days),
                                 bp_systolic=150 - days, bp_diastolic=90, pulse=70,
                                 weight=Decimal("80.0"), height=Decimal("170.0"))
        with django_assert_num_queries(5):  # and the problems' catalogue titles
            banner = clinical_banner(doctor, card)
        assert [a.substance for a in banner.allergies][0] == "Ibuprofen"  # severe first
        assert len(banner.allergies) == 5 and len(banner.problems) == 3
        assert [m.split()[0] for m in banner.medicines] == ["Amoxicillin", "Metformin"]
        assert banner.vitals.measured_at == visit.opened_at
        assert ("BP", "147/90 mmHg") in [(str(k), v) for k, v in banner.vitals.values]

    def test_medicines_are_those_of_current_prescriptions_only(self, doctor, card):
        first = issue_prescription(actor=doctor, patient=card.med_id, diagnosis="J06.9",
                                   items=[{"drug": amoxicillin().pk, "quantity": 10,
                                           "dosage": "1 capsule"}])
        first.status = "cancelled"
        first.cancel_reason, first.cancelled_at = "wrong patient", timezone.now()
        first.save()
        assert clinical_banner(doctor, card).medicines == []

    def test_it_is_on_every_page_about_one_patient(self, client, doctor, card):
        visit = visit_services.open_visit(doctor, card)
        client.force_login(doctor)
        for url in (reverse("patients:card", args=[card.med_id]),
                    reverse("clinics:visit-edit", args=[visit.public_id]),
                    reverse("clinics:visit", args=[visit.public_id]),
                    reverse("prescriptions:write", args=[card.med_id]),
                    reverse("labs:order-new", args=[card.med_id]),
                    reverse("referrals:new", args=[card.med_id]),
                    reverse("referrals:card", args=[card.med_id]),
                    f"/patients/{card.med_id}/timeline/"):
            page = client.get(url)
            assert page.status_code == 200, url
            assert page.content.decode().count('data-testid="clinical-banner"') == 1, url
