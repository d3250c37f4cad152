"""Hospital stays: admission, transfer, notes, discharge; one patient per bed, always."""

from concurrent.futures import ThreadPoolExecutor
from threading import Barrier

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction
from django.utils import timezone, translation

from clinics.models import BedOccupancy, Stay
from clinics.stays import selectors, services
from dmed.models import AuditAction, AuditEvent
from dmed.roles import Role
from patients.access import CardAccessDenied, check_card_access
from tests.clinics.factories import BedFactory, WardFactory
from tests.factories import FacilityFactory, staff_at
from tests.patients.factories import CardFactory

URL = "/api/v1/stays/"


@pytest.fixture
def ward(db):
    return WardFactory()


@pytest.fixture
def hospital(ward):
    return ward.department.facility


@pytest.fixture
def doctor(hospital):
    return staff_at(hospital, Role.CLINICIAN)


@pytest.fixture
def beds(ward):
    return [BedFactory(ward=ward, code=str(n)) for n in range(1, 4)]


@pytest.fixture
def patient_card(hospital):
    return CardFactory(attached_facility=hospital)


@pytest.mark.django_db
class TestStay:
    def test_admit_transfer_note_discharge(self, doctor, beds, patient_card, hospital):
        stay = services.admit(doctor, patient_card, bed=beds[0], admitting_diagnosis="i21.9",
                              note="Chest pain since morning.")
        assert stay.admitting_diagnosis_id == "I21.9"
        services.transfer(doctor, stay.public_id, bed=str(beds[1].public_id))
        services.add_note(staff_at(hospital, Role.NURSE), stay.public_id,
                          text="BP 130/85, no pain.")
        stay = selectors.with_details(stay)
        assert selectors.current_bed(stay) == beds[1]
        assert [o.bed for o in stay.occupancies.all()] == [beds[0], beds[1]]
        assert stay.notes.count() == 2
        services.discharge(doctor, stay.public_id, summary="Recovered; follow up in 2 weeks.",
                           diagnoses=[{"code": "I21.9", "kind": "primary"},
                                      {"code": "I10", "kind": "secondary"}])
        stay = selectors.with_details(stay)
        assert stay.status == "discharged" and selectors.current_bed(stay) is None
        assert [d.code_id for d in stay.diagnoses.all()] == ["I21.9", "I10"]
        assert AuditEvent.objects.filter(object_type="clinics.stay",
                                         object_id=str(stay.public_id)).count() == 4
        with pytest.raises(ValidationError):
            services.add_note(doctor, stay.public_id, text="after discharge")

    def test_a_taken_bed_and_a_second_admission_are_refused(self, doctor, beds, hospital):
        first, second = CardFactory(attached_facility=hospital), CardFactory(
            attached_facility=hospital)
        services.admit(doctor, first, bed=beds[0], admitting_diagnosis="J18.9")
        with pytest.raises(ValidationError) as error:
            services.admit(doctor, second, bed=beds[0], admitting_diagnosis="J18.9")
        assert "bed" in error.value.message_dict
        assert not Stay.objects.filter(card=second).exists()
        with pytest.raises(ValidationError, match="in hospital already"):
            services.admit(doctor, first, bed=beds[1], admitting_diagnosis="J18.9")

    def test_bad_input_is_named_per_field(self, doctor, beds, patient_card):
        with pytest.raises(ValidationError) as error:
            services.admit(doctor, patient_card, bed=beds[0], admitting_diagnosis="XYZ")
        assert "admitting_diagnosis" in error.value.message_dict
        other_hospital_bed = BedFactory()
        with pytest.raises(ValidationError) as error:
            services.admit(doctor, patient_card, bed=other_hospital_bed,
                           admitting_diagnosis="I10")
        assert "bed" in error.value.message_dict
        stay = services.admit(doctor, patient_card, bed=beds[0], admitting_diagnosis="I10")
        with pytest.raises(ValidationError) as error:
            services.discharge(doctor, stay.public_id, summary=" ",
                               diagnoses=[{"code": "I10", "kind": "secondary"}])
        assert set(error.value.message_dict) == {"summary", "diagnoses"}
        assert Stay.objects.get(pk=stay.pk).is_current

    def test_the_database_refuses_overlapping_occupancy_of_a_bed(self, doctor, beds,
                                                                 patient_card):
        stay = services.admit(doctor, patient_card, bed=beds[0], admitting_diagnosis="I10")
        other = Stay.objects.create(card=CardFactory(), facility=stay.facility,
                                    admitted_by=doctor, admitting_diagnosis_id="I10")
        earlier = timezone.now() - timezone.timedelta(days=3)
        with pytest.raises(IntegrityError), transaction.atomic():
            BedOccupancy.objects.create(stay=other, bed=beds[0], started_at=earlier,
                                        moved_by=doctor)
        # Ending before this stay began does not overlap: the bed was free then.
        BedOccupancy.objects.create(stay=other, bed=beds[0], started_at=earlier,
                                    ended_at=stay.admitted_at, moved_by=doctor)

    def test_a_current_stay_puts_the_patient_in_the_hospitals_scope(self, doctor, beds):
        outsider_card = CardFactory()
        nurse = staff_at(doctor.staff_records.get().facility, Role.NURSE)
        with pytest.raises(CardAccessDenied):
            check_card_access(nurse, outsider_card)
        from patients.services import break_the_glass

        break_the_glass(actor=doctor, med_id=outsider_card.med_id, reason="Brought by ambulance")
        stay = services.admit(doctor, outsider_card, bed=beds[0], admitting_diagnosis="S72.0")
        assert check_card_access(nurse, outsider_card).break_glass is False
        services.discharge(doctor, stay.public_id, summary="Operated, walking.",
                           diagnoses=[{"code": "S72.0", "kind": "primary"}])
        with pytest.raises(CardAccessDenied):
            check_card_access(nurse, outsider_card)

    def test_only_clinicians_of_the_hospital_admit(self, hospital, beds, patient_card):
        with pytest.raises(PermissionDenied):
            services.admit(staff_at(hospital, Role.NURSE), patient_card, bed=beds[0],
                           admitting_diagnosis="I10")

    def test_ward_board_is_flat_in_queries(self, doctor, ward, hospital,
                                           django_assert_max_num_queries):
        beds = [BedFactory(ward=ward, code=str(n)) for n in range(1, 25)]
        for bed in beds[:22]:
            services.admit(doctor, CardFactory(attached_facility=hospital), bed=bed,
                           admitting_diagnosis="I10")
        with django_assert_max_num_queries(6):
            department, board = selectors.ward_board(doctor, ward.department.code)
            occupants = [bed.current[0].stay.card.full_name for bed in board if bed.current]
        assert len(board) == 24 and len(occupants) == 22
        assert AuditEvent.objects.filter(action=AuditAction.LIST,
                                         object_type="clinics.ward_board").exists()


@pytest.mark.django_db(transaction=True)
def test_concurrent_admissions_to_one_bed_keep_one_patient():
    """Both requests see the bed free; the exclusion constraint lets one through."""
    from clinics.coding.models import Icd10Code
    from registry.services import load_administrative_divisions

    # Transactional tests empty the tables, migration data included, after each other.
    load_administrative_divisions()
    Icd10Code.objects.get_or_create(code="I21.9", defaults={"title_en": "Acute MI"})
    bed = BedFactory()
    hospital = bed.ward.department.facility
    doctors = [staff_at(hospital, Role.CLINICIAN) for _ in range(2)]
    cards = [CardFactory(attached_facility=hospital) for _ in range(2)]
    bed.refresh_from_db()  # its name, as the message will print it
    barrier = Barrier(2)

    def admit(index):
        try:
            barrier.wait()
            with translation.override("en"):  # each thread has its own language
                services.admit(doctors[index], cards[index], bed=bed,
                               admitting_diagnosis="I21.9")
            return "admitted"
        except ValidationError as error:
            return "refused: " + error.message_dict.get("bed", ["?"])[0]
        finally:
            connection.close()

    with ThreadPoolExecutor(2) as pool:
        outcomes = sorted(pool.map(admit, range(2)))
    assert outcomes == ["admitted", f"refused: Bed {bed} is taken; choose another."]
    assert BedOccupancy.objects.filter(bed=bed, ended_at__isnull=True).count() == 1
    assert Stay.objects.count() == 1  # the refused admission left nothing behind


@pytest.mark.django_db
class TestStayApi:
    def test_admit_transfer_note_discharge_and_read(self, api_client, doctor, beds,
                                                    patient_card):
        api_client.force_authenticate(doctor)
        response = api_client.post(URL, {"card": patient_card.med_id,
                                         "bed": str(beds[0].public_id),
                                         "admitting_diagnosis": "J18.9"}, format="json")
        assert response.status_code == 201, response.json()
        stay_url = f"{URL}{response.json()['id']}/"
        assert response.json()["bed"]["bed"] == beds[0].code
        response = api_client.post(f"{stay_url}transfer/", {"bed": str(beds[1].public_id)},
                                   format="json")
        assert response.status_code == 200 and response.json()["bed"]["bed"] == beds[1].code
        assert api_client.post(f"{stay_url}notes/", {"text": "Afebrile."},
                               format="json").status_code == 201
        response = api_client.post(f"{stay_url}discharge/", {
            "summary": "Recovered.", "diagnoses": [{"code": "J18.9", "kind": "primary"}]},
            format="json")
        assert response.status_code == 200, response.json()
        body = api_client.get(stay_url).json()
        assert body["status"] == "discharged" and body["bed"] is None
        assert [b["until"] is not None for b in body["beds"]] == [True, True]
        listed = api_client.get(f"{URL}?card={patient_card.med_id}").json()["results"]
        assert [s["id"] for s in listed] == [body["id"]]

    def test_bad_input_and_taken_beds_answer_400_per_field(self, api_client, doctor, beds,
                                                           patient_card, hospital):
        api_client.force_authenticate(doctor)
        response = api_client.post(URL, {"card": patient_card.med_id, "bed": "nonsense",
                                         "admitting_diagnosis": "ZZZ"}, format="json")
        assert response.status_code == 400
        assert set(response.json()["fields"]) == {"bed"}
        services.admit(doctor, CardFactory(attached_facility=hospital), bed=beds[0],
                       admitting_diagnosis="I10")
        response = api_client.post(URL, {"card": patient_card.med_id,
                                         "bed": str(beds[0].public_id),
                                         "admitting_diagnosis": "I10"}, format="json")
        assert response.status_code == 400 and "bed" in response.json()["fields"]
        assert api_client.get(URL).status_code == 400

    def test_refusals(self, api_client, doctor, beds, patient_card):
        stay = services.admit(doctor, patient_card, bed=beds[0], admitting_diagnosis="I10")
        outsider = staff_at(FacilityFactory(), Role.CLINICIAN)
        api_client.force_authenticate(outsider)
        assert api_client.get(f"{URL}{stay.public_id}/").status_code == 403
        assert AuditEvent.objects.filter(object_type="clinics.stay", allowed=False,
                                         actor=outsider).exists()
        response = api_client.post(f"{URL}{stay.public_id}/notes/", {"text": "x"},
                                   format="json")
        assert response.status_code == 403
        from tests.factories import UserFactory

        api_client.force_authenticate(UserFactory(role=Role.PATIENT))
        assert api_client.get(f"{URL}{stay.public_id}/").status_code == 404


@pytest.mark.django_db
def test_a_cards_stays_come_in_keyset_pages_at_a_flat_query_count(
        client, api_client, doctor, beds, patient_card, django_assert_max_num_queries):
    # Admission times are distinct and some equal, so ties are broken by the key too.
    start = timezone.now() - timezone.timedelta(days=400)
    for n in range(30):
        stay = services.admit(doctor, patient_card, bed=str(beds[0].public_id),
                              admitting_diagnosis="J18.9")
        services.discharge(doctor, stay.public_id, summary="Recovered.",
                           diagnoses=[{"code": "J18.9", "kind": "primary"}])
        Stay.objects.filter(pk=stay.pk).update(
            admitted_at=start + timezone.timedelta(days=n // 2 * 10))
    api_client.force_authenticate(doctor)
    seen, url = [], f"{URL}?card={patient_card.med_id}&limit=12"
    while url:
        with django_assert_max_num_queries(16):
            body = api_client.get(url).json()
        seen += [s["id"] for s in body["results"]]
        url = body["next"]
    assert len(seen) == len(set(seen)) == 30
    admitted = [Stay.objects.get(public_id=pk).admitted_at for pk in seen]
    assert admitted == sorted(admitted, reverse=True)

    assert api_client.get(f"{URL}?card={patient_card.med_id}&cursor=bm9wZQ").status_code == 400
    client.force_login(doctor)
    with django_assert_max_num_queries(16):
        page = client.get(f"/patients/{patient_card.med_id}/stays/").content.decode()
    assert page.count("J18.9") == selectors.PAGE_SIZE and 'data-testid="older"' in page
