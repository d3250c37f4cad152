"""What a laboratory's and a pharmacy's systems post: built as their own software would,
from what the FHIR interface serves (ServiceRequest ids, MedicationRequest ids, LOINC)."""

from __future__ import annotations

from datetime import datetime

from django.utils import timezone

from fhir import identifiers

LOINC = "http://loinc.org"


def lab_report(order, values: dict, *, status: str = "final",
               sampled_at: datetime | None = None, if_none_exist: str | None = None) -> dict:
    """A transaction Bundle: a DiagnosticReport of `order` and one Observation per
    {test code: value} (the value as the laboratory's software sends it)."""
    sampled_at = sampled_at or timezone.now().replace(microsecond=0)
    tests = {item.test.code: item.test for item in order.items.all()}
    observations = []
    for number, (code, value) in enumerate(values.items()):
        test = tests[code]
        observations.append({
            "fullUrl": f"urn:uuid:00000000-0000-4000-8000-{number:012d}",
            "resource": {
                "resourceType": "Observation", "status": status,
                "code": {"coding": [{"system": LOINC, "code": test.loinc}]},
                "subject": {"reference": f"Patient/{order.card.med_id}"},
                "effectiveDateTime": sampled_at.isoformat(),
                "valueQuantity": {"value": value, "unit": test.unit},
            },
            "request": {"method": "POST", "url": "Observation"},
        })
    request = {"method": "POST", "url": "DiagnosticReport"}
    if if_none_exist:
        request["ifNoneExist"] = if_none_exist
    report = {
        "fullUrl": "urn:uuid:00000000-0000-4000-8000-999999999999",
        "resource": {
            "resourceType": "DiagnosticReport", "status": status,
            "code": {"coding": [{"system": LOINC, "code": "11502-2"}]},
            "basedOn": [{"reference": f"ServiceRequest/{order.public_id}.{code}"}
                        for code in values],
            "subject": {"reference": f"Patient/{order.card.med_id}"},
            "effectiveDateTime": sampled_at.isoformat(),
            "result": [{"reference": entry["fullUrl"]} for entry in observations],
        },
        "request": request,
    }
    return {"resourceType": "Bundle", "type": "transaction", "entry": [report, *observations]}


def dispense_body(prescription, *, line: int = 1, quantity: int = 1, pinfl: str = "",
                  dispense_id: str = "D-1") -> dict:
    """A MedicationDispense of one prescription item, the patient named by PINFL."""
    item = prescription.items.get(line=line)
    return {
        "resourceType": "MedicationDispense", "status": "completed",
        "identifier": [{"system": "https://pharmacy.example.uz/dispense",
                        "value": dispense_id}],
        "medication": {"reference": {"reference": f"Medication/{item.drug_id}"}},
        "subject": {"identifier": {"system": identifiers.PINFL.system,
                                   "value": pinfl or prescription.patient.pinfl}},
        "authorizingPrescription": [
            {"reference": f"MedicationRequest/{prescription.code}.{line}"}],
        "quantity": {"value": quantity},
    }
