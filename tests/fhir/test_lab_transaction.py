"""A laboratory system posts a transaction Bundle, a DiagnosticReport and its Observations
for one order of its laboratory: through the order page's services, all or nothing,
audited as the page, answered by a transaction-response with locations; refused for
another laboratory's or an unknown order, without the scopes, with an expired token, and
for bad input with one issue per bad element."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone, translation
from django.utils.translation import gettext
from oauth2_provider.models import AccessToken

from clinics.labs import services
from clinics.labs.models import LabOrder, LabResult
from dmed.models import AuditEvent
from dmed.roles import Role
from registry.models import FacilityKind
from tests.factories import FacilityFactory
from tests.fhir.bodies import lab_report
from tests.fhir.conftest import Fhir, make_system_client, token_for

pytestmark = pytest.mark.django_db

WRITE = "system/DiagnosticReport.c system/Observation.c"


@pytest.fixture
def lab_system(world):
    return make_system_client(role=Role.LAB_TECHNICIAN, facility=world.laboratory,
                              name="Laboratory information system")


@pytest.fixture
def lab(lab_system):
    return Fhir(token_for(lab_system, scope=WRITE))


@pytest.fixture
def order(world, card) -> LabOrder:
    return services.place_lab_order(actor=world.doctor, med_id=card.med_id,
                                    laboratory=world.laboratory, tests=["GLU", "HGB"])


def test_a_final_report_is_entered_released_and_answered_with_locations(
        lab, lab_system, world, order, fhir):
    response = lab.post("", lab_report(order, {"GLU": 5.2, "HGB": 138}))
    assert response.status_code == 200, response.json()
    bundle = response.json()
    assert bundle["type"] == "transaction-response"
    results = {r.test.code: r for r in LabResult.objects.filter(item__order=order)}
    assert [entry["response"]["status"] for entry in bundle["entry"]] == ["201 Created"] * 3
    assert [entry["response"]["location"] for entry in bundle["entry"]] == [
        f"DiagnosticReport/{order.public_id}", f"Observation/lab-{results['GLU'].public_id}",
        f"Observation/lab-{results['HGB'].public_id}"]
    assert results["GLU"].value == Decimal("5.2") and results["GLU"].flag == "normal"
    assert all(r.is_released and r.verified_by == lab_system.account
               and r.entered_by == lab_system.account for r in results.values())
    order.refresh_from_db()
    assert order.completed_at is not None
    # Audited as the order page audits it: the system's account at its laboratory.
    events = AuditEvent.objects.filter(actor=lab_system.account, allowed=True)
    assert {(e.action, e.object_type) for e in events} == {
        ("view", "clinics.lab_order"), ("create", "clinics.lab_result"),
        ("update", "clinics.lab_result")}
    assert {e.facility_code for e in events} == {world.laboratory.code}
    # What was written reads back as the clinicians' systems read it.
    report = fhir.get(bundle["entry"][0]["response"]["location"]).json()
    assert report["status"] == "final" and len(report["result"]) == 2


def test_a_preliminary_report_waits_for_a_technician_to_release_it(lab, world, order):
    response = lab.post("", lab_report(order, {"GLU": 5.2}, status="preliminary"))
    assert response.status_code == 200
    result = LabResult.objects.get(item__order=order)
    assert not result.is_released
    services.release_result(actor=world.second_technician, result_id=result.public_id)


def test_a_critical_value_is_not_released_by_the_system_that_entered_it(lab, order):
    response = lab.post("", lab_report(order, {"GLU": 30}))
    assert response.status_code == 403
    assert "another technician" in response.json()["issue"][0]["diagnostics"]
    assert not LabResult.objects.filter(item__order=order).exists()
    assert lab.post("", lab_report(order, {"GLU": 30}, status="preliminary")).status_code == 200


def test_a_retried_transaction_with_if_none_exist_finds_the_report_and_writes_nothing(
        lab, order):
    criteria = f"based-on=ServiceRequest/{order.public_id}.GLU"
    first = lab.post("", lab_report(order, {"GLU": 5.2}, if_none_exist=criteria)).json()
    written = AuditEvent.objects.filter(object_type="clinics.lab_result").count()
    again = lab.post("", lab_report(order, {"GLU": 5.2}, if_none_exist=criteria))
    assert again.status_code == 200
    assert [e["response"]["status"] for e in again.json()["entry"]] == ["200 OK"] * 2
    assert [e["response"]["location"] for e in again.json()["entry"]] == [
        e["response"]["location"] for e in first["entry"]]
    assert LabResult.objects.filter(item__order=order).count() == 1
    assert AuditEvent.objects.filter(object_type="clinics.lab_result").count() == written
    # Without it, the retry is refused: a released result is corrected, not entered again.
    refused = lab.post("", lab_report(order, {"GLU": 5.2}))
    assert refused.status_code == 400
    assert refused.json()["issue"][0]["expression"] == [
        "Bundle.entry[1].resource.valueQuantity.value"]


def test_if_none_exist_matching_several_reports_is_412(lab, world, card, order):
    other = services.place_lab_order(actor=world.doctor, med_id=card.med_id,
                                     laboratory=world.laboratory, tests=["GLU"])
    for each in (order, other):
        lab.post("", lab_report(each, {"GLU": 5.0}, status="preliminary"))
    criteria = (f"based-on=ServiceRequest/{order.public_id}.GLU,"
                f"ServiceRequest/{other.public_id}.GLU")
    response = lab.post("", lab_report(order, {"HGB": 130}, if_none_exist=criteria))
    assert response.status_code == 412
    assert response.json()["issue"][0]["code"] == "multiple-matches"
    assert not LabResult.objects.filter(test__code="HGB").exists()


def test_another_laboratorys_order_is_404_and_the_refusal_audited(world, card, order):
    elsewhere = FacilityFactory(kind=FacilityKind.LABORATORY)
    other = make_system_client(role=Role.LAB_TECHNICIAN, facility=elsewhere)
    response = Fhir(token_for(other, scope=WRITE)).post("", lab_report(order, {"GLU": 5.2}))
    assert response.status_code == 404
    assert response.json()["issue"][0]["code"] == "not-found"
    assert not LabResult.objects.exists()
    assert AuditEvent.objects.filter(actor=other.account, allowed=False,
                                     object_id=str(order.public_id)).exists()


def test_an_unknown_order_is_404(lab, order):
    body = lab_report(order, {"GLU": 5.2})
    body["entry"][0]["resource"]["basedOn"] = [
        {"reference": "ServiceRequest/6f0c1f5e-0000-4000-8000-000000000000.GLU"}]
    assert lab.post("", body).status_code == 404


@pytest.mark.parametrize("scope", ["system/Observation.c", "system/DiagnosticReport.c",
                                   "system/DiagnosticReport.rs system/Observation.rs"])
def test_a_token_without_both_create_scopes_is_refused_403(lab_system, order, scope):
    response = Fhir(token_for(lab_system, scope=scope)).post("", lab_report(order,
                                                                             {"GLU": 5.2}))
    assert response.status_code == 403
    assert "create" in response.json()["issue"][0]["diagnostics"]
    assert not LabResult.objects.exists()


def test_an_expired_token_is_refused_401(lab, order):
    AccessToken.objects.update(expires=timezone.now() - timedelta(seconds=1))
    response = lab.post("", lab_report(order, {"GLU": 5.2}))
    assert response.status_code == 401
    assert response.json()["issue"][0]["code"] == "login"


def test_a_clinicians_system_does_not_report_results(world, order):
    clinic = make_system_client(role=Role.CLINICIAN, facility=world.polyclinic)
    response = Fhir(token_for(clinic, scope=WRITE)).post("", lab_report(order, {"GLU": 5}))
    assert response.status_code == 403
    assert not LabResult.objects.exists()


def _break(body, change):
    change(body)
    return body


BAD = {
    "not a transaction": (lambda b: b.update(type="batch"), "Bundle.type"),
    "unknown LOINC": (lambda b: b["entry"][1]["resource"]["code"]["coding"][0].update(
        code="0000-0"), "Bundle.entry[1].resource.code"),
    "not a number": (lambda b: b["entry"][2]["resource"]["valueQuantity"].update(
        value="high"), "Bundle.entry[2].resource.valueQuantity.value"),
    "too many digits": (lambda b: b["entry"][2]["resource"]["valueQuantity"].update(
        value=1e12), "Bundle.entry[2].resource.valueQuantity.value"),
    "another unit": (lambda b: b["entry"][1]["resource"]["valueQuantity"].update(
        unit="mg/dL"), "Bundle.entry[1].resource.valueQuantity.unit"),
    "no time zone": (lambda b: b["entry"][0]["resource"].update(
        effectiveDateTime="2026-01-01T10:00:00"), "Bundle.entry[0].resource.effectiveDateTime"),
    "sampled in the future": (lambda b: [e["resource"].pop("effectiveDateTime") for e in
                                         b["entry"][1:]] and b["entry"][0]["resource"].update(
        effectiveDateTime=(timezone.now() + timedelta(days=1)).isoformat()),
        "Bundle.entry[0].resource.effectiveDateTime"),
    "an amended status": (lambda b: b["entry"][0]["resource"].update(status="amended"),
                          "Bundle.entry[0].resource.status"),
    "statuses differ": (lambda b: b["entry"][2]["resource"].update(status="preliminary"),
                        "Bundle.entry[2].resource.status"),
    "another patient": (lambda b: b["entry"][0]["resource"].update(
        subject={"reference": "Patient/XX0000000"}), "Bundle.entry[0].resource.subject"),
    "a result not in the bundle": (lambda b: b["entry"][0]["resource"]["result"].pop(),
                                   "Bundle.entry[0].resource.result"),
    "a put": (lambda b: b["entry"][1]["request"].update(method="PUT"),
              "Bundle.entry[1].request"),
    "another resource": (lambda b: b["entry"][1]["resource"].update(resourceType="Patient"),
                         "Bundle.entry[1].resource.resourceType"),
    "ifNoneExist on an observation": (lambda b: b["entry"][1]["request"].update(
        ifNoneExist="code=1558-6"), "Bundle.entry[1].request.ifNoneExist"),
    "an unsupported search": (lambda b: b["entry"][0]["request"].update(
        ifNoneExist="status=final"), "Bundle.entry[0].request.ifNoneExist"),
}


@pytest.mark.parametrize("case", BAD)
def test_bad_input_is_400_with_the_element_named_and_nothing_written(lab, order, case):
    change, where = BAD[case]
    response = lab.post("", _break(lab_report(order, {"GLU": 5.2, "HGB": 138}), change))
    assert response.status_code == 400, response.json()
    assert response.json()["issue"][0]["expression"] == [where]
    assert not LabResult.objects.exists()


def test_one_refused_value_refuses_the_whole_report(lab, order):
    body = lab_report(order, {"GLU": 5.2, "HGB": 138}, sampled_at=order.ordered_at
                      - timedelta(hours=2))
    response = lab.post("", body)
    assert response.status_code == 400
    assert response.json()["issue"][0]["expression"] == [
        "Bundle.entry[0].resource.effectiveDateTime"]
    assert not LabResult.objects.exists()


def test_refusals_answer_in_the_callers_language(lab_system, order):
    russian = Fhir(token_for(lab_system, scope=WRITE), language="ru")
    response = russian.post("", _break(lab_report(order, {"GLU": 5.2}),
                                       lambda b: b.update(type="batch")))
    with translation.override("ru"):
        expected = gettext("Post a transaction Bundle.")
    assert expected != "Post a transaction Bundle."
    assert response.json()["issue"][0]["diagnostics"] == expected
