"""FHIR Bulk Data export: kick-off, polling, the manifest and its NDJSON files (each line
valid FHIR R5), `_type` and `_since`, Group level, steps that resume, cancelling, expiry,
and the refusals."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from clinics.models import Stay, StayDiagnosis
from clinics.stays.models import StayStatus
from clinics.visits.models import Visit, VisitDiagnosis
from dmed.models import AuditEvent
from dmed.roles import Role
from fhir import export
from fhir.models import ExportJob, ExportStatus, FhirClient
from fhir.tasks import export_delete_expired, export_resume, export_step
from patients.models import PatientCard
from registry.models import FacilityKind
from tests.clinics.factories import VisitFactory
from tests.factories import FacilityFactory
from tests.fhir.conftest import Bulk, make_system_client, token_for, valid_fhir
from tests.patients.factories import CardFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("export_dir")]


def _ids(resources):
    return {resource["id"] for resource in resources}


def _closed_visit(card, *, days_ago: int, code="E11.9"):
    when = timezone.now() - timedelta(days=days_ago)
    visit = VisitFactory(card=card, opened_at=when - timedelta(minutes=30))
    VisitDiagnosis.objects.create(visit=visit, code_id=code, kind="primary")
    Visit.objects.filter(pk=visit.pk).update(status="closed", closed_at=when,
                                             content_digest="0" * 64)
    return visit


@pytest.fixture
def records(world, card):
    """The card with a visit closed 10 days ago and one open today, each with a diagnosis,
    a discharged stay; another polyclinic's card with a closed visit; a merged card."""
    old = _closed_visit(card, days_ago=10)
    today = VisitFactory(card=card, clinician=world.doctor)
    VisitDiagnosis.objects.create(visit=today, code_id="I10", kind="primary")
    hospital = FacilityFactory(kind=FacilityKind.HOSPITAL)
    stay = Stay.objects.create(card=card, facility=hospital, admitted_by=world.doctor,
                               admitting_diagnosis_id="J18.9", status=StayStatus.DISCHARGED,
                               admitted_at=timezone.now() - timedelta(days=35),
                               discharged_at=timezone.now() - timedelta(days=30),
                               discharged_by=world.doctor, discharge_summary="Recovered.")
    StayDiagnosis.objects.create(stay=stay, code_id="J18.9", kind="primary")
    elsewhere = CardFactory()
    other_visit = _closed_visit(elsewhere, days_ago=2, code="J06.9")
    merged = CardFactory(attached_facility=world.polyclinic, status="merged",
                         merged_into=card)
    return {"old": old, "today": today, "stay": stay, "elsewhere": elsewhere,
            "other_visit": other_visit, "merged": merged}


def test_system_export_runs_in_the_background_and_lists_its_files(national, card, records):
    bulk = Bulk(token_for(national))
    response = bulk.kick_off()
    assert response.status_code == 202
    status_url = response["Content-Location"]
    assert status_url.startswith("http://testserver/fhir/$export-status/")

    polled = bulk.get(status_url)
    assert polled.status_code == 202
    assert polled["X-Progress"] == "0 resources written"
    assert int(polled["Retry-After"]) > 0

    manifest = bulk.finished(status_url)
    assert manifest["requiresAccessToken"] is True
    assert manifest["request"] == "http://testserver/fhir/$export"
    job = ExportJob.objects.get()
    assert manifest["transactionTime"] == job.transaction_time.isoformat()
    # The closed visits' signatures too (tests/fhir/test_export_types.py).
    assert [item["type"] for item in manifest["output"]] == ["Patient", "Encounter",
                                                             "Condition", "Provenance"]

    patients = bulk.resources(manifest, "Patient")
    assert _ids(patients) == set(PatientCard.objects.exclude(status="merged")
                                 .values_list("med_id", flat=True))
    assert records["merged"].med_id not in _ids(patients)
    # The national platform's role sees visits and hospital stays, with their diagnoses.
    encounters = bulk.resources(manifest, "Encounter")
    visits = (records["old"], records["today"], records["other_visit"])
    assert _ids(encounters) == {f"visit-{visit.public_id}" for visit in visits} | {
        f"stay-{records['stay'].public_id}"}
    conditions = bulk.resources(manifest, "Condition")
    assert {c["code"]["coding"][0]["code"] for c in conditions} == {"E11.9", "I10", "J06.9",
                                                                    "J18.9"}
    assert Path(export.job_dir(job.pk)).is_dir()
    assert Bulk(token_for(national)).get(manifest["output"][0]["url"]).status_code == 200

    events = AuditEvent.objects.filter(object_type__startswith="fhir.export")
    kick_off = events.get(object_type=export.EXPORT_OBJECT)
    assert kick_off.action == "export" and kick_off.object_id == str(job.pk)
    assert kick_off.actor == national.account and kick_off.facility_code == ""
    assert "National platform" in kick_off.reason and national.client_id in kick_off.reason
    downloads = events.filter(object_type=export.EXPORT_FILE_OBJECT)
    # Each of the three files read here once, the Patient file twice.
    assert downloads.count() == 4
    assert {event.object_id for event in downloads} == {
        f"{job.pk}/{name}" for name in ("Patient-1.ndjson", "Encounter-1.ndjson",
                                        "Condition-1.ndjson")}


def test_group_export_is_a_facility_attached_population(world, polyclinic_system, card,
                                                        records):
    bulk = Bulk(token_for(polyclinic_system))
    manifest = bulk.finished(bulk.started(f"Group/{world.polyclinic.code}/$export"))
    assert _ids(bulk.resources(manifest, "Patient")) == {card.med_id}
    # A clinician sees stays too; the merged card's records come with the card.
    encounters = _ids(bulk.resources(manifest, "Encounter"))
    assert encounters == {f"visit-{records['old'].public_id}",
                          f"visit-{records['today'].public_id}",
                          f"stay-{records['stay'].public_id}"}
    conditions = bulk.resources(manifest, "Condition")
    assert {c["code"]["coding"][0]["code"] for c in conditions} == {"E11.9", "I10", "J18.9"}
    assert {c["subject"]["reference"] for c in conditions} == {f"Patient/{card.med_id}"}
    job = ExportJob.objects.get()
    assert job.group == world.polyclinic
    assert f"Group/{world.polyclinic.code}" in AuditEvent.objects.get(
        object_type=export.EXPORT_OBJECT).reason


def test_national_platform_exports_any_facility_group(world, national, card, records):
    bulk = Bulk(token_for(national))
    code = records["elsewhere"].attached_facility.code
    manifest = bulk.finished(bulk.started(f"Group/{code}/$export", {"_type": "Patient"}))
    assert _ids(bulk.resources(manifest, "Patient")) == {records["elsewhere"].med_id}


def test_type_and_since_keep_what_changed(national, card, records):
    since = timezone.now() - timedelta(days=5)
    PatientCard.objects.filter(pk=records["elsewhere"].pk).update(
        updated_at=since - timedelta(days=1))
    bulk = Bulk(token_for(national))
    manifest = bulk.finished(bulk.started("$export", {
        "_type": "Condition,Patient", "_since": since.isoformat(),
        "_outputFormat": "application/fhir+ndjson"}))
    assert [item["type"] for item in manifest["output"]] == ["Patient", "Condition"]
    assert _ids(bulk.resources(manifest, "Patient")) == {card.med_id}
    # The visit closed ten days ago is signed and unchanged since; the open one and the
    # one closed two days ago may have changed.
    codes = {c["code"]["coding"][0]["code"] for c in bulk.resources(manifest, "Condition")}
    assert codes == {"I10", "J06.9"}
    assert ExportJob.objects.get().since == since


def test_steps_resume_where_they_stopped_and_split_files(settings, national, world):
    settings.FHIR_EXPORT_FILE_RESOURCES = 2
    cards = [CardFactory(attached_facility=world.polyclinic) for _ in range(5)]
    bulk = Bulk(token_for(national))
    status_url = bulk.started("$export", {"_type": "Patient"})
    job = ExportJob.objects.get()
    assert export.run_step(job.pk, seconds=0, chunk=2) is True
    polled = bulk.get(status_url)
    assert polled.status_code == 202 and polled["X-Progress"] == "2 resources written"
    # A step lost after writing more than it saved: the next cuts the file back first.
    job.refresh_from_db()
    path = export.job_dir(job.pk) / job.output[-1]["name"]
    with path.open("ab") as file:
        file.write(b'{"resourceType":"Patient","id":"half-writ')
    while export.run_step(job.pk, seconds=0, chunk=2):
        pass
    manifest = bulk.get(status_url).json()
    assert [(item["type"], item["count"]) for item in manifest["output"]] == [
        ("Patient", 2), ("Patient", 2), ("Patient", 1)]
    assert [item["url"].rsplit("/", 1)[1] for item in manifest["output"]] == [
        "Patient-1.ndjson", "Patient-2.ndjson", "Patient-3.ndjson"]
    patients = bulk.resources(manifest, "Patient")
    assert sorted(p["id"] for p in patients) == sorted(c.med_id for c in cards)


def test_a_step_reads_a_chunk_in_a_fixed_number_of_queries(national, world):
    def queries_for(cards: int) -> int:
        for _ in range(cards):
            VisitDiagnosis.objects.create(
                visit=VisitFactory(card=CardFactory(attached_facility=world.polyclinic)),
                code_id="I10", kind="primary")
        job = export.start_export(client=national_client, types=["Patient", "Condition"],
                                  since=None, group=None, request_url="/fhir/$export")
        with CaptureQueriesContext(connection) as captured:
            export.run_step(job.pk)
        assert ExportJob.objects.get(pk=job.pk).written == PatientCard.objects.count() \
            + VisitDiagnosis.objects.count()
        return len(captured)

    national_client = FhirClient.objects.get(application__client_id=national.client_id)
    assert queries_for(3) == queries_for(30)


def test_cancel_deletes_the_job_and_its_files(national, card):
    bulk = Bulk(token_for(national))
    status_url = bulk.started()
    job = ExportJob.objects.get()
    export.run_step(job.pk, seconds=0, chunk=1)
    assert export.job_dir(job.pk).is_dir()
    assert bulk.http.delete(status_url).status_code == 202
    assert not ExportJob.objects.exists()
    assert not export.job_dir(job.pk).exists()
    gone = bulk.get(status_url)
    assert gone.status_code == 404
    assert gone.json()["resourceType"] == "OperationOutcome"
    assert export.run_step(job.pk) is False
    assert not export.job_dir(job.pk).exists()


def test_expired_exports_and_stray_folders_are_deleted(settings, national, card, export_dir):
    bulk = Bulk(token_for(national))
    old_url, new_url = bulk.started(), bulk.started()
    bulk.finished(old_url)
    bulk.finished(new_url)
    old, new = (ExportJob.objects.get(pk=url.rsplit("/", 1)[1]) for url in (old_url, new_url))
    ExportJob.objects.filter(pk=old.pk).update(
        completed_at=timezone.now() - timedelta(hours=settings.FHIR_EXPORT_KEEP_HOURS, minutes=1))
    stray = export_dir / "3f1b9a52-8c1e-4c4e-9d51-0a3c2f7a1b00"
    stray.mkdir()
    assert export_delete_expired.apply().get() == 1
    assert list(ExportJob.objects.all()) == [new]
    assert not export.job_dir(old.pk).exists() and not stray.exists()
    assert export.job_dir(new.pk).is_dir()
    assert bulk.get(old_url).status_code == 404
    assert bulk.get(new_url).status_code == 200


def test_stalled_exports_are_sent_again(national, card, celery_on_own_broker):
    bulk = Bulk(token_for(national))
    bulk.started()
    moving = ExportJob.objects.get()
    bulk.started()
    ExportJob.objects.exclude(pk=moving.pk).update(
        updated_at=timezone.now() - export.stalled_after() - timedelta(seconds=1))
    assert export_resume.apply().get() == 1


def _outcome(response, status: int, expression: str | None = None) -> str:
    assert response.status_code == status, response.content
    body = response.json()
    assert body["resourceType"] == "OperationOutcome"
    valid_fhir(body)
    issue = body["issue"][0]
    if expression is not None:
        assert issue["expression"] == [expression]
    return issue["diagnostics"]


@pytest.mark.parametrize("params,prefer,where,text", [
    ({}, "", "Prefer", "respond-async"),
    ({"_type": "Patient,Spaceship"}, "respond-async", "_type", "Spaceship"),
    ({"_type": "Practitioner"}, "respond-async", "_type", "cannot be exported"),
    ({"_since": "yesterday"}, "respond-async", "_since", "time zone"),
    ({"_since": "2026-01-01T00:00:00"}, "respond-async", "_since", "time zone"),
    ({"_outputFormat": "text/csv"}, "respond-async", "_outputFormat", "ndjson"),
    ({"_typeFilter": "Patient?active=true"}, "respond-async", "_typeFilter", "not supported"),
])
def test_bad_parameters_are_refused_per_parameter(national, params, prefer, where, text):
    response = Bulk(token_for(national)).kick_off("$export", params, prefer=prefer)
    assert text in _outcome(response, 400, where)
    assert not ExportJob.objects.exists()


def test_refusals_by_token_role_and_facility(world, national, card):
    # No token; a token without the type's scope; a token with no exportable type.
    assert Client().get("/fhir/$export", HTTP_PREFER="respond-async").status_code == 401
    narrow = Bulk(token_for(national, "system/Patient.rs"))
    assert "Condition" in _outcome(narrow.kick_off("$export", {"_type": "Condition"}), 403)
    registry_only = Bulk(token_for(national, "system/Organization.rs"))
    _outcome(registry_only.kick_off(), 403)
    # A pharmacy's system sees no visits; a polyclinic's system exports its own patients.
    pharmacy = make_system_client(role=Role.PHARMACIST,
                                  facility=FacilityFactory(kind=FacilityKind.PHARMACY))
    refused = Bulk(token_for(pharmacy)).kick_off("$export", {"_type": "Encounter"})
    assert "does not see" in _outcome(refused, 403)
    polyclinic = Bulk(token_for(make_system_client(role=Role.CLINICIAN,
                                                   facility=world.polyclinic)))
    other = FacilityFactory()
    assert "own facility" in _outcome(polyclinic.kick_off(f"Group/{other.code}/$export"), 403)
    _outcome(polyclinic.kick_off("Group/NO-SUCH-FACILITY/$export"), 404)
    assert not ExportJob.objects.exists()


def test_only_the_client_that_started_an_export_reaches_it(world, national, card):
    mine = Bulk(token_for(national))
    manifest = mine.finished(status_url := mine.started())
    file_url = manifest["output"][0]["url"]
    stranger = Bulk(token_for(make_system_client(role=Role.ADMINISTRATOR, facility=None)))
    for response in (stranger.get(status_url), stranger.get(file_url),
                     stranger.http.delete(status_url)):
        _outcome(response, 404)
    assert ExportJob.objects.exists()
    job_id = status_url.rsplit("/", 1)[1]
    _outcome(mine.get(status_url.replace(job_id, "0" * 8 + job_id[8:])), 404)
    _outcome(mine.get(file_url.replace("-1.ndjson", "-9.ndjson")), 404)
    assert not AuditEvent.objects.filter(object_type=export.EXPORT_FILE_OBJECT).exists()


def test_a_failed_export_says_so(national, card, export_dir):
    bulk = Bulk(token_for(national))
    status_url = bulk.started()
    export_dir.mkdir(parents=True, exist_ok=True)
    # The folder the files go to cannot be made: a file stands in its place.
    export.job_dir(ExportJob.objects.get().pk).write_text("")
    export_step.apply((status_url.rsplit("/", 1)[1],))
    assert ExportJob.objects.get().status == ExportStatus.FAILED
    assert "failed" in _outcome(bulk.get(status_url), 500)
