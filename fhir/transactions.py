"""`POST /fhir/`: a laboratory system's transaction Bundle, one DiagnosticReport and its
Observations for one order of the system's laboratory.

The report names the order by `basedOn` (`ServiceRequest/<order>.<test>`, as the order's
tests are served), its sampling time by `effectiveDateTime` and its `status`: `final`
releases the results (the system's account is the verifier), `preliminary` enters them for
a technician to verify and release on the order's page. Each Observation names its test by
its LOINC code, its value by `valueQuantity` in the test's unit. It all goes through
`clinics.labs.services.report_results`, the services of the order's page, all or nothing;
the answer is a transaction-response Bundle with each entry's location.

A critical value is released by a second person: a final report holding one is refused
(403); post it as preliminary. `ifNoneExist` on the DiagnosticReport entry
(`based-on=ServiceRequest/<order>.<test>`) makes a retried transaction find the report
already entered and write nothing.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from rest_framework import exceptions
from rest_framework.response import Response

from clinics.labs.selectors import laboratory_order
from clinics.labs.services import report_results
from fhir import mapping, scopes
from fhir.http import FhirView
from fhir.writes import criteria, decimal_value, invalid, only_match, referenced_id, require

REPORT_SEARCH = ("based-on",)
POSTED_STATUSES = ("preliminary", "final")


def _entry(index: int) -> str:
    return f"Bundle.entry[{index}]"


def _moment(value, where: str) -> datetime:
    moment = parse_datetime(value) if isinstance(value, str) else None
    if moment is None or timezone.is_naive(moment):
        raise invalid(where, _("Give a date and time with its time zone, e.g. "
                               "2026-03-01T09:30:00+05:00."))
    return moment


def _ordered_test(value, where: str) -> tuple[uuid.UUID, str]:
    """(order, test code) of `ServiceRequest/<order>.<test>`."""
    order, _dot, test = referenced_id(value, where, "ServiceRequest").partition(".")
    try:
        return uuid.UUID(order), test
    except ValueError:
        raise invalid(where, _("Give an ordered test as ServiceRequest/<order>.<test>, as "
                               "the order's tests are served.")) from None


class Posted:
    """The Bundle read: the report's entry and order, each Observation's entry and test."""

    def __init__(self, bundle):
        if not isinstance(bundle, dict) or bundle.get("resourceType") != "Bundle":
            raise invalid("Bundle.resourceType", _("Post a Bundle."))
        if bundle.get("type") != "transaction":
            raise invalid("Bundle.type", _("Post a transaction Bundle."))
        entries = require(bundle, "entry", "Bundle", list)
        self.entries = entries
        # Each test's Observation: its FHIRPath and its entry's index.
        self.where_of: dict[str, str] = {}
        self.index_of: dict[str, int] = {}
        reports = [i for i, entry in enumerate(entries) if self._kind(entry, i)
                   == "DiagnosticReport"]
        if len(reports) != 1:
            raise invalid("Bundle.entry", _("A transaction holds one DiagnosticReport and "
                                            "its Observations."))
        self.report_index = reports[0]
        self.observations = [i for i in range(len(entries)) if i != self.report_index]
        if not self.observations:
            raise invalid("Bundle.entry", _("A transaction holds one DiagnosticReport and "
                                            "its Observations."))

    def _kind(self, entry, index: int) -> str:
        where = _entry(index)
        resource = require(entry, "resource", where)
        kind = resource.get("resourceType")
        if kind not in ("DiagnosticReport", "Observation"):
            raise invalid(f"{where}.resource.resourceType", _(
                "A transaction holds one DiagnosticReport and its Observations."))
        request = require(entry, "request", where)
        if request.get("method") != "POST" or request.get("url") != kind:
            raise invalid(f"{where}.request", _("Each entry is created: method POST, url "
                                                "its resource type."))
        if kind == "Observation" and "ifNoneExist" in request:
            raise invalid(f"{where}.request.ifNoneExist", _(
                "Put ifNoneExist on the DiagnosticReport's entry."))
        return kind

    def resource(self, index: int) -> dict:
        return self.entries[index]["resource"]

    @property
    def report(self) -> dict:
        return self.resource(self.report_index)

    def order_id(self) -> uuid.UUID:
        where = f"{_entry(self.report_index)}.resource.basedOn"
        based_on = require(self.report, "basedOn", f"{_entry(self.report_index)}.resource", list)
        orders = {_ordered_test(value, f"{where}[{i}]")[0] for i, value in enumerate(based_on)}
        if len(orders) != 1:
            raise invalid(where, _("A report answers the tests of one order."))
        return orders.pop()

    def conditional(self):
        request = self.entries[self.report_index]["request"]
        return criteria(request.get("ifNoneExist"), REPORT_SEARCH,
                        f"{_entry(self.report_index)}.request.ifNoneExist")


def _check_subject(resource: dict, where: str, order) -> None:
    if "subject" in resource and referenced_id(resource["subject"], f"{where}.subject",
                                               "Patient") != order.card.med_id:
        raise invalid(f"{where}.subject", _("The order is another patient's."))


def _values(posted: Posted, order, status: str, sampled_at: datetime) -> dict[str, tuple]:
    """{test code: (value, comment)} of the Observations, each checked against the order."""
    report_where = f"{_entry(posted.report_index)}.resource"
    tests = {item.test.loinc: item.test for item in order.items.all() if item.test.loinc}
    full_urls, values = {}, {}
    for index in posted.observations:
        where = f"{_entry(index)}.resource"
        resource = posted.resource(index)
        if resource.get("status") != status:
            raise invalid(f"{where}.status", _("An Observation has its report's status "
                                               "(%(status)s).") % {"status": status})
        codings = require(resource, "code", where).get("coding") or []
        loincs = [c.get("code") for c in codings if isinstance(c, dict)
                  and c.get("system") == mapping.LOINC]
        test = next((tests[code] for code in loincs if code in tests), None)
        if test is None:
            raise invalid(f"{where}.code", _("Give the LOINC code of a test of this order "
                                             "(%(codes)s).") % {"codes": ", ".join(tests)})
        if test.code in values:
            raise invalid(f"{where}.code", _("This test is already in the report."))
        quantity = require(resource, "valueQuantity", where)
        value = decimal_value(quantity.get("value"), f"{where}.valueQuantity.value")
        if abs(value) >= 10 ** 8 or value != value.quantize(Decimal("0.0001")):
            raise invalid(f"{where}.valueQuantity.value", _(
                "Give at most 8 digits before the decimal point and 4 after it."))
        if quantity.get("unit", test.unit) != test.unit \
                or quantity.get("code", test.unit) != test.unit:
            raise invalid(f"{where}.valueQuantity.unit", _(
                "This test is reported in %(unit)s.") % {"unit": test.unit})
        if "effectiveDateTime" in resource and _moment(
                resource["effectiveDateTime"], f"{where}.effectiveDateTime") != sampled_at:
            raise invalid(f"{where}.effectiveDateTime", _(
                "An Observation has its report's sampling time."))
        _check_subject(resource, where, order)
        notes = resource.get("note")
        comment = notes[0].get("text", "") if isinstance(notes, list) and notes \
            and isinstance(notes[0], dict) else ""
        values[test.code] = (value, str(comment)[:500])
        posted.where_of[test.code], posted.index_of[test.code] = where, index
        if full_url := posted.entries[index].get("fullUrl"):
            full_urls[full_url] = index
    results = [ref.get("reference") for ref in posted.report.get("result") or []
               if isinstance(ref, dict)]
    if sorted(results) != sorted(full_urls) or len(full_urls) != len(posted.observations):
        raise invalid(f"{report_where}.result", _(
            "The report's results are its Observations, each by its entry's fullUrl."))
    return values


def _issues(error: DjangoValidationError, posted: Posted) -> exceptions.ValidationError:
    """The service's fields (`<test>-value`, `<test>-sampled_at`) as FHIRPath."""
    report = f"{_entry(posted.report_index)}.resource"
    issues = {}
    for field, problems in error.message_dict.items():
        code, _dash, name = field.rpartition("-")
        where = posted.where_of.get(code, report)
        where = {"value": f"{where}.valueQuantity.value",
                 "sampled_at": f"{report}.effectiveDateTime"}.get(name, where)
        issues.setdefault(where, []).extend(problems)
    return exceptions.ValidationError(issues)


def _response(status: str, location: str | None, moment=None) -> dict:
    response = {"status": status}
    if location:
        response["location"] = location
    if moment is not None:
        response["lastModified"] = moment.isoformat(timespec="seconds")
    return {"response": response}


def _answer(posted: Posted, order, status: str, results: dict) -> Response:
    """The transaction-response: each entry's outcome in the request's order."""
    entries = [None] * len(posted.entries)
    entries[posted.report_index] = _response(status, f"DiagnosticReport/{order.public_id}")
    for code, index in posted.index_of.items():
        result = results.get(code)
        entries[index] = _response(
            status, result and f"Observation/{mapping.LAB_PREFIX}{result.public_id}",
            result and (result.released_at or result.entered_at))
    return Response({"resourceType": "Bundle", "type": "transaction-response",
                     "timestamp": timezone.localtime().isoformat(timespec="seconds"),
                     "entry": entries})


class TransactionView(FhirView):
    """`POST /fhir/` with a transaction Bundle."""

    def post(self, request):
        for resource_type in ("DiagnosticReport", "Observation"):
            self.require_scope(request, scopes.CREATE, resource_type)
        if "If-None-Exist" in request.headers:
            raise invalid("If-None-Exist", _("In a transaction, put ifNoneExist on the "
                                             "DiagnosticReport's entry."))
        posted = Posted(request.data)
        conditional = posted.conditional()
        report_where = f"{_entry(posted.report_index)}.resource"
        status = posted.report.get("status")
        if status not in POSTED_STATUSES:
            raise invalid(f"{report_where}.status", _(
                "Post a final report (released) or a preliminary one (verified later on "
                "the order's page)."))
        sampled_at = _moment(posted.report.get("effectiveDateTime"),
                             f"{report_where}.effectiveDateTime")
        order = laboratory_order(request.user, posted.order_id())
        _check_subject(posted.report, report_where, order)
        values = _values(posted, order, status, sampled_at)
        if conditional is not None:
            earlier = only_match(_reported_orders(request.user, conditional))
            if earlier is not None:
                latest = {item.test.code: item.latest_result for item in earlier.items.all()}
                return _answer(posted, earlier, "200 OK", latest)
        try:
            results = report_results(actor=request.user, order_id=order.public_id,
                                     sampled_at=sampled_at, values=values,
                                     release=status == "final")
        except DjangoValidationError as error:
            raise _issues(error, posted) from error
        return _answer(posted, order, "201 Created",
                       {result.test.code: result for result in results})


def _reported_orders(user, query) -> list:
    """The laboratory's orders an ifNoneExist search finds: those with results entered."""
    where = "ifNoneExist"
    orders = {_ordered_test({"reference": value}, where)[0]
              for value in query["based-on"].split(",")}
    found = [laboratory_order(user, order_id) for order_id in sorted(orders)]
    return [order for order in found
            if any(item.latest_result is not None for item in order.items.all())]
