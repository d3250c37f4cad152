"""Visits through the service and the API: who may, what is refused, what is audited."""

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from clinics.models import Visit, VisitAddendum
from clinics.visits import services
from dmed.models import AuditAction, AuditEvent
from dmed.roles import Role
from patients.access import CardAccessDenied, check_card_access
from tests.clinics.factories import VisitFactory
from tests.factories import FacilityFactory, staff_at
from tests.patients.factories import CardFactory

URL = "/api/v1/visits/"
pytestmark = pytest.mark.django_db


@pytest.fixture
def card(polyclinic):
    return CardFactory(attached_facility=polyclinic)


@pytest.fixture
def visit(doctor, card):
    return services.open_visit(doctor, card)


def audit_rows(**match):
    return AuditEvent.objects.filter(object_type="clinics.visit", **match)


class TestOpening:
    def test_a_clinician_opens_a_visit_from_the_card_once(self, doctor, card, polyclinic):
        visit = services.open_visit(doctor, card, complaints=" Bosh og‘rig‘i ")
        assert (visit.facility, visit.clinician, visit.status) == (polyclinic, doctor, "open")
        assert visit.complaints == "Bosh og‘rig‘i"
        assert services.open_visit(doctor, card.med_id) == visit
        assert Visit.objects.filter(card=card).count() == 1
        assert audit_rows(action=AuditAction.CREATE, object_id=str(visit.public_id),
                          patient_med_id=card.med_id, allowed=True).count() == 2

    def test_out_of_scope_is_refused_audited_and_writes_nothing(self, doctor):
        stranger = CardFactory()
        with pytest.raises(CardAccessDenied):
            services.open_visit(doctor, stranger)
        assert not Visit.objects.filter(card=stranger).exists()
        assert audit_rows(patient_med_id=stranger.med_id, allowed=False).exists()

    @pytest.mark.parametrize("role", [Role.NURSE, Role.REGISTRAR, Role.LAB_TECHNICIAN])
    def test_only_clinicians_open_visits(self, polyclinic, card, role):
        with pytest.raises(PermissionDenied):
            services.open_visit(staff_at(polyclinic, role), card)

    def test_a_department_must_be_of_the_facility(self, doctor, card):
        from tests.factories import DepartmentFactory

        with pytest.raises(ValidationError) as error:
            services.open_visit(doctor, card, department=DepartmentFactory())
        assert "department" in error.value.message_dict


class TestRecording:
    def test_vitals_are_stored_and_bmi_derived(self, doctor, visit):
        visit = services.record_visit(doctor, visit.public_id, bp_systolic=150,
                                      bp_diastolic="95", pulse=88, temperature="36,7",
                                      spo2=97, weight="92.4", height=176)
        assert (visit.bp_systolic, visit.bp_diastolic, visit.temperature) == (
            150, 95, Decimal("36.7"))
        assert visit.bmi == Decimal("29.8")

    @pytest.mark.parametrize("field,value", [
        ("pulse", 400), ("pulse", "abc"), ("pulse", "72.5"), ("temperature", 47),
        ("temperature", "28.9"), ("spo2", 101), ("weight", 0), ("height", 300),
        ("bp_systolic", 20),
    ])
    def test_impossible_values_are_refused_per_field_and_nothing_is_written(
            self, doctor, visit, field, value):
        with pytest.raises(ValidationError) as error:
            services.record_visit(doctor, visit.public_id, complaints="kept?", **{field: value})
        assert set(error.value.message_dict) == {field}
        visit.refresh_from_db()
        assert visit.complaints == "" and getattr(visit, field) is None

    def test_blood_pressure_needs_both_numbers_in_order(self, doctor, visit):
        with pytest.raises(ValidationError) as error:
            services.record_visit(doctor, visit.public_id, bp_systolic=120)
        assert "bp_diastolic" in error.value.message_dict
        with pytest.raises(ValidationError) as error:
            services.record_visit(doctor, visit.public_id, bp_systolic=80, bp_diastolic=120)
        assert "bp_diastolic" in error.value.message_dict

    @pytest.mark.parametrize("diagnoses,message", [
        ([{"code": "I10", "kind": "primary"}, {"code": "E11.9", "kind": "primary"}],
         "Only one diagnosis can be primary."),
        ([{"code": "Q99.99", "kind": "primary"}], "Q99.99 is not an ICD-10 code."),
        ([{"code": "I10", "kind": "primary"}, {"code": "i10", "kind": "secondary"}],
         "Each diagnosis may be given once."),
        ([{"code": "I10", "kind": "main"}], "A diagnosis is primary or secondary."),
    ])
    def test_bad_diagnoses_are_refused(self, doctor, visit, diagnoses, message):
        with pytest.raises(ValidationError) as error:
            services.record_visit(doctor, visit.public_id, diagnoses=diagnoses)
        assert message in error.value.message_dict["diagnoses"]
        assert not visit.diagnoses.exists()

    def test_diagnoses_replace_the_list_and_codes_are_normalised(self, doctor, visit):
        services.record_visit(doctor, visit.public_id, diagnoses=[
            {"code": "j06.9", "kind": "primary"}])
        services.record_visit(doctor, visit.public_id, diagnoses=[
            {"code": "I10", "kind": "primary"}, {"code": "E11.9", "kind": "secondary",
                                                 "note": "diet"}])
        assert list(visit.diagnoses.values_list("code", "kind")) == [
            ("I10", "primary"), ("E11.9", "secondary")]

    def test_a_nurse_records_vitals_but_not_diagnoses(self, polyclinic, visit):
        nurse = staff_at(polyclinic, Role.NURSE)
        services.record_visit(nurse, visit.public_id, pulse=70)
        with pytest.raises(ValidationError) as error:
            services.record_visit(nurse, visit.public_id,
                                  diagnoses=[{"code": "I10", "kind": "primary"}])
        assert "diagnoses" in error.value.message_dict

    def test_staff_of_another_facility_cannot_write_even_after_breaking_the_glass(
            self, visit, card):
        from patients.services import break_the_glass

        outsider = staff_at(FacilityFactory(), Role.CLINICIAN)
        break_the_glass(actor=outsider, med_id=card.med_id, reason="Ambulance, unconscious")
        with pytest.raises(PermissionDenied):
            services.record_visit(outsider, visit.public_id, pulse=70)


class TestClosing:
    def test_closing_needs_a_primary_diagnosis(self, doctor, visit):
        with pytest.raises(ValidationError) as error:
            services.close_visit(doctor, visit.public_id)
        assert "diagnoses" in error.value.message_dict

    def test_closed_visit_is_signed_final_and_corrected_by_addenda(self, doctor, visit,
                                                                    polyclinic):
        services.record_visit(doctor, visit.public_id, plan="Lisinopril 10 mg",
                              diagnoses=[{"code": "I10", "kind": "primary"}])
        closed = services.close_visit(doctor, visit.public_id)
        assert closed.status == "closed" and closed.closed_at
        assert closed.content_digest == services.content_digest(closed)
        with pytest.raises(ValidationError, match="addendum"):
            services.record_visit(doctor, visit.public_id, plan="changed")
        with pytest.raises(ValidationError):
            services.close_visit(doctor, visit.public_id)
        colleague = staff_at(polyclinic, Role.CLINICIAN)
        addendum = services.add_addendum(colleague, visit.public_id,
                                         text="Dose is 5 mg, not 10 mg.")
        assert addendum.author == colleague
        closed.refresh_from_db()
        assert closed.plan == "Lisinopril 10 mg"
        assert closed.content_digest == services.content_digest(closed)
        with pytest.raises(ValidationError):
            services.add_addendum(colleague, visit.public_id, text="   ")

    def test_only_the_holder_signs_and_addenda_wait_for_closing(self, doctor, visit,
                                                                polyclinic):
        services.record_visit(doctor, visit.public_id,
                              diagnoses=[{"code": "I10", "kind": "primary"}])
        with pytest.raises(PermissionDenied):
            services.close_visit(staff_at(polyclinic, Role.CLINICIAN), visit.public_id)
        with pytest.raises(ValidationError):
            services.add_addendum(doctor, visit.public_id, text="too early")
        assert not VisitAddendum.objects.exists()


class TestScope:
    """DESIGN: clinicians and nurses reach patients they treat: an open visit here."""

    def test_an_open_visit_puts_the_card_in_scope_of_its_facility_until_closed(self):
        hospital = FacilityFactory()
        card = CardFactory()  # attached elsewhere
        hospital_doctor = staff_at(hospital, Role.CLINICIAN)
        nurse = staff_at(hospital, Role.NURSE)
        registrar = staff_at(hospital, Role.REGISTRAR)
        elsewhere = staff_at(FacilityFactory(), Role.CLINICIAN)
        with pytest.raises(CardAccessDenied):
            check_card_access(nurse, card)
        visit = VisitFactory(card=card, facility=hospital, clinician=hospital_doctor)
        for user in (hospital_doctor, nurse):
            assert check_card_access(user, card).break_glass is False
        for user in (registrar, elsewhere):
            with pytest.raises(CardAccessDenied):
                check_card_access(user, card)
        services.record_visit(hospital_doctor, visit.public_id,
                              diagnoses=[{"code": "I10", "kind": "primary"}])
        services.close_visit(hospital_doctor, visit.public_id)
        with pytest.raises(CardAccessDenied):
            check_card_access(nurse, card)


class TestApi:
    def test_open_record_close_and_addendum(self, api_client, doctor, card):
        api_client.force_authenticate(doctor)
        response = api_client.post(URL, {"card": card.med_id}, format="json")
        assert response.status_code == 201, response.json()
        visit_url = f"{URL}{response.json()['id']}/"
        response = api_client.patch(visit_url, {
            "complaints": "Bosh aylanishi", "bp_systolic": 160, "bp_diastolic": 100,
            "weight": "80.0", "height": "170.0",
            "diagnoses": [{"code": "I10", "kind": "primary"}]}, format="json")
        assert response.status_code == 200, response.json()
        body = response.json()
        assert body["vitals"]["bmi"] == "27.7"
        assert body["diagnoses"][0]["code"] == "I10"
        response = api_client.post(f"{visit_url}close/")
        assert response.status_code == 200 and response.json()["status"] == "closed"
        assert response.json()["content_digest"]
        response = api_client.patch(visit_url, {"plan": "later"}, format="json")
        assert response.status_code == 400
        assert response.json()["code"] == "invalid"
        response = api_client.post(f"{visit_url}addenda/", {"text": "ECG normal."},
                                   format="json")
        assert response.status_code == 201
        assert api_client.get(visit_url).json()["addenda"][0]["text"] == "ECG normal."

    def test_bad_vitals_answer_400_per_field(self, api_client, doctor, visit):
        api_client.force_authenticate(doctor)
        response = api_client.patch(f"{URL}{visit.public_id}/", {
            "pulse": 500, "temperature": "52.0", "spo2": "lots",
            "diagnoses": [{"code": "I10", "kind": "primary"},
                          {"code": "E11.9", "kind": "primary"}]}, format="json")
        assert response.status_code == 400
        body = response.json()
        assert body["code"] == "invalid"
        assert set(body["fields"]) == {"spo2"}  # a type error stops before the service
        response = api_client.patch(f"{URL}{visit.public_id}/", {
            "pulse": 500, "temperature": "52.0",
            "diagnoses": [{"code": "I10", "kind": "primary"},
                          {"code": "E11.9", "kind": "primary"}]}, format="json")
        assert set(response.json()["fields"]) == {"pulse", "temperature", "diagnoses"}

    def test_messages_follow_the_language(self, api_client, doctor, visit):
        api_client.force_authenticate(doctor)
        response = api_client.patch(f"{URL}{visit.public_id}/", {"pulse": 500},
                                    format="json", HTTP_ACCEPT_LANGUAGE="ru")
        assert "диапазон" in response.json()["fields"]["pulse"][0]

    def test_refusals_403_for_staff_404_for_patients_and_unknown_ids(self, api_client,
                                                                      visit):
        api_client.force_authenticate(staff_at(FacilityFactory(), Role.CLINICIAN))
        response = api_client.get(f"{URL}{visit.public_id}/")
        assert response.status_code == 403 and response.json()["code"] == "out_of_scope"
        assert audit_rows(object_id=str(visit.public_id), allowed=False).exists()
        from tests.factories import UserFactory

        api_client.force_authenticate(UserFactory(role=Role.PATIENT))
        assert api_client.get(f"{URL}{visit.public_id}/").status_code == 404
        assert api_client.get(f"{URL}not-a-uuid/").status_code == 404
        assert api_client.get(f"{URL}?card={visit.card.med_id}").status_code == 404

    def test_lists_are_scoped_and_flat_in_queries(self, api_client, doctor, card,
                                                  polyclinic, django_assert_max_num_queries):
        for _ in range(22):
            past = VisitFactory(card=card, facility=polyclinic, clinician=doctor)
            services.record_visit(doctor, past.public_id, diagnoses=[
                {"code": "I10", "kind": "primary"}, {"code": "E11.9", "kind": "secondary"}])
            services.close_visit(doctor, past.public_id)
            services.add_addendum(doctor, past.public_id, text="Seen again.")
        other = VisitFactory()  # another facility's visit never shows
        api_client.force_authenticate(doctor)
        with django_assert_max_num_queries(10):
            body = api_client.get(f"{URL}?card={card.med_id}&limit=25").json()
        assert len(body["results"]) == 22 and body["next"] is None
        assert body["results"][0]["diagnoses"][1]["code"] == "E11.9"
        with django_assert_max_num_queries(10):
            body = api_client.get(f"{URL}?limit=20").json()
        assert len(body["results"]) == 20 and body["next"]
        rest = api_client.get(body["next"]).json()
        assert len(rest["results"]) == 2 and rest["next"] is None
        # The card's list is one read of one card; the facility's pages name each visit shown.
        listed = AuditEvent.objects.filter(object_type="clinics.visit", action=AuditAction.LIST)
        visit_ids = {str(v) for v in Visit.objects.values_list("public_id", flat=True)}
        assert listed.count() == 23
        assert sorted(listed.filter(object_id__in=visit_ids).values_list(
            "object_id", flat=True)) == sorted(visit_ids - {str(other.public_id)})


def test_the_visit_summary_prints_on_a4_for_those_who_may_read_the_visit(client, doctor,
                                                                           visit):
    from tests.factories import UserFactory

    services.record_visit(doctor, visit.public_id, recommendations="Tuzni kamaytiring",
                          diagnoses=[{"code": "I10", "kind": "primary"}])
    url = f"/visits/{visit.public_id}/summary/"
    client.force_login(doctor)
    assert url in client.get(f"/visits/{visit.public_id}/").content.decode()
    page = client.get(url).content.decode()
    assert 'class="paper-a4"' in page and 'name="viewport"' in page
    assert "I10" in page and "Tuzni kamaytiring" in page
    assert audit_rows(actor=doctor, object_id=str(visit.public_id)).exists()
    client.force_login(UserFactory(role=Role.PATIENT))
    assert client.get(url).status_code in (403, 404)


def test_every_page_template_has_a_viewport():
    """A page that is a whole document (not extending base.html) must name its viewport,
    or phones shrink it to a desktop's width."""
    from pathlib import Path

    from django.conf import settings

    root = Path(settings.BASE_DIR)
    documents = [path for path in root.glob("**/templates/**/*.html")
                 if ".venv" not in path.parts and "<html" in path.read_text()]
    assert len(documents) >= 5
    assert [str(p) for p in documents if 'name="viewport"' not in p.read_text()] == []
