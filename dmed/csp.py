"""Where browsers report Content-Security-Policy violations (settings.CONTENT_SECURITY_POLICY).

A violation on a page of ours is either a bug (something inline slipped into a template)
or an attack (injected markup the policy stopped); either way operations should see it, so
each one is logged at WARNING on the `dmed.csp` logger. Anyone may post here, unsigned and
without a session, so the body is bounded, nothing is stored, and no input answers 500.
"""

import json
import logging
import re

from django.http import HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

logger = logging.getLogger("dmed.csp")

# A browser's report is a few kilobytes at most (its samples are cut to 40 characters).
MAX_BODY_BYTES = 64 * 1024
# A Reporting API batch may hold several reports; more than this in one post is noise.
MAX_REPORTS_PER_POST = 20
# Each logged value is cut to this many characters, so a report cannot flood the log.
MAX_VALUE_CHARS = 300

# The legacy report-uri body (application/csp-report) and the Reporting API's
# (application/reports+json) name the same things differently: ours ← theirs (the first
# of several present; older browsers send only violated-directive).
LEGACY_FIELDS = {"document": "document-uri",
                 "directive": ("effective-directive", "violated-directive"),
                 "blocked": "blocked-uri", "source": "source-file", "line": "line-number",
                 "column": "column-number", "sample": "script-sample"}
REPORTING_API_FIELDS = {"document": "documentURL", "directive": "effectiveDirective",
                        "blocked": "blockedURL", "source": "sourceFile", "line": "lineNumber",
                        "column": "columnNumber", "sample": "sample"}
CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f-\x9f]")
CONTENT_TYPES = {"application/csp-report", "application/reports+json", "application/json"}


@csrf_exempt
@require_POST
def report(request):
    """Log each violation in the posted report(s): 204; 413 for a body over MAX_BODY_BYTES,
    415 for another content type, 400 for a body that is not a violation report."""
    content_type = request.content_type or ""
    if content_type not in CONTENT_TYPES:
        return HttpResponse(status=415)
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return HttpResponse(status=400)
    if declared > MAX_BODY_BYTES:
        return HttpResponse(status=413)
    body = request.read(MAX_BODY_BYTES + 1)
    if len(body) > MAX_BODY_BYTES:
        return HttpResponse(status=413)
    violations = _violations(body)
    if violations is None:
        return HttpResponse(status=400)
    for violation in violations[:MAX_REPORTS_PER_POST]:
        logger.warning(
            "CSP violation: %s blocked %s on %s (source %s:%s:%s, sample \"%s\")",
            violation["directive"], violation["blocked"], violation["document"],
            violation["source"], violation["line"], violation["column"], violation["sample"],
        )
    return HttpResponse(status=204)


def _violations(body: bytes) -> list[dict] | None:
    """The violations in a report body, each with our field names; None if it is not one."""
    try:
        data = json.loads(body)
    except (ValueError, RecursionError):  # not UTF-8, not JSON, or nested past the stack
        return None
    if isinstance(data, dict) and isinstance(data.get("csp-report"), dict):
        return [_fields(data["csp-report"], LEGACY_FIELDS)]
    if isinstance(data, list) and data:
        reports = [item.get("body") for item in data
                   if isinstance(item, dict) and item.get("type") == "csp-violation"]
        if reports and all(isinstance(report, dict) for report in reports):
            return [_fields(report, REPORTING_API_FIELDS) for report in reports]
    return None


def _fields(report: dict, names: dict) -> dict:
    fields = {}
    for ours, theirs in names.items():
        value = next((report[name] for name in (theirs if isinstance(theirs, tuple) else (theirs,))
                      if report.get(name) not in (None, "")), "")
        # Control characters (newlines) escaped: one report, one log line, nothing forged.
        fields[ours] = CONTROL_CHARACTERS.sub(lambda c: f"\\x{ord(c.group()):02x}",
                                              str(value)[:MAX_VALUE_CHARS])
    return fields
