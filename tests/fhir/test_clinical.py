"""Encounter (visits and stays), Condition (their ICD-10 diagnoses) and Observation (lab
results and vital signs): searched per patient, by date, in keyset pages, audited as the
card's visit, stay and result lists are."""

from datetime import timedelta
from decimal import Decimal
from urllib.parse import parse_qs, urlsplit

import pytest
from django.utils import timezone

from clinics.labs.services import RESULT_OBJECT
from clinics.models import Stay, StayDiagnosis
from clinics.stays.models import StayStatus
from clinics.stays.selectors import STAY_OBJECT
from clinics.visits.models import Visit, VisitDiagnosis
from clinics.visits.selectors import VISIT_OBJECT
from dmed.models import AuditEvent
from fhir import mapping
from registry.models import FacilityKind
from tests.clinics.factories import VisitFactory
from tests.clinics.lab_helpers import released_result
from tests.factories import FacilityFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def history(world, card):
    """Three visits (the newest open, with vitals) 0, 3 and 6 days ago, each with a
    diagnosis; a stay discharged 30 days ago with a final diagnosis; two released
    glucose results 1 and 5 days ago."""
    now = timezone.now()
    visits = []
    for day in range(3):
        doctor = {"clinician": world.doctor} if day == 0 else {}
        visit = VisitFactory(card=card, opened_at=now - timedelta(days=3 * day, hours=1),
                             **doctor)
        VisitDiagnosis.objects.create(visit=visit, code_id="E11.9" if day else "I10",
                                      kind="primary")
        visits.append(visit)
    Visit.objects.filter(pk=visits[0].pk).update(bp_systolic=135, bp_diastolic=85, pulse=72,
                                                 temperature=Decimal("36.6"))
    hospital = FacilityFactory(kind=FacilityKind.HOSPITAL)
    stay = Stay.objects.create(card=card, facility=hospital, admitted_by=world.doctor,
                               admitting_diagnosis_id="J18.9", status=StayStatus.DISCHARGED,
                               admitted_at=now - timedelta(days=35),
                               discharged_at=now - timedelta(days=30),
                               discharged_by=world.doctor, discharge_summary="Recovered.")
    StayDiagnosis.objects.create(stay=stay, code_id="J18.9", kind="primary")
    results = [released_result(world, card, "GLU", Decimal("5.4") + days, days_ago=days)
               for days in (1, 5)]
    return {"visits": visits, "stay": stay, "results": results}


def _ids(bundle, mode="match"):
    return [e["resource"]["id"] for e in bundle.get("entry", []) if e["search"]["mode"] == mode]


def test_encounters_are_visits_and_stays_newest_first(fhir, card, history):
    bundle = fhir.get("Encounter", {"patient": f"Patient/{card.med_id}"}).json()
    visits, stay = history["visits"], history["stay"]
    assert _ids(bundle) == [f"visit-{v.public_id}" for v in visits] + [f"stay-{stay.public_id}"]
    first = bundle["entry"][0]["resource"]
    assert first["status"] == "in-progress"
    assert first["class"][0]["coding"][0]["code"] == "AMB"
    assert first["subject"] == {"reference": f"Patient/{card.med_id}"}
    assert bundle["entry"][-1]["resource"]["class"][0]["coding"][0]["code"] == "IMP"
    kinds = set(AuditEvent.objects.filter(patient_med_id=card.med_id, action="list")
                .values_list("object_type", flat=True))
    assert {VISIT_OBJECT, STAY_OBJECT} <= kinds


def test_encounter_date_prefixes_paging_and_include_patient(fhir, card, history):
    since = (timezone.localdate() - timedelta(days=4)).isoformat()
    recent = fhir.get("Encounter", {"subject": card.med_id, "date": f"ge{since}"}).json()
    assert len(_ids(recent)) == 2
    older = fhir.get("Encounter", {"patient": card.med_id, "date": f"lt{since}"}).json()
    assert len(_ids(older)) == 2
    seen, params = [], {"patient": card.med_id, "_count": "1",
                        "_include": "Encounter:patient"}
    while True:
        bundle = fhir.get("Encounter", params).json()
        assert _ids(bundle, "include") == [card.med_id]
        seen += _ids(bundle)
        following = [link["url"] for link in bundle["link"] if link["relation"] == "next"]
        if not following:
            break
        params = {k: v[0] for k, v in parse_qs(urlsplit(following[0]).query).items()}
    assert len(seen) == len(set(seen)) == 4


def test_encounter_read_by_id(fhir, history):
    visit, stay = history["visits"][1], history["stay"]
    read = fhir.get(f"Encounter/visit-{visit.public_id}").json()
    assert (read["id"], read["status"]) == (f"visit-{visit.public_id}", "in-progress")
    stay_read = fhir.get(f"Encounter/stay-{stay.public_id}").json()
    assert stay_read["actualPeriod"]["end"]
    assert fhir.get("Encounter/visit-not-a-uuid").status_code == 404
    assert fhir.get(f"Encounter/other-{stay.public_id}").status_code == 404
    event = AuditEvent.objects.filter(object_type=STAY_OBJECT, object_id=str(stay.public_id))
    assert event.get().action == "view"


def test_conditions_are_icd10_diagnoses_of_visits_and_stays(fhir, card, history):
    bundle = fhir.get("Condition", {"patient": card.med_id}).json()
    codes = [e["resource"]["code"]["coding"][0] for e in bundle["entry"]]
    assert [(c["system"], c["code"]) for c in codes] == [
        ("http://hl7.org/fhir/sid/icd-10", "I10"), ("http://hl7.org/fhir/sid/icd-10", "E11.9"),
        ("http://hl7.org/fhir/sid/icd-10", "E11.9"), ("http://hl7.org/fhir/sid/icd-10", "J18.9")]
    first = bundle["entry"][0]["resource"]
    assert first["encounter"]["reference"] == f"Encounter/visit-{history['visits'][0].public_id}"
    assert fhir.get(f"Condition/{first['id']}").json() == first
    assert fhir.get(f"Condition/visit-{history['visits'][0].public_id}.Z00").status_code == 404
    cutoff = (timezone.localdate() - timedelta(days=10)).isoformat()
    assert len(fhir.get("Condition", {"patient": card.med_id, "recorded-date": f"lt{cutoff}"})
               .json()["entry"]) == 1


def test_observations_are_released_results_and_vital_signs(fhir, card, history):
    bundle = fhir.get("Observation", {"patient": card.med_id}).json()
    kinds = [e["resource"]["category"][0]["coding"][0]["code"] for e in bundle["entry"]]
    assert kinds == ["vital-signs", "laboratory", "laboratory"]
    vitals = bundle["entry"][0]["resource"]
    assert {c["code"]["coding"][0]["code"]: c["valueQuantity"]["value"]
            for c in vitals["component"]} == {"8480-6": 135, "8462-4": 85, "8867-4": 72,
                                              "8310-5": 36.6}
    lab = bundle["entry"][1]["resource"]
    assert lab["valueQuantity"] == {"value": 6.4, "unit": history["results"][0].unit}
    assert lab["id"] == f"lab-{history['results'][0].public_id}"
    assert fhir.get(f"Observation/{lab['id']}").json() == lab
    only_lab = fhir.get("Observation", {"patient": card.med_id,
                                        "category": "laboratory"}).json()
    assert len(only_lab["entry"]) == 2
    two_days = (timezone.localdate() - timedelta(days=2)).isoformat()
    older = fhir.get("Observation", {"patient": card.med_id, "category": "laboratory",
                                     "date": f"lt{two_days}"}).json()
    assert _ids(older) == [f"lab-{history['results'][1].public_id}"]
    assert AuditEvent.objects.filter(object_type=RESULT_OBJECT, action="list",
                                     patient_med_id=card.med_id).exists()
    no_vitals = history["visits"][1]
    assert fhir.get(f"Observation/vitals-{no_vitals.public_id}").status_code == 404


def test_observations_by_loinc_code(fhir, card, history):
    glucose = fhir.get("Observation", {"patient": card.med_id,
                                       "code": f"{mapping.LOINC}|1558-6"}).json()
    assert _ids(glucose) == [f"lab-{result.public_id}" for result in history["results"]]
    vitals = fhir.get("Observation", {"patient": card.med_id,
                                      "code": mapping.VITALS_PANEL}).json()
    assert _ids(vitals) == [f"vitals-{history['visits'][0].public_id}"]
    assert _ids(fhir.get("Observation", {"patient": card.med_id,
                                         "code": "2160-0"}).json()) == []
    other = fhir.get("Observation", {"patient": card.med_id,
                                     "code": "http://snomed.info/sct|271649006"})
    assert other.status_code == 400
    assert other.json()["issue"][0]["expression"] == ["code"]


def test_searches_need_one_patient_and_known_categories(fhir, card):
    for resource in ("Encounter", "Condition", "Observation"):
        missing = fhir.get(resource)
        assert missing.status_code == 400
        assert missing.json()["issue"][0]["expression"] == ["patient"]
    wrong = fhir.get("Observation", {"patient": card.med_id, "category": "imaging"})
    assert wrong.status_code == 400
    assert fhir.get("Encounter", {"patient": "Organization/X"}).status_code == 400
    assert fhir.get("Encounter", {"patient": card.med_id,
                                  "_include": "Encounter:practitioner"}).status_code == 400


def test_clinical_searches_cost_the_same_queries_for_a_long_history(
        fhir, world, card, django_assert_max_num_queries):
    for day in range(2):
        released_result(world, card, "GLU", Decimal("5.0"), days_ago=day + 1)
    params = {"patient": card.med_id, "_count": "50"}
    budget = {}
    for resource in ("Encounter", "Condition", "Observation"):
        with django_assert_max_num_queries(30) as counted:
            fhir.get(resource, params)
        budget[resource] = len(counted.captured_queries)
    for day in range(10):
        visit = VisitFactory(card=card, opened_at=timezone.now() - timedelta(days=day + 10))
        VisitDiagnosis.objects.create(visit=visit, code_id="I10", kind="primary")
        released_result(world, card, "GLU", Decimal("5.0"), days_ago=day + 10)
    for resource in ("Encounter", "Condition", "Observation"):
        with django_assert_max_num_queries(budget[resource]):
            assert len(fhir.get(resource, params).json()["entry"]) >= 10
