"""The FHIR endpoints: thin, they parse parameters, call fhir.selectors and shape the
answer with fhir.mapping."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import prefetch_related_objects
from django.http import JsonResponse, QueryDict
from django.urls import reverse
from django.utils.translation import gettext as _
from rest_framework import exceptions
from rest_framework.response import Response
from rest_framework.views import APIView

from dmed.paging import InvalidCursor
from fhir import capability, export_selectors, mapping, scopes, search, selectors, writes
from fhir.http import (
    FhirContentNegotiation,
    FhirJSONRenderer,
    FhirView,
    base_url,
    exception_handler,
    searchset,
)


class Metadata(APIView):
    """The CapabilityStatement: public, as FHIR requires."""

    authentication_classes = []
    schema = None
    permission_classes = []
    renderer_classes = [FhirJSONRenderer]
    content_negotiation_class = FhirContentNegotiation

    def get_exception_handler(self):
        return exception_handler

    def get(self, request):
        return Response(capability.capability_statement(base_url(request)))


def smart_configuration(request):
    """SMART discovery: where a backend service gets its token, and where an app acting
    for a patient or a clinician sends them to approve it (code with PKCE S256)."""
    return JsonResponse({
        "authorization_endpoint": request.build_absolute_uri("/o/authorize/"),
        "token_endpoint": request.build_absolute_uri("/o/token/"),
        "revocation_endpoint": request.build_absolute_uri("/o/revoke_token/"),
        "management_endpoint": request.build_absolute_uri(
            reverse("fhir_apps:connected-apps")),
        "grant_types_supported": ["client_credentials", "authorization_code",
                                  "refresh_token"],
        "response_types_supported": ["code"],
        "code_challenge_methods_supported": ["S256"],
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post",
                                                  "none"],
        "scopes_supported": [*scopes.registrable_scopes(), *scopes.person_app_scopes()],
        "capabilities": ["client-confidential-symmetric", "client-public",
                         "launch-standalone", "context-standalone-patient",
                         "permission-patient", "permission-user", "permission-v2"],
    })


class NotServed(FhirView):
    """Any other path under /fhir/: an OperationOutcome, not the portal's HTML 404."""

    def get(self, request, path):
        raise exceptions.NotFound(_("This FHIR interface does not serve %(path)s.")
                                  % {"path": path[:100]})

    post = put = patch = delete = get


def _patient_id(params) -> str:
    values = [value for name in ("patient", "subject") for value in params.getlist(name)]
    if len(values) != 1:
        raise exceptions.ValidationError({"patient": [
            _("Give exactly one patient (Patient/<MED-ID>): records are searched per "
              "patient.")]})
    return search.reference_id("patient", values[0], "Patient")


def _one(params, name: str) -> str:
    values = params.getlist(name)
    if len(values) > 1:
        raise exceptions.ValidationError({name: [_("Give this parameter once.")]})
    return values[0] if values else ""


@dataclass(frozen=True)
class Found:
    """One page of a search: the matches, the next page's cursor, what `_include` brought."""

    matches: list
    next_cursor: str | None
    included: list = field(default_factory=list)


class ResourceView(FhirView):
    """GET /fhir/<type> searches, GET /fhir/<type>/<id> reads."""

    def get(self, request, resource_id=None):
        if resource_id is not None:
            self.require_scope(request, scopes.READ)
            return Response(self.read(request.user, resource_id))
        self.require_scope(request, scopes.SEARCH)
        params = request.query_params
        search.check_known(params, capability.search_parameters(self.resource_type)
                           | self.extra_parameters)
        limit = search.page_size(params)
        found = self.search(request, params, cursor=params.get("_cursor"), limit=limit)
        return Response(searchset(request, found.matches, next_cursor=found.next_cursor,
                                  included=found.included))

    # Each resource's view defines read(user, resource_id), answering a FHIR resource as a
    # dict, and search(request, params, *, cursor, limit), answering a Found page.
    extra_parameters: set[str] = set()


def _identifier(params):
    value = _one(params, "identifier")
    return search.token("identifier", value) if value else None


def _last_updated(params):
    return search.date_conditions(search.LAST_UPDATED, params.getlist(search.LAST_UPDATED))


def _tokens(params, name: str) -> list[tuple[str | None, str]]:
    """Every value of a token parameter, repeated or comma-separated, as (system, code)."""
    return [search.token(name, item) for value in params.getlist(name)
            for item in value.split(",")]


def _codes(params, name: str, allowed, message) -> set[str] | None:
    """The codes of a token parameter, each one of `allowed`; None when not given."""
    codes = {code for _system, code in _tokens(params, name)}
    if codes - set(allowed):
        raise exceptions.ValidationError({name: [message]})
    return codes or None


def _include(request, params, allowed: str, scope_type: str) -> bool:
    """Whether `_include=<allowed>` is asked, with the scope to read what it brings."""
    includes = set(params.getlist("_include"))
    if includes - {allowed}:
        raise exceptions.ValidationError({"_include": [
            _("Only %(include)s can be included.") % {"include": allowed}]})
    if includes and not scopes.grants(request.fhir_scopes, scope_type, scopes.READ):
        raise exceptions.PermissionDenied(
            _("Including it needs the system/%(type)s.r scope.") % {"type": scope_type})
    return bool(includes)


class PatientView(ResourceView):
    resource_type = "Patient"

    def read(self, user, resource_id):
        return mapping.patient(selectors.patient(user, resource_id))

    def search(self, request, params, *, cursor, limit):
        query = selectors.PatientQuery(
            identifier=_identifier(params), name=_one(params, "name").strip(),
            birthdate=tuple(search.date_conditions("birthdate", params.getlist("birthdate"))),
            last_updated=tuple(_last_updated(params)),
            text=params.urlencode())
        page = selectors.search_patients(request.user, query, cursor=cursor, limit=limit)
        return Found([mapping.patient(card) for card in page.results],
            next_cursor=page.next_cursor)


class OrganizationView(ResourceView):
    resource_type = "Organization"

    def read(self, user, resource_id):
        return mapping.organization(selectors.organization(resource_id))

    def search(self, request, params, *, cursor, limit):
        page = selectors.search_organizations(identifier=_identifier(params),
                                              name=_one(params, "name").strip(),
                                              cursor=cursor, limit=limit)
        return Found([mapping.organization(f) for f in page.results],
            next_cursor=page.next_cursor)


class GroupView(ResourceView):
    """A facility's attached population: read only (fhir.urls routes no search)."""

    resource_type = "Group"

    def read(self, user, resource_id):
        return mapping.group(export_selectors.group(resource_id))


class PractitionerView(ResourceView):
    resource_type = "Practitioner"

    def read(self, user, resource_id):
        person = selectors.practitioner(resource_id)
        return mapping.practitioner(person, person.staff_records.all())

    def search(self, request, params, *, cursor, limit):
        page = selectors.search_practitioners(identifier=_identifier(params),
                                              name=_one(params, "name").strip(),
                                              cursor=cursor, limit=limit)
        return Found([mapping.practitioner(p, p.staff_records.all())
                      for p in page.results], next_cursor=page.next_cursor)


class PractitionerRoleView(ResourceView):
    resource_type = "PractitionerRole"

    def read(self, user, resource_id):
        return mapping.practitioner_role(selectors.practitioner_role(resource_id))

    def search(self, request, params, *, cursor, limit):
        practitioner = _one(params, "practitioner")
        page = selectors.search_practitioner_roles(
            practitioner_id=practitioner and search.reference_id(
                "practitioner", practitioner, "Practitioner"),
            organization_id=_organization_id(params),
            cursor=cursor, limit=limit)
        return Found([mapping.practitioner_role(r) for r in page.results],
            next_cursor=page.next_cursor)


_ENCOUNTER = {"visit": mapping.visit_encounter, "stay": mapping.stay_encounter}
_CONDITION = {"visit": mapping.visit_condition, "stay": mapping.stay_condition}
_OBSERVATION = {"lab": mapping.lab_observation, "vitals": mapping.vitals_observation}


class EncounterView(ResourceView):
    resource_type = "Encounter"
    extra_parameters = {"_include"}

    def read(self, user, resource_id):
        kind, record = selectors.encounter(user, resource_id)
        return _ENCOUNTER[kind](record)

    def search(self, request, params, *, cursor, limit):
        include = _include(request, params, "Encounter:patient", "Patient")
        card, page = selectors.search_encounters(
            request.user, _patient_id(params),
            dates=search.date_conditions("date", params.getlist("date")),
            cursor=cursor, limit=limit)
        included = []
        if include:
            prefetch_related_objects([card], "documents")
            included = [mapping.patient(card)]
        return Found([_ENCOUNTER[kind](row) for kind, row in page.results],
            next_cursor=page.next_cursor, included=included)


class ConditionView(ResourceView):
    resource_type = "Condition"

    def read(self, user, resource_id):
        kind, diagnosis = selectors.condition(user, resource_id)
        return _CONDITION[kind](diagnosis)

    def search(self, request, params, *, cursor, limit):
        _card, page = selectors.search_conditions(
            request.user, _patient_id(params),
            dates=search.date_conditions("recorded-date", params.getlist("recorded-date")),
            cursor=cursor, limit=limit)
        return Found([_CONDITION[kind](row) for kind, row in page.results],
            next_cursor=page.next_cursor)


class ObservationView(ResourceView):
    resource_type = "Observation"

    def read(self, user, resource_id):
        kind, record = selectors.observation(user, resource_id)
        return _OBSERVATION[kind](record)

    def search(self, request, params, *, cursor, limit):
        known = {selectors.LABORATORY, selectors.VITAL_SIGNS}
        categories = set()
        for value in params.getlist("category"):
            for item in value.split(","):
                categories.add(search.token("category", item)[1])
        if categories - known:
            raise exceptions.ValidationError({"category": [
                _("Observations are of the categories laboratory and vital-signs.")]})
        codes = _tokens(params, "code")
        if any(system not in (None, mapping.LOINC) for system, _code in codes):
            raise exceptions.ValidationError({"code": [
                _("Give LOINC codes, as %(system)s|<code>.") % {"system": mapping.LOINC}]})
        _card, page = selectors.search_observations(
            request.user, _patient_id(params), categories=categories or known,
            codes={code for _system, code in codes} or None,
            dates=search.date_conditions("date", params.getlist("date")),
            cursor=cursor, limit=limit)
        return Found([_OBSERVATION[kind](row) for kind, row in page.results],
            next_cursor=page.next_cursor)


class AllergyIntoleranceView(ResourceView):
    resource_type = "AllergyIntolerance"

    def read(self, user, resource_id):
        return mapping.allergy_intolerance(selectors.allergy(user, resource_id))

    def search(self, request, params, *, cursor, limit):
        page = selectors.search_allergies(request.user, _patient_id(params),
                                          updated=_last_updated(params), cursor=cursor,
                                          limit=limit)
        return Found([mapping.allergy_intolerance(a) for a in page.results],
            next_cursor=page.next_cursor)


class RelatedPersonView(ResourceView):
    resource_type = "RelatedPerson"

    def read(self, user, resource_id):
        return mapping.related_person(selectors.related_person(user, resource_id))

    def search(self, request, params, *, cursor, limit):
        page = selectors.search_related_persons(request.user, _patient_id(params),
                                                cursor=cursor, limit=limit)
        return Found([mapping.related_person(r) for r in page.results],
                     next_cursor=page.next_cursor)


class AuditEventView(ResourceView):
    """A card's access log: searched per patient, its entries not read one by one (the
    CapabilityStatement offers no read, so fhir.urls routes none)."""

    resource_type = "AuditEvent"

    def search(self, request, params, *, cursor, limit):
        if cursor:
            raise exceptions.ValidationError({"_cursor": [_(
                "The access log answers its latest entries in one page.")]})
        card, events = selectors.access_log(request.user, _patient_id(params))
        return Found([mapping.audit_event(event, card) for event in events],
            next_cursor=None)


class MedicationView(ResourceView):
    resource_type = "Medication"

    def read(self, user, resource_id):
        return mapping.medication(selectors.medication(resource_id))

    def search(self, request, params, *, cursor, limit):
        codes = _tokens(params, "code")
        if len(codes) > 1 or any(system not in (None, mapping.ATC) for system, _c in codes):
            raise exceptions.ValidationError({"code": [
                _("Give one ATC code (or a group's prefix), as %(system)s|<code>.")
                % {"system": mapping.ATC}]})
        statuses = _codes(params, "status", ("active", "inactive"),
                          _("A medicine's status is active or inactive."))
        page = selectors.search_medications(
            atc_code=codes[0][1] if codes else None,
            active=None if statuses is None or len(statuses) == 2 else "active" in statuses,
            cursor=cursor, limit=limit)
        return Found([mapping.medication(drug) for drug in page.results],
            next_cursor=page.next_cursor)


class MedicationRequestView(ResourceView):
    """Prescription items; a page holds whole prescriptions (`_count` counts them)."""

    resource_type = "MedicationRequest"
    extra_parameters = {"_include"}

    def read(self, user, resource_id):
        return mapping.medication_request(*selectors.medication_request(user, resource_id))

    def search(self, request, params, *, cursor, limit):
        include = _include(request, params, "MedicationRequest:medication", "Medication")
        statuses = _codes(params, "status", mapping.MEDICATION_REQUEST_STATUSES,
                          _("A prescription item's status is one of: %(statuses)s.")
                          % {"statuses": ", ".join(sorted(
                              mapping.MEDICATION_REQUEST_STATUSES))})
        page = selectors.search_medication_requests(
            request.user, _patient_id(params),
            item_statuses=None if statuses is None else mapping.item_statuses(statuses),
            dates=search.date_conditions("authoredon", params.getlist("authoredon")),
            updated=_last_updated(params),
            cursor=cursor, limit=limit)
        matches = [mapping.medication_request(prescription, item)
                   for prescription in page.results for item in prescription.items.all()]
        if statuses is not None:
            matches = [match for match in matches if match["status"] in statuses]
        included = []
        if include:
            drug_ids = [item.drug_id for p in page.results for item in p.items.all()]
            included = [mapping.medication(drug) for drug in selectors.drugs_by_id(drug_ids)]
        return Found(matches, next_cursor=page.next_cursor, included=included)


class MedicationDispenseView(ResourceView):
    resource_type = "MedicationDispense"

    def post(self, request):
        """A pharmacy system's dispense (fhir.writes)."""
        self.require_scope(request, scopes.CREATE)
        return writes.create_dispense(request)

    def read(self, user, resource_id):
        line = selectors.medication_dispense(user, resource_id)
        return mapping.medication_dispense(line.dispensing, line)

    def search(self, request, params, *, cursor, limit):
        page = selectors.search_medication_dispenses(
            request.user, _patient_id(params),
            dates=search.date_conditions("whenhandedover", params.getlist("whenhandedover")),
            cursor=cursor, limit=limit)
        return Found([mapping.medication_dispense(line.dispensing, line)
                      for _kind, line in page.results],
            next_cursor=page.next_cursor)


class DiagnosticReportView(ResourceView):
    resource_type = "DiagnosticReport"

    def read(self, user, resource_id):
        order = selectors.diagnostic_report(user, resource_id)
        return mapping.diagnostic_report(order, *selectors.report_parts(order))

    def search(self, request, params, *, cursor, limit):
        page = selectors.search_diagnostic_reports(
            request.user, _patient_id(params),
            dates=search.date_conditions("date", params.getlist("date")),
            cursor=cursor, limit=limit)
        return Found([mapping.diagnostic_report(order,
                                                *selectors.report_parts(order))
                      for order in page.results], next_cursor=page.next_cursor)


_CATEGORIES = {mapping.LABORATORY_PROCEDURE["code"]: selectors.LAB_ORDERS,
               mapping.PATIENT_REFERRAL["code"]: selectors.REFERRALS}


def _service_request(kind, record) -> dict:
    if kind == "referral":
        return mapping.referral_service_request(record)
    return mapping.lab_service_request(record.order, record, record.released)


class ServiceRequestView(ResourceView):
    """Lab orders (one ServiceRequest per ordered test, grouped by the order's requisition)
    and referrals."""

    resource_type = "ServiceRequest"

    def read(self, user, resource_id):
        return _service_request(*selectors.service_request(user, resource_id))

    def search(self, request, params, *, cursor, limit):
        categories = _codes(params, "category", _CATEGORIES, _(
            "Service requests are of the categories %(categories)s (SNOMED CT).")
            % {"categories": ", ".join(_CATEGORIES)})
        page = selectors.search_service_requests(
            request.user, _patient_id(params),
            categories={_CATEGORIES[code] for code in categories or _CATEGORIES},
            dates=search.date_conditions("authored", params.getlist("authored")),
            cursor=cursor, limit=limit)
        return Found([_service_request(kind, row) for kind, row in page.results],
            next_cursor=page.next_cursor)


def _organization_id(params) -> str:
    value = _one(params, "organization")
    return value and search.reference_id("organization", value, "Organization")


class AppointmentView(ResourceView):
    resource_type = "Appointment"

    def read(self, user, resource_id):
        return mapping.appointment(selectors.appointment(user, resource_id))

    def search(self, request, params, *, cursor, limit):
        statuses = _codes(params, "status", mapping.APPOINTMENT_STATUSES, _(
            "An appointment's status is one of: %(statuses)s.")
            % {"statuses": ", ".join(sorted(mapping.APPOINTMENT_STATUSES))})
        page = selectors.search_appointments(
            request.user, _patient_id(params),
            statuses=None if statuses is None else mapping.appointment_statuses(statuses),
            dates=search.date_conditions("date", params.getlist("date")),
            updated=_last_updated(params),
            cursor=cursor, limit=limit)
        return Found([mapping.appointment(a) for a in page.results],
            next_cursor=page.next_cursor)


class HealthcareServiceView(ResourceView):
    resource_type = "HealthcareService"

    def read(self, user, resource_id):
        return mapping.healthcare_service(selectors.healthcare_service(resource_id))

    def search(self, request, params, *, cursor, limit):
        page = selectors.search_healthcare_services(organization_id=_organization_id(params),
                                                    cursor=cursor, limit=limit)
        return Found([mapping.healthcare_service(p) for p in page.results],
            next_cursor=page.next_cursor)


class LocationView(ResourceView):
    resource_type = "Location"

    def read(self, user, resource_id):
        return mapping.location(selectors.location(resource_id))

    def search(self, request, params, *, cursor, limit):
        page = selectors.search_locations(organization_id=_organization_id(params),
                                          name=_one(params, "name").strip(), cursor=cursor,
                                          limit=limit)
        return Found([mapping.location(d) for d in page.results],
            next_cursor=page.next_cursor)


_PROVENANCE = {"visit": mapping.visit_provenance, "prescription": mapping.prescription_provenance}


class ProvenanceView(ResourceView):
    """The signatures of closed visits and of prescriptions."""

    resource_type = "Provenance"

    def read(self, user, resource_id):
        kind, record = selectors.provenance(user, resource_id)
        return _PROVENANCE[kind](record)

    def search(self, request, params, *, cursor, limit):
        page = selectors.search_provenance(
            request.user, _patient_id(params),
            dates=search.date_conditions("recorded", params.getlist("recorded")),
            cursor=cursor, limit=limit)
        return Found([_PROVENANCE[kind](row) for kind, row in page.results],
                     next_cursor=page.next_cursor)


# What /fhir/ serves, in the CapabilityStatement's order (fhir.urls routes each).
RESOURCE_VIEWS = (PatientView, OrganizationView, PractitionerView, PractitionerRoleView,
                  EncounterView, ConditionView, ObservationView, AllergyIntoleranceView,
                  MedicationView, MedicationRequestView, MedicationDispenseView,
                  DiagnosticReportView, ServiceRequestView, AppointmentView,
                  HealthcareServiceView, LocationView, ProvenanceView, AuditEventView,
                  RelatedPersonView, GroupView)


# What a patient's $everything gathers, in this order: each type through its own search
# (so its scope, need-to-know and audit apply), when the token may search it.
EVERYTHING = (EncounterView, ConditionView, ObservationView, AllergyIntoleranceView,
              MedicationRequestView, MedicationDispenseView, DiagnosticReportView,
              ServiceRequestView, AppointmentView, ProvenanceView, RelatedPersonView)
_EVERYTHING_TYPES = {view.resource_type: view for view in EVERYTHING}


class PatientEverything(FhirView):
    """`Patient/<MED-ID>/$everything`: the card, then each kind of record the client may
    search and the client's role may see, a kind at a time in keyset pages. The cursor
    names the kind and the position within it."""

    resource_type = "Patient"

    def get(self, request, resource_id):
        self.require_scope(request, scopes.READ)
        params = request.query_params
        search.check_known(params, set())
        limit = search.page_size(params)
        kind, _sep, cursor = params.get("_cursor", "").partition("~")
        if kind and kind not in _EVERYTHING_TYPES:
            raise InvalidCursor
        card = selectors.patient(request.user, resource_id)
        kinds = [view for view in EVERYTHING
                 if scopes.grants(request.fhir_scopes, view.resource_type, scopes.SEARCH)
                 and selectors.sees_records(request.user, view.resource_type)]
        start = next((i for i, view in enumerate(kinds) if view.resource_type == kind),
                     len(kinds)) if kind else 0
        matches = [] if kind else [mapping.patient(card)]
        next_cursor = None
        query = QueryDict(mutable=True)
        query["patient"] = card.med_id
        for index in range(start, len(kinds)):
            view = kinds[index]
            found = view().search(request, query, cursor=cursor or None, limit=limit)
            cursor = ""
            matches += found.matches
            if found.next_cursor:
                next_cursor = f"{view.resource_type}~{found.next_cursor}"
                break
            if found.matches and index + 1 < len(kinds):
                next_cursor = f"{kinds[index + 1].resource_type}~"
                break
        return Response(searchset(request, matches, next_cursor=next_cursor))
