"""The portal's records as FHIR R5 resources on the UZ Core profiles.

Plain functions from a record (already loaded and authorised by a selector) to a JSON-ready
dict; identifier systems come from fhir.identifiers only. Ids are the portal's public
identifiers: a MED-ID, a facility code, an account's public ID, the UUID of a visit, stay
or result.
"""

from __future__ import annotations

import base64

from django.utils import timezone

from dmed.translit import cyrillic_to_latin, latin_to_cyrillic
from fhir import identifiers

PROFILE = "https://dhp.uz/fhir/core/StructureDefinition/"
PATIENT_PROFILE = PROFILE + "uz-core-patient"
ORGANIZATION_PROFILE = PROFILE + "uz-core-organization"
PRACTITIONER_PROFILE = PROFILE + "uz-core-practitioner"
PRACTITIONER_ROLE_PROFILE = PROFILE + "uz-core-practitioner-role"
ENCOUNTER_PROFILE = PROFILE + "uz-core-encounter"
CONDITION_PROFILE = PROFILE + "uz-core-condition"
OBSERVATION_PROFILE = PROFILE + "uz-core-observation"
AUDIT_EVENT_PROFILE = PROFILE + "uz-core-auditevent"
# Resources the guide does not profile (yet) follow the base FHIR R5 definitions.
BASE_PROFILE = "http://hl7.org/fhir/StructureDefinition/"

ICD10 = "http://hl7.org/fhir/sid/icd-10"
LOINC = "http://loinc.org"
UCUM = "http://unitsofmeasure.org"
TRANSLATION = "http://hl7.org/fhir/StructureDefinition/translation"
ACT_CODE = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
CONDITION_CLINICAL = "http://terminology.hl7.org/CodeSystem/condition-clinical"
CONDITION_VERIFICATION = "http://terminology.hl7.org/CodeSystem/condition-ver-status"
CONDITION_CATEGORY = "http://terminology.hl7.org/CodeSystem/condition-category"
OBSERVATION_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
INTERPRETATION = "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation"
ORGANIZATION_TYPE = "http://terminology.hl7.org/CodeSystem/organization-type"
ATC = "http://www.whocc.no/atc"
ALLERGY_CLINICAL = "http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical"
ALLERGY_VERIFICATION = "http://terminology.hl7.org/CodeSystem/allergyintolerance-verification"
AUDIT_EVENT_ACTION = "http://hl7.org/fhir/audit-event-action"

VISIT_PREFIX, STAY_PREFIX = "visit-", "stay-"
LAB_PREFIX, VITALS_PREFIX = "lab-", "vitals-"


def reference(resource_type: str, resource_id: str, display: str = "") -> dict:
    ref = {"reference": f"{resource_type}/{resource_id}"}
    if display:
        ref["display"] = display
    return ref


def practitioner_id(user) -> str:
    """A person's FHIR id: their account's random public ID, never the username (chosen by
    people, often from their name)."""
    return user.public_id.hex


def practitioner_reference(user) -> dict:
    return reference("Practitioner", practitioner_id(user), user.full_name)


def organization_reference(facility) -> dict:
    return reference("Organization", facility.code, facility.name)


def patient_reference(card) -> dict:
    return reference("Patient", card.med_id)


def _icd10(code) -> dict:
    return {"coding": [{"system": ICD10, "code": code.code, "display": code.title_en}],
            "text": code.title}


def _instant(moment) -> str:
    return timezone.localtime(moment).isoformat(timespec="seconds")


def _other_script(text: str) -> tuple[str, str]:
    """(language, text) of a name in the other script: Cyrillic for Latin and back."""
    if any("\u0400" <= char <= "\u04ff" for char in text):
        return "uz", cyrillic_to_latin(text)
    return "uz-Cyrl", latin_to_cyrillic(text)


def _translated(text: str) -> dict:
    language, other = _other_script(text)
    return {"extension": [{"url": TRANSLATION, "extension": [
        {"url": "lang", "valueCode": language}, {"url": "content", "valueString": other}]}]}


def _human_name(last: str, first: str, middle: str, use: str = "official") -> dict:
    text = " ".join(part for part in (last, first, middle) if part)
    name = {"use": use, "text": text, "_text": _translated(text)}
    if last:
        name["family"] = last
    if first:
        name["given"] = [first]
    if middle:
        # The guide's examples carry the patronymic as a suffix.
        name["suffix"] = [middle]
    return name


def _uz_address(*, line: str, district, region, use: str) -> dict:
    address = {"use": use, "type": "physical", "country": "UZ"}
    if line:
        address["line"] = [line]
    if district is not None:
        address["district"] = district.code  # SOATO, the guide's RegionsVS
    if region is not None:
        address["state"] = region.code  # SOATO, the guide's StateVS
    parts = [line, district.name if district else "", region.name if region else ""]
    address["text"] = ", ".join(part for part in parts if part)
    return address


def patient(card) -> dict:
    ids = [identifiers.HEALTH_CARD.as_fhir(card.med_id)]
    if card.pinfl:
        ids.append(identifiers.PINFL.as_fhir(card.pinfl))
    for document in card.documents.all():
        if document.country:
            system = identifiers.foreign_passport(document.country)
            ids.append({"use": "official", "system": system, "value": document.number,
                        "type": identifiers.PASSPORT_LOCAL.as_fhir("")["type"]})
        else:
            ids.append(identifiers.PASSPORT_LOCAL.as_fhir(document.number))
    resource = {
        "resourceType": "Patient", "id": card.med_id,
        "meta": {"profile": [PATIENT_PROFILE], "lastUpdated": _instant(card.updated_at)},
        "identifier": ids,
        "active": card.status != "merged",
    }
    if card.last_name or card.first_name:
        resource["name"] = [_human_name(card.last_name, card.first_name, card.middle_name)]
    if card.phone:
        resource["telecom"] = [{"system": "phone", "value": card.phone, "use": "mobile"}]
    if card.sex:
        resource["gender"] = card.sex
    if card.birth_date:
        resource["birthDate"] = card.birth_date.isoformat()
    if card.street or card.district_id or card.region_id:
        resource["address"] = [_uz_address(line=card.street, district=card.district,
                                           region=card.region, use="home")]
    if card.attached_facility_id:
        resource["managingOrganization"] = organization_reference(card.attached_facility)
    if card.emergency_contact_name:
        contact = {"relationship": [{"coding": [{
            "system": "http://terminology.hl7.org/CodeSystem/v2-0131", "code": "C",
            "display": "Emergency Contact"}]}], "name": {"text": card.emergency_contact_name}}
        if card.emergency_contact_phone:
            contact["telecom"] = [{"system": "phone", "value": card.emergency_contact_phone}]
        resource["contact"] = [contact]
    return resource


def organization(facility) -> dict:
    ids = [identifiers.TAX_ID.as_fhir(facility.tax_id)]
    if facility.shif_code:
        ids.append(identifiers.SHIF.as_fhir(facility.shif_code))
    resource = {
        "resourceType": "Organization", "id": facility.code,
        "meta": {"profile": [ORGANIZATION_PROFILE]},
        "identifier": ids, "active": facility.is_active,
        "type": [{"coding": [{"system": ORGANIZATION_TYPE, "code": "prov",
                              "display": "Healthcare Provider"}],
                  "text": facility.get_kind_display()}],
        "name": facility.name, "_name": _translated(facility.name),
        "contact": [{"address": _uz_address(line=facility.address, district=facility.district,
                                            region=facility.region, use="work")}],
    }
    if facility.phone:
        resource["contact"][0]["telecom"] = [{"system": "phone", "value": facility.phone}]
    if facility.parent_id:
        resource["partOf"] = organization_reference(facility.parent)
    return resource


def group(facility) -> dict:
    """A facility's attached population (the patients whose card names it), defined by
    that rule rather than listed: what `Group/<code>/$export` exports. No count: the
    population is millions of cards, and a count would be stale by the time it is read."""
    return {
        "resourceType": "Group", "id": facility.code,
        "meta": {"profile": [BASE_PROFILE + "Group"]},
        "active": facility.is_active,
        "type": "person", "membership": "definitional",
        "name": facility.name,
        "characteristic": [{"code": {"text": "attached to"},
                            "valueReference": organization_reference(facility),
                            "exclude": False}],
        "managingEntity": organization_reference(facility),
    }


def practitioner(user, records) -> dict:
    ids = [identifiers.ARGOS.as_fhir(argos) for argos in
           sorted({record.argos_id for record in records if record.argos_id})]
    resource = {
        "resourceType": "Practitioner", "id": practitioner_id(user),
        "meta": {"profile": [PRACTITIONER_PROFILE]},
        "active": user.is_active,
        "name": [_human_name(user.last_name, user.first_name, user.middle_name)],
    }
    if ids:
        resource["identifier"] = ids
    licences = sorted({record.licence_number for record in records if record.licence_number})
    if licences:
        resource["qualification"] = [{"identifier": [{"value": licence}], "code": {"coding": [{
            "system": "http://terminology.hl7.org/CodeSystem/v2-0360", "code": "MD",
            "display": "Doctor of Medicine"}], "text": licence}} for licence in licences]
    return resource


def practitioner_role_id(record) -> str:
    return f"{practitioner_id(record.user)}.{record.facility.code}.{record.role.replace('_', '-')}"


def practitioner_role(record) -> dict:
    today = timezone.localdate()
    period = {"start": record.active_from.isoformat()}
    if record.active_to:
        period["end"] = record.active_to.isoformat()
    resource = {
        "resourceType": "PractitionerRole", "id": practitioner_role_id(record),
        "meta": {"profile": [PRACTITIONER_ROLE_PROFILE]},
        "active": record.active_from <= today and (record.active_to is None
                                                   or record.active_to >= today),
        "period": period,
        "practitioner": practitioner_reference(record.user),
        "organization": organization_reference(record.facility),
        "code": [{"text": record.get_role_display()}],
    }
    if record.argos_id:
        resource["identifier"] = [identifiers.ARGOS.as_fhir(record.argos_id)]
    if record.specialty:
        resource["specialty"] = [{"text": record.specialty}]
    return resource


def _encounter(*, resource_id, card, facility, status, class_code, class_display, start, end,
               participants) -> dict:
    period = {"start": _instant(start)}
    if end:
        period["end"] = _instant(end)
    return {
        "resourceType": "Encounter", "id": resource_id,
        "meta": {"profile": [ENCOUNTER_PROFILE]},
        "status": status,
        "class": [{"coding": [{"system": ACT_CODE, "code": class_code,
                               "display": class_display}]}],
        "subject": patient_reference(card),
        "serviceProvider": organization_reference(facility),
        "actualPeriod": period,
        "participant": [{"actor": practitioner_reference(user)}
                        for user in participants if user is not None],
    }


def visit_encounter(visit) -> dict:
    return _encounter(resource_id=VISIT_PREFIX + str(visit.public_id), card=visit.card,
                      facility=visit.facility,
                      status="in-progress" if visit.status == "open" else "completed",
                      class_code="AMB", class_display="ambulatory", start=visit.opened_at,
                      end=visit.closed_at, participants=[visit.clinician])


def stay_encounter(stay) -> dict:
    return _encounter(resource_id=STAY_PREFIX + str(stay.public_id), card=stay.card,
                      facility=stay.facility,
                      status="in-progress" if stay.status == "current" else "completed",
                      class_code="IMP", class_display="inpatient encounter",
                      start=stay.admitted_at, end=stay.discharged_at,
                      participants=[stay.admitted_by, stay.discharged_by])


def condition_id(prefix: str, parent_public_id, code: str) -> str:
    return f"{prefix}{parent_public_id}.{code}"


def _condition(*, resource_id, diagnosis, card, encounter_id, recorded_at, active) -> dict:
    code = diagnosis.code
    return {
        "resourceType": "Condition", "id": resource_id,
        "meta": {"profile": [CONDITION_PROFILE]},
        "clinicalStatus": {"coding": [{"system": CONDITION_CLINICAL,
                                       "code": "active" if active else "inactive"}]},
        "verificationStatus": {"coding": [{"system": CONDITION_VERIFICATION,
                                           "code": "confirmed"}]},
        "category": [{"coding": [{"system": CONDITION_CATEGORY, "code": "encounter-diagnosis",
                                  "display": "Encounter Diagnosis"}]}],
        "code": _icd10(code),
        "subject": patient_reference(card),
        "encounter": reference("Encounter", encounter_id),
        "recordedDate": _instant(recorded_at),
        "note": [{"text": diagnosis.get_kind_display()}],
    }


def visit_condition(diagnosis) -> dict:
    visit = diagnosis.visit
    return _condition(resource_id=condition_id(VISIT_PREFIX, visit.public_id,
                                               diagnosis.code_id),
                      diagnosis=diagnosis, card=visit.card,
                      encounter_id=VISIT_PREFIX + str(visit.public_id),
                      recorded_at=visit.opened_at, active=visit.status == "open")


def stay_condition(diagnosis) -> dict:
    stay = diagnosis.stay
    return _condition(resource_id=condition_id(STAY_PREFIX, stay.public_id, diagnosis.code_id),
                      diagnosis=diagnosis, card=stay.card,
                      encounter_id=STAY_PREFIX + str(stay.public_id),
                      recorded_at=stay.discharged_at or stay.admitted_at, active=False)


_FLAG_INTERPRETATION = {"normal": "N", "low": "L", "high": "H", "critical_low": "LL",
                        "critical_high": "HH"}


def _quantity(value, unit: str) -> dict:
    return {"value": float(value), "unit": unit}


def lab_observation(result) -> dict:
    test = result.test
    coding = [{"system": LOINC, "code": test.loinc, "display": test.name}] if test.loinc else []
    resource = {
        "resourceType": "Observation", "id": LAB_PREFIX + str(result.public_id),
        "meta": {"profile": [OBSERVATION_PROFILE]},
        "status": "corrected" if result.corrects_id else "final",
        "category": [{"coding": [{"system": OBSERVATION_CATEGORY, "code": "laboratory",
                                  "display": "Laboratory"}]}],
        "code": {"coding": coding, "text": test.name},
        "subject": patient_reference(result.card),
        "effectiveDateTime": _instant(result.sampled_at),
        "issued": _instant(result.released_at),
        "valueQuantity": _quantity(result.value, result.unit),
    }
    if result.flag in _FLAG_INTERPRETATION:
        resource["interpretation"] = [{"coding": [{
            "system": INTERPRETATION, "code": _FLAG_INTERPRETATION[result.flag]}],
            "text": result.get_flag_display()}]
    if result.reference_low is not None or result.reference_high is not None:
        reference_range = {"text": result.reference_text}
        if result.reference_low is not None:
            reference_range["low"] = _quantity(result.reference_low, result.unit)
        if result.reference_high is not None:
            reference_range["high"] = _quantity(result.reference_high, result.unit)
        resource["referenceRange"] = [reference_range]
    if result.comment:
        resource["note"] = [{"text": result.comment}]
    return resource


# The visit's vital signs: LOINC code, display, model field, UCUM unit.
VITALS = (
    ("8480-6", "Systolic blood pressure", "bp_systolic", "mm[Hg]"),
    ("8462-4", "Diastolic blood pressure", "bp_diastolic", "mm[Hg]"),
    ("8867-4", "Heart rate", "pulse", "/min"),
    ("8310-5", "Body temperature", "temperature", "Cel"),
    ("59408-5", "Oxygen saturation in Arterial blood by Pulse oximetry", "spo2", "%"),
    ("29463-7", "Body weight", "weight", "kg"),
    ("8302-2", "Body height", "height", "cm"),
    ("39156-5", "Body mass index (BMI) [Ratio]", "bmi", "kg/m2"),
)


VITALS_PANEL = "85353-1"


def has_vitals(visit) -> bool:
    return any(getattr(visit, field) is not None for _code, _display, field, _unit in VITALS)


def vitals_observation(visit) -> dict:
    """A visit's vital signs as one panel (LOINC 85353-1) with a component per measure."""
    components = [{"code": {"coding": [{"system": LOINC, "code": code, "display": display}]},
                   "valueQuantity": {**_quantity(getattr(visit, field), unit),
                                     "system": UCUM, "code": unit}}
                  for code, display, field, unit in VITALS
                  if getattr(visit, field) is not None]
    return {
        "resourceType": "Observation", "id": VITALS_PREFIX + str(visit.public_id),
        "meta": {"profile": [OBSERVATION_PROFILE]},
        "status": "preliminary" if visit.status == "open" else "final",
        "category": [{"coding": [{"system": OBSERVATION_CATEGORY, "code": "vital-signs",
                                  "display": "Vital Signs"}]}],
        "code": {"coding": [{"system": LOINC, "code": VITALS_PANEL,
                             "display": "Vital signs, weight, height, head circumference, "
                                        "oxygen saturation and BMI panel"}]},
        "subject": patient_reference(visit.card),
        "encounter": reference("Encounter", VISIT_PREFIX + str(visit.public_id)),
        "effectiveDateTime": _instant(visit.opened_at),
        "component": components,
    }


# ----------------------------------------------------------------- representatives


def related_person_id(representation) -> str:
    """The card, the representative's public ID and the day the representation began: one
    person may represent a child again after a gap."""
    return (f"{representation.card.med_id}.{practitioner_id(representation.representative)}"
            f".{representation.valid_from:%Y%m%d}")


def related_person(representation) -> dict:
    """A parent or guardian who sees the patient's card (patients.Representation)."""
    person, today = representation.representative, timezone.localdate()
    period = {"start": representation.valid_from.isoformat()}
    if representation.valid_to:
        period["end"] = representation.valid_to.isoformat()
    resource = {
        "resourceType": "RelatedPerson", "id": related_person_id(representation),
        "meta": {"profile": [BASE_PROFILE + "RelatedPerson"]},
        "active": representation.valid_from <= today and (
            representation.valid_to is None or representation.valid_to >= today),
        "patient": patient_reference(representation.card),
        "relationship": [{"text": representation.basis}],
        "name": [_human_name(person.last_name, person.first_name, person.middle_name)],
        "period": period,
    }
    if person.phone:
        resource["telecom"] = [{"system": "phone", "value": person.phone}]
    return resource


# ------------------------------------------------------ allergies and the access log

_ALLERGY_VERIFICATION = {"verified": "confirmed", "suspected": "unconfirmed"}


def allergy_intolerance(allergy) -> dict:
    """An allergy of the card: a drug (INN), a group of drugs (ATC) or another allergen."""
    code = {"text": allergy.substance}
    if allergy.atc_code:
        code["coding"] = [{"system": ATC, "code": allergy.atc_code}]
    resource = {
        "resourceType": "AllergyIntolerance", "id": str(allergy.public_id),
        "meta": {"profile": [BASE_PROFILE + "AllergyIntolerance"],
                 "lastUpdated": _instant(allergy.changed_at)},
        "clinicalStatus": {"coding": [{"system": ALLERGY_CLINICAL, "code": (
            "resolved" if allergy.ended_at else "active")}]},
        "verificationStatus": {"coding": [{"system": ALLERGY_VERIFICATION,
                                           "code": _ALLERGY_VERIFICATION[allergy.verification]}]},
        "criticality": "high" if allergy.is_severe else "low",
        "code": code,
        "patient": patient_reference(allergy.card),
        "recordedDate": _instant(allergy.noted_at),
    }
    if allergy.kind != "other":
        resource["category"] = ["medication"]
    if allergy.recorded_by_id:
        # R5 names the recorder as a participant of the author's function.
        resource["participant"] = [{"function": {"coding": [{
            "system": "http://terminology.hl7.org/CodeSystem/provenance-participant-type",
            "code": "author", "display": "Author"}]},
            "actor": practitioner_reference(allergy.recorded_by)}]
    if allergy.reaction:
        resource["reaction"] = [{"manifestation": [{"concept": {"text": allergy.reaction}}],
                                 "severity": allergy.severity}]
    if allergy.end_reason:
        resource["note"] = [{"text": allergy.end_reason}]
    return resource


DICOM = "http://dicom.nema.org/resources/ontology/DCM"
RESTFUL_INTERACTION = "http://hl7.org/fhir/restful-interaction"
ISSUE_SEVERITY = "http://hl7.org/fhir/issue-severity"
SECURITY_SOURCE_TYPE = "http://terminology.hl7.org/CodeSystem/security-source-type"
ACT_REASON = "http://terminology.hl7.org/CodeSystem/v3-ActReason"
# The trail's action → (FHIR audit action, RESTful interaction), from the codes UZ Core's
# AuditEventSubTypeVS allows.
_AUDIT_ACTIONS = {"view": ("R", "read"), "list": ("R", "search"),
                  "search": ("R", "search"), "print": ("R", "read"),
                  "export": ("R", "read"), "break_glass": ("R", "read"),
                  "create": ("C", "create"), "update": ("U", "update")}


def audit_event(event, card) -> dict:
    """One entry of a card's access log (patients.selectors.card_access_log, which names
    who did it, at which facility, and what, in the reader's words)."""
    # Sign-ins name no patient, so every entry of a card's log is one of the above.
    action, interaction = _AUDIT_ACTIONS[event.action]
    agent = {"who": {"display": f"{event.who}, {event.facility_name}"}, "requestor": True}
    if event.break_glass:
        agent["authorization"] = [{"coding": [{"system": ACT_REASON, "code": "ETREAT",
                                               "display": "Emergency treatment"}]}]
    return {
        "resourceType": "AuditEvent", "id": str(event.pk),
        "meta": {"profile": [AUDIT_EVENT_PROFILE]},
        "category": [{"coding": [{"system": DICOM, "code": "110110",
                                  "display": "Patient Record"}]}],
        "code": {"coding": [{"system": RESTFUL_INTERACTION, "code": interaction}],
                 "text": event.what},
        "action": action,
        "occurredDateTime": _instant(event.occurred_at),
        "recorded": _instant(event.occurred_at),
        "outcome": {"code": {"system": ISSUE_SEVERITY, "code": "success"}},
        "patient": patient_reference(card),
        "agent": [agent],
        "source": {"observer": {"display": "DMED"},
                   "type": [{"coding": [{"system": SECURITY_SOURCE_TYPE, "code": "4",
                                         "display": "Application Server"}]}]},
        "entity": [{"what": {"display": event.what}}],
    }


# ------------------------------------------------------------- medicines and prescriptions

# A prescription item's status → MedicationRequest.status. An item a pharmacy refused
# stays open: another pharmacy may still dispense it.
_ITEM_STATUS = {"to_dispense": "active", "partly_dispensed": "active",
                "not_dispensed": "active", "dispensed": "completed",
                "cancelled": "cancelled", "expired": "ended"}
MEDICATION_REQUEST_STATUSES = frozenset(_ITEM_STATUS.values())


def item_statuses(fhir_statuses) -> list[str]:
    """The item statuses that answer to these MedicationRequest statuses."""
    return [item for item, status in _ITEM_STATUS.items() if status in fhir_statuses]


def medication(drug) -> dict:
    """A drug of the national registry: ATC code, INN, form and strength."""
    return {
        "resourceType": "Medication", "id": str(drug.pk),
        "meta": {"profile": [BASE_PROFILE + "Medication"]},
        "code": {"coding": [{"system": ATC, "code": drug.atc_code}], "text": str(drug)},
        "status": "active" if drug.is_active else "inactive",
        "doseForm": {"text": drug.get_dosage_form_display()},
        "ingredient": [{"item": {"concept": {"text": drug.inn}}, "isActive": True,
                        "strengthCodeableConcept": {"text": drug.strength}}],
    }


def medication_request_id(prescription_code: str, line: int) -> str:
    return f"{prescription_code}.{line}"


def medication_request(prescription, item) -> dict:
    """One item of an e-prescription (the prescription's code groups its items)."""
    dosage = {"text": ", ".join(part for part in (
        item.dosage, item.frequency,
        f"{item.duration_days} d" if item.duration_days else "") if part)}
    if item.instructions:
        dosage["patientInstruction"] = item.instructions
    if item.route:
        dosage["route"] = {"text": item.route}
    resource = {
        "resourceType": "MedicationRequest",
        "id": medication_request_id(prescription.code, item.line),
        "meta": {"profile": [BASE_PROFILE + "MedicationRequest"],
                 "lastUpdated": _instant(prescription.updated_at)},
        "groupIdentifier": {"value": prescription.code},
        "status": _ITEM_STATUS[item.status],
        "intent": "order",
        "medication": {"reference": reference("Medication", str(item.drug_id), str(item.drug))},
        "subject": patient_reference(prescription.patient),
        "authoredOn": _instant(prescription.issued_at),
        "requester": practitioner_reference(prescription.prescriber),
        "dosageInstruction": [dosage],
        "dispenseRequest": {
            "validityPeriod": {"start": prescription.available_from.isoformat(),
                               "end": prescription.valid_until.isoformat()},
            "quantity": {"value": item.quantity}},
    }
    if item.status_reason:
        resource["statusReason"] = {"text": item.status_reason}
    if prescription.diagnosis_id:
        resource["reason"] = [{"concept": _icd10(prescription.diagnosis)}]
    if getattr(prescription, "visit_public_id", None):
        resource["encounter"] = reference("Encounter",
                                          VISIT_PREFIX + str(prescription.visit_public_id))
    if prescription.chronic:
        resource["courseOfTherapyType"] = {"coding": [{
            "system": "http://terminology.hl7.org/CodeSystem/medicationrequest-course-of-therapy",
            "code": "continuous", "display": "Continuous long term therapy"}]}
    return resource


def medication_dispense_id(dispensing, line) -> str:
    return f"{dispensing.public_id}.{line.item.line}"


def medication_dispense(dispensing, line) -> dict:
    """What one pharmacy handed over of one item, at one time."""
    item, prescription = line.item, dispensing.prescription
    performers = [{"actor": organization_reference(dispensing.pharmacy)}]
    if dispensing.pharmacist_id:
        performers.append({"actor": practitioner_reference(dispensing.pharmacist)})
    return {
        "resourceType": "MedicationDispense", "id": medication_dispense_id(dispensing, line),
        "meta": {"profile": [BASE_PROFILE + "MedicationDispense"]},
        "status": "completed",
        "medication": {"reference": reference("Medication", str(item.drug_id), str(item.drug))},
        "subject": patient_reference(prescription.patient),
        "performer": performers,
        "authorizingPrescription": [reference(
            "MedicationRequest", medication_request_id(prescription.code, item.line))],
        "quantity": {"value": line.quantity},
        "whenHandedOver": _instant(dispensing.dispensed_at),
    }


# ------------------------------------------------- lab orders, reports and referrals

SNOMED = "http://snomed.info/sct"
DIAGNOSTIC_SERVICE = "http://terminology.hl7.org/CodeSystem/v2-0074"
LABORATORY_PROCEDURE = {"system": SNOMED, "code": "108252007", "display": "Laboratory procedure"}
PATIENT_REFERRAL = {"system": SNOMED, "code": "3457005", "display": "Patient referral"}
REFERRAL_PREFIX = "referral-"
# The portal's urgency → ServiceRequest.priority.
_PRIORITY = {"routine": "routine", "urgent": "urgent", "emergency": "stat"}
# A referral's status → ServiceRequest.status: a declined one was not carried out.
_REFERRAL_STATUS = {"sent": "active", "accepted": "active", "declined": "revoked",
                    "cancelled": "revoked"}


def _test_code(test) -> dict:
    code = {"text": test.name}
    if test.loinc:
        code["coding"] = [{"system": LOINC, "code": test.loinc, "display": test.name}]
    return code


def lab_request_id(order, item) -> str:
    return f"{order.public_id}.{item.test.code}"


def lab_service_request(order, item, released: bool) -> dict:
    """One ordered test; `released`: a result of it has been released."""
    resource = {
        "resourceType": "ServiceRequest", "id": lab_request_id(order, item),
        "meta": {"profile": [BASE_PROFILE + "ServiceRequest"]},
        "requisition": {"value": str(order.public_id)},
        "status": "completed" if released else "active",
        "intent": "order",
        "category": [{"coding": [LABORATORY_PROCEDURE]}],
        "priority": _PRIORITY[order.priority],
        "code": {"concept": _test_code(item.test)},
        "subject": patient_reference(order.card),
        "authoredOn": _instant(order.ordered_at),
        "requester": practitioner_reference(order.ordered_by),
        "performer": [organization_reference(order.laboratory)],
    }
    if order.visit_id:
        resource["encounter"] = reference("Encounter", VISIT_PREFIX + str(order.visit.public_id))
    if order.clinical_note:
        resource["note"] = [{"text": order.clinical_note}]
    return resource


def referral_service_request(referral) -> dict:
    """A referral to a specialist, a hospital department or a laboratory."""
    receivers = []
    if referral.to_clinician_id:
        receivers.append(practitioner_reference(referral.to_clinician))
    if referral.to_facility_id:
        receivers.append(organization_reference(referral.to_facility))
    resource = {
        "resourceType": "ServiceRequest", "id": REFERRAL_PREFIX + str(referral.public_id),
        "meta": {"profile": [BASE_PROFILE + "ServiceRequest"]},
        "status": _REFERRAL_STATUS[referral.status],
        "intent": "order",
        "category": [{"coding": [PATIENT_REFERRAL]}],
        "priority": _PRIORITY[referral.urgency],
        "code": {"concept": {"coding": [PATIENT_REFERRAL],
                             "text": referral.get_target_display()}},
        "subject": patient_reference(referral.card),
        "occurrencePeriod": {"end": referral.valid_until.isoformat()},
        "authoredOn": _instant(referral.created_at),
        "requester": practitioner_reference(referral.referred_by),
        "reason": [{"concept": {"text": referral.reason}}],
    }
    if referral.diagnosis_id:
        resource["reason"].append({"concept": _icd10(referral.diagnosis)})
    if receivers:
        resource["performer"] = receivers
    if referral.to_department_id:
        resource["locationReference"] = [reference(
            "Location", location_id(referral.to_department), referral.to_department.name)]
    return resource


def location_id(department) -> str:
    return f"{department.facility.code}.{department.code}"


def diagnostic_report(order, results: list, replaced: list) -> dict:
    """A laboratory order's released results: `results` the current version of each test,
    `replaced` the released versions later corrected (kept, as the report's history)."""
    tests_done = {result.item_id for result in results}
    if any(result.corrects_id for result in results):
        status = "corrected"
    elif tests_done >= {item.pk for item in order.items.all()}:
        status = "final"
    else:
        status = "partial"
    resource = {
        "resourceType": "DiagnosticReport", "id": str(order.public_id),
        "meta": {"profile": [BASE_PROFILE + "DiagnosticReport"]},
        "basedOn": [reference("ServiceRequest", lab_request_id(order, item))
                    for item in order.items.all()],
        "status": status,
        "category": [{"coding": [{"system": DIAGNOSTIC_SERVICE, "code": "LAB",
                                  "display": "Laboratory"}]}],
        "code": {"coding": [{"system": LOINC, "code": "11502-2",
                             "display": "Laboratory report"}]},
        "subject": patient_reference(order.card),
        "effectiveDateTime": _instant(min(result.sampled_at for result in results)),
        "issued": _instant(max(result.released_at for result in results)),
        "performer": [organization_reference(order.laboratory)],
        "result": [reference("Observation", LAB_PREFIX + str(result.public_id))
                   for result in results],
    }
    if replaced:
        resource["supportingInfo"] = [{
            "type": {"text": "replaced version"},
            "reference": reference("Observation", LAB_PREFIX + str(result.public_id))}
            for result in replaced]
    return resource


# ------------------------------------------------------- appointments and where they are

_APPOINTMENT_STATUS = {"booked": "booked", "checked_in": "checked-in", "no_show": "noshow",
                       "cancelled": "cancelled"}
APPOINTMENT_STATUSES = frozenset(_APPOINTMENT_STATUS.values())


def appointment_statuses(fhir_statuses) -> list[str]:
    return [ours for ours, status in _APPOINTMENT_STATUS.items() if status in fhir_statuses]


def appointment(booking) -> dict:
    point = booking.service_point
    participants = [
        {"actor": patient_reference(booking.card), "status": "accepted"},
        {"actor": reference("HealthcareService", str(point.public_id), point.name),
         "status": "accepted"},
    ]
    if point.practitioner_id:
        participants.append({"actor": practitioner_reference(point.practitioner),
                             "status": "accepted"})
    resource = {
        "resourceType": "Appointment", "id": str(booking.public_id),
        "meta": {"profile": [BASE_PROFILE + "Appointment"],
                 "lastUpdated": _instant(booking.changed_at)},
        "status": _APPOINTMENT_STATUS[booking.status],
        "subject": patient_reference(booking.card),
        "start": _instant(booking.starts_at), "end": _instant(booking.ends_at),
        "created": _instant(booking.booked_at),
        "participant": participants,
    }
    if booking.referral_id:
        resource["basedOn"] = [reference("ServiceRequest",
                                         REFERRAL_PREFIX + str(booking.referral.public_id))]
    return resource


def healthcare_service(point) -> dict:
    """A service point: a doctor's room, a laboratory, a registration desk, a pharmacy
    window, where people queue and book."""
    resource = {
        "resourceType": "HealthcareService", "id": str(point.public_id),
        "meta": {"profile": [BASE_PROFILE + "HealthcareService"]},
        "active": point.is_active,
        "providedBy": organization_reference(point.facility),
        "type": [{"text": point.get_kind_display()}],
        "name": point.name,
    }
    if point.room:
        resource["comment"] = point.room
    return resource


def location(department) -> dict:
    """A department of a facility."""
    resource = {
        "resourceType": "Location", "id": location_id(department),
        "meta": {"profile": [BASE_PROFILE + "Location"]},
        "status": "active", "mode": "instance",
        "identifier": [{"value": department.code}],
        "name": department.name,
        "managingOrganization": organization_reference(department.facility),
    }
    if department.specialty:
        resource["description"] = department.specialty
    return resource


# ----------------------------------------------------------------------------- Provenance

# UZ Core's Provenance signs Medication and DocumentReference targets as PractitionerRoles
# through myID; ours signs encounters and prescriptions, so it claims the base profile.
PROVENANCE_PROFILE = BASE_PROFILE + "Provenance"
SIGNATURE_TYPE = "urn:iso-astm:E1762-95:2013"
AUTHOR_SIGNATURE = {"system": SIGNATURE_TYPE, "code": "1.2.840.10065.1.12.1.1",
                    "display": "Author's Signature"}
PARTICIPANT_TYPE = "http://terminology.hl7.org/CodeSystem/provenance-participant-type"
RX_PREFIX = "rx-"


def _author(user, facility) -> dict:
    return {"type": {"coding": [{"system": PARTICIPANT_TYPE, "code": "author",
                                 "display": "Author"}]},
            "who": practitioner_reference(user), "onBehalfOf": organization_reference(facility)}


def visit_provenance(visit) -> dict:
    """Who closed (signed) a visit, and when: a closed visit is final."""
    return {
        "resourceType": "Provenance", "id": VISIT_PREFIX + str(visit.public_id),
        "meta": {"profile": [PROVENANCE_PROFILE]},
        "target": [reference("Encounter", VISIT_PREFIX + str(visit.public_id))],
        "recorded": _instant(visit.closed_at),
        "patient": patient_reference(visit.card),
        "agent": [_author(visit.clinician, visit.facility)],
        "signature": [{"type": [AUTHOR_SIGNATURE], "when": _instant(visit.closed_at),
                       "who": practitioner_reference(visit.clinician)}],
    }


def prescription_provenance(prescription) -> dict:
    """The prescriber's Ed25519 signature over the issue's canonical content (its key is
    published with the prescribers' public keys, as for the QR)."""
    return {
        "resourceType": "Provenance", "id": RX_PREFIX + prescription.code,
        "meta": {"profile": [PROVENANCE_PROFILE]},
        "target": [reference("MedicationRequest", medication_request_id(prescription.code,
                                                                         item.line))
                   for item in prescription.items.all()],
        "recorded": _instant(prescription.issued_at),
        "patient": patient_reference(prescription.patient),
        "agent": [_author(prescription.prescriber, prescription.facility)],
        "signature": [{"type": [AUTHOR_SIGNATURE], "when": _instant(prescription.issued_at),
                       "who": practitioner_reference(prescription.prescriber),
                       "targetFormat": "application/json",
                       "data": base64.b64encode(bytes(prescription.signature)).decode()}],
    }
