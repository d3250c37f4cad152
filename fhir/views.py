"""The FHIR endpoints: thin, they parse parameters, call fhir.selectors and shape the
answer with fhir.mapping."""

from __future__ import annotations

from django.db.models import prefetch_related_objects
from django.http import JsonResponse
from django.utils.translation import gettext as _
from rest_framework import exceptions
from rest_framework.response import Response
from rest_framework.views import APIView

from fhir import capability, mapping, scopes, search, selectors
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
    """SMART discovery: where a backend service gets its token and with what."""
    return JsonResponse({
        "token_endpoint": request.build_absolute_uri("/o/token/"),
        "revocation_endpoint": request.build_absolute_uri("/o/revoke_token/"),
        "grant_types_supported": ["client_credentials"],
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        "scopes_supported": scopes.registrable_scopes(),
        "capabilities": ["client-confidential-symmetric", "permission-v2"],
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
        return Response(self.search(request, params, cursor=params.get("_cursor"),
                                    limit=limit))

    # Each resource's view defines read(user, resource_id) and
    # search(request, params, *, cursor, limit), both answering a FHIR resource as a dict.
    extra_parameters: set[str] = set()


def _identifier(params):
    value = _one(params, "identifier")
    return search.token("identifier", value) if value else None


class PatientView(ResourceView):
    resource_type = "Patient"

    def read(self, user, resource_id):
        return mapping.patient(selectors.patient(user, resource_id))

    def search(self, request, params, *, cursor, limit):
        query = selectors.PatientQuery(
            identifier=_identifier(params), name=_one(params, "name").strip(),
            birthdate=tuple(search.date_conditions("birthdate", params.getlist("birthdate"))),
            text=params.urlencode())
        page = selectors.search_patients(request.user, query, cursor=cursor, limit=limit)
        return searchset(request, [mapping.patient(card) for card in page.results],
                         next_cursor=page.next_cursor)


class OrganizationView(ResourceView):
    resource_type = "Organization"

    def read(self, user, resource_id):
        return mapping.organization(selectors.organization(resource_id))

    def search(self, request, params, *, cursor, limit):
        page = selectors.search_organizations(identifier=_identifier(params),
                                              name=_one(params, "name").strip(),
                                              cursor=cursor, limit=limit)
        return searchset(request, [mapping.organization(f) for f in page.results],
                         next_cursor=page.next_cursor)


class PractitionerView(ResourceView):
    resource_type = "Practitioner"

    def read(self, user, resource_id):
        person = selectors.practitioner(resource_id)
        return mapping.practitioner(person, person.staff_records.all())

    def search(self, request, params, *, cursor, limit):
        page = selectors.search_practitioners(identifier=_identifier(params),
                                              name=_one(params, "name").strip(),
                                              cursor=cursor, limit=limit)
        return searchset(request, [mapping.practitioner(p, p.staff_records.all())
                                   for p in page.results], next_cursor=page.next_cursor)


class PractitionerRoleView(ResourceView):
    resource_type = "PractitionerRole"

    def read(self, user, resource_id):
        return mapping.practitioner_role(selectors.practitioner_role(resource_id))

    def search(self, request, params, *, cursor, limit):
        practitioner = _one(params, "practitioner")
        organization = _one(params, "organization")
        page = selectors.search_practitioner_roles(
            practitioner_id=practitioner and search.reference_id(
                "practitioner", practitioner, "Practitioner"),
            organization_id=organization and search.reference_id(
                "organization", organization, "Organization"),
            cursor=cursor, limit=limit)
        return searchset(request, [mapping.practitioner_role(r) for r in page.results],
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
        includes = set(params.getlist("_include"))
        if includes - {"Encounter:patient"}:
            raise exceptions.ValidationError({"_include": [
                _("Only Encounter:patient can be included.")]})
        if includes and not scopes.grants(request.fhir_scopes, "Patient", scopes.READ):
            raise exceptions.PermissionDenied(_("Including the patient needs the "
                                                "system/Patient.r scope."))
        card, page = selectors.search_encounters(
            request.user, _patient_id(params),
            dates=search.date_conditions("date", params.getlist("date")),
            cursor=cursor, limit=limit)
        included = []
        if includes:
            prefetch_related_objects([card], "documents")
            included = [mapping.patient(card)]
        return searchset(request, [_ENCOUNTER[kind](row) for kind, row in page.results],
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
        return searchset(request, [_CONDITION[kind](row) for kind, row in page.results],
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
        _card, page = selectors.search_observations(
            request.user, _patient_id(params), categories=categories or known,
            dates=search.date_conditions("date", params.getlist("date")),
            cursor=cursor, limit=limit)
        return searchset(request, [_OBSERVATION[kind](row) for kind, row in page.results],
                         next_cursor=page.next_cursor)


# What /fhir/ serves, in the CapabilityStatement's order (fhir.urls routes each).
RESOURCE_VIEWS = (PatientView, OrganizationView, PractitionerView, PractitionerRoleView,
                  EncounterView, ConditionView, ObservationView)
