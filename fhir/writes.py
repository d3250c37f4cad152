"""What systems write through the FHIR interface, and what every write shares.

A pharmacy system posts a MedicationDispense (`POST /fhir/MedicationDispense`) against one
prescription item: it goes through `prescriptions.services.dispense`, the pharmacy REST
API's service, with its row lock, patient check, idempotency and audit. The dispense's
`identifier` (the pharmacy system's own id of it) is its Idempotency-Key, so a repeated
POST answers the first dispense and gives nothing more. A laboratory's transaction Bundle
is fhir.transactions.

Input errors are 400 with one OperationOutcome issue per bad element, its FHIRPath in
`expression`; nothing is written. Conditional create (`If-None-Exist: <search>`) answers
200 with the earlier resource when exactly one matches, 412 when several do.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import QueryDict
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from rest_framework import exceptions, status
from rest_framework.response import Response

from fhir import identifiers, mapping, search, selectors
from fhir.http import base_url
from prescriptions.conflicts import PrescriptionConflict
from prescriptions.patient_checks import PatientCheckLocked
from prescriptions.selectors import prescription_for_pharmacy
from prescriptions.services import dispense, pharmacist_actor


class Conflict(exceptions.APIException):
    """The record's state refuses the write (the REST API's 409)."""

    status_code = status.HTTP_409_CONFLICT
    default_detail = gettext_lazy("The record's state does not allow this.")
    default_code = "conflict"


class PreconditionFailed(exceptions.APIException):
    status_code = status.HTTP_412_PRECONDITION_FAILED
    default_detail = gettext_lazy("The conditional create's search matches more than one "
                                  "resource: make it precise enough to find one.")
    default_code = "multiple_matches"


class PatientCheckThrottled(exceptions.Throttled):
    """Too many wrong patient checks: 429 with Retry-After, as the pharmacy REST API."""

    def __init__(self, locked: PatientCheckLocked):
        super().__init__(wait=locked.retry_after)
        self.detail = exceptions.ErrorDetail(locked.message, "patient_check_locked")


def invalid(where: str, message) -> exceptions.ValidationError:
    return exceptions.ValidationError({where: [message]})


def require(resource: dict, name: str, where: str, kind=dict):
    """resource[name], of the JSON type `kind`, or a 400 naming `where.name`."""
    value = resource.get(name) if isinstance(resource, dict) else None
    if value is None or value == "" or value == [] or not isinstance(value, kind):
        raise invalid(f"{where}.{name}", _("This element is required here."))
    return value


def referenced_id(value, where: str, resource_type: str) -> str:
    """The id of a Reference `{"reference": "<type>/<id>"}`."""
    if not isinstance(value, dict) or not isinstance(value.get("reference"), str):
        raise invalid(where, _("Give a reference to a %(type)s, as %(type)s/<id>.")
                      % {"type": resource_type})
    return search.reference_id(where, value["reference"], resource_type)


def decimal_value(value, where: str) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise invalid(where, _("Give a number."))
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        raise invalid(where, _("Give a number.")) from None
    if not number.is_finite():
        raise invalid(where, _("Give a number."))
    return number


def criteria(text: str | None, allowed: tuple[str, ...], where: str) -> QueryDict | None:
    """The search of a conditional create (`identifier=system|value`), or None."""
    if text is None:
        return None
    query = QueryDict(text)
    if not query or set(query) - set(allowed) or any(
            len(query.getlist(name)) > 1 or not query[name] for name in query):
        raise invalid(where, _("A conditional create here searches by %(parameters)s, each "
                               "once.") % {"parameters": ", ".join(allowed)})
    return query


def only_match(found: list):
    """The one resource a conditional create's search found; None for none; 412 for more."""
    if len(found) > 1:
        raise PreconditionFailed
    return found[0] if found else None


def answer(request, resource: dict, *, created: bool) -> Response:
    """201 with Location for a resource written, 200 for one found (nothing written)."""
    response = Response(resource, status=status.HTTP_201_CREATED if created
                        else status.HTTP_200_OK)
    response["Location"] = f"{base_url(request)}{resource['resourceType']}/{resource['id']}"
    return response


# ------------------------------------------------------------------ MedicationDispense

DISPENSE_SEARCH = ("identifier", "prescription")


def _idempotency_key(resource: dict) -> str:
    """The pharmacy system's own id of the dispense (system|value): its Idempotency-Key."""
    found = require(resource, "identifier", "MedicationDispense", list)
    first = found[0] if len(found) == 1 and isinstance(found[0], dict) else {}
    system, value = first.get("system"), first.get("value")
    if not isinstance(system, str) or not isinstance(value, str) or not system or not value \
            or len(system) + len(value) + 1 > 100:
        raise invalid("MedicationDispense.identifier", _(
            "Give one identifier, your system's id of this dispense, with its system and "
            "value (together at most 99 characters): a repeated POST with it dispenses "
            "nothing more."))
    return f"{system}|{value}"


def _item(value, where: str) -> tuple[str, int]:
    """(prescription code, line) of `MedicationRequest/<code>.<line>`."""
    code, _dot, line = referenced_id(value, where, "MedicationRequest").rpartition(".")
    if not code or not line.isdigit():
        raise invalid(where, _("Give the prescription item as MedicationRequest/<code>.<line>."))
    return code, int(line)


def _patient_check(resource: dict) -> str:
    """The patient's PINFL from `subject.identifier`: the pharmacy's patient check."""
    where = "MedicationDispense.subject.identifier"
    subject = require(resource, "subject", "MedicationDispense")
    identifier = subject.get("identifier")
    value = identifier.get("value") if isinstance(identifier, dict) else None
    if not isinstance(value, str) or not value.isdigit() or len(value) != 14 \
            or identifiers.system_named(str(identifier.get("system"))) is not identifiers.PINFL:
        raise invalid(where, _("Name the patient by their PINFL (%(system)s), as on their "
                               "identity document: it is the pharmacy's patient check.")
                      % {"system": identifiers.PINFL.system})
    return value


def _identity_document(resource: dict) -> str:
    """For a controlled substance: the receiver's identity document, `receiver.identifier`."""
    receivers = resource.get("receiver") or []
    if not receivers:
        return ""
    identifier = receivers[0].get("identifier") if isinstance(receivers, list) \
        and isinstance(receivers[0], dict) else None
    if not isinstance(identifier, dict) or not isinstance(identifier.get("value"), str):
        raise invalid("MedicationDispense.receiver", _(
            "Name who received it by their identity document, as receiver.identifier."))
    return identifier["value"]


def _quantity(resource: dict) -> int:
    value = require(resource, "quantity", "MedicationDispense").get("value")
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise invalid("MedicationDispense.quantity.value",
                      _("The quantity is a whole number above zero."))
    return value


def _medication_id(resource: dict) -> str | None:
    """The drug named (`medication.reference`), to be the prescribed one; None if unnamed."""
    medication = resource.get("medication")
    if medication is None:
        return None
    where = "MedicationDispense.medication.reference"
    return referenced_id(medication.get("reference") if isinstance(medication, dict) else None,
                         where, "Medication")


# The service's fields → where they are in the resource.
_DISPENSE_FIELDS = {"items": "MedicationDispense.authorizingPrescription",
                    "identity_document": "MedicationDispense.receiver"}


def _dispense_issues(error: DjangoValidationError) -> exceptions.ValidationError:
    return exceptions.ValidationError({
        _DISPENSE_FIELDS.get(field.split(".")[0], "MedicationDispense"): problems
        for field, problems in error.message_dict.items()})


def create_dispense(request) -> Response:
    """`POST /fhir/MedicationDispense` (the view checked the client's create scope)."""
    resource = request.data if isinstance(request.data, dict) else {}
    if resource.get("resourceType") != "MedicationDispense":
        raise invalid("MedicationDispense.resourceType", _("Post a MedicationDispense."))
    if resource.get("status") != "completed":
        raise invalid("MedicationDispense.status", _(
            "Post what was handed over: status completed."))
    conditional = criteria(request.headers.get("If-None-Exist"), DISPENSE_SEARCH,
                           "If-None-Exist")
    prescriptions = resource.get("authorizingPrescription")
    if not isinstance(prescriptions, list) or len(prescriptions) != 1:
        raise invalid("MedicationDispense.authorizingPrescription", _(
            "Give the one prescription item dispensed, as MedicationRequest/<code>.<line>."))
    code, line = _item(prescriptions[0], "MedicationDispense.authorizingPrescription[0]")
    key = _idempotency_key(resource)
    quantity, medication_id = _quantity(resource), _medication_id(resource)
    patient_check, document = _patient_check(resource), _identity_document(resource)
    by = pharmacist_actor(request.user)
    try:
        if conditional is not None:
            earlier = only_match(_conditional_lines(by, conditional))
            if earlier is not None:
                return answer(request, mapping.medication_dispense(earlier.dispensing,
                                                                   earlier), created=False)
        if medication_id is not None:
            _check_medication(by, code, line, patient_check, medication_id)
        dispensing, created = dispense(
            by=by, code=code, patient_check=patient_check,
            items=[{"item": line, "quantity": quantity}], idempotency_key=key,
            identity_document=document)
    except PrescriptionConflict as refusal:
        raise Conflict(refusal.message) from refusal
    except DjangoValidationError as error:
        raise _dispense_issues(error) from error
    except PatientCheckLocked as locked:
        raise PatientCheckThrottled(locked) from locked
    dispensed = selectors.dispensed_line(dispensing, line)
    return answer(request, mapping.medication_dispense(dispensed.dispensing, dispensed),
                  created=created)


def _check_medication(by, code: str, line: int, patient_check: str, medication_id: str):
    """The medicine named is the one prescribed on the line: read as the pharmacy reads a
    prescription before dispensing (patient check, audit), so nothing leaks."""
    prescription = prescription_for_pharmacy(by=by, code=code, patient_check=patient_check)
    item = next((item for item in prescription.items.all() if item.line == line), None)
    if item is not None and str(item.drug_id) != medication_id:
        raise invalid("MedicationDispense.medication.reference", _(
            "This prescription item prescribes another medicine."))


def _conditional_lines(by, query: QueryDict) -> list:
    """The pharmacy's dispensed lines an If-None-Exist search finds."""
    found = {}
    if "identifier" in query:
        system, value = search.token("identifier", query["identifier"])
        found["idempotency_key"] = f"{system}|{value}" if system else value
    if "prescription" in query:
        found["prescription_code"], found["line"] = _item(
            {"reference": query["prescription"]}, "If-None-Exist")
    return selectors.pharmacy_dispense_lines(by, **found)
