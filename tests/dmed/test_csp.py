"""The Content-Security-Policy: on every page, with nothing inline for it to refuse, and
its violation reports logged (dmed.csp)."""

import json
import logging
import re
from collections import deque
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import pytest
from django.conf import settings
from django.core.management import call_command
from django.test import Client
from django.urls import Resolver404, resolve, reverse

from clinics.visits import services as visit_services
from dmed.csp import MAX_BODY_BYTES, MAX_REPORTS_PER_POST
from dmed.demo import DEMO_USERS
from dmed.models import User
from patients.models import PatientCard

POLICY = {
    "default-src": {"'self'"},
    "script-src": {"'self'"},
    "style-src": {"'self'"},
    "img-src": {"'self'", "data:"},
    "object-src": {"'none'"},
    "base-uri": {"'self'"},
    "frame-ancestors": {"'none'"},
    "form-action": {"'self'"},
}

# What the policy would refuse, in a template or a rendered page. A <script> with a src,
# or of type application/json (the json_script filter: data, never executed), is fine.
INLINE = {
    "inline <script>": re.compile(
        r"<script\b(?![^>]*\bsrc\s*=)(?![^>]*\btype\s*=\s*[\"']application/json)[^>]*>", re.I),
    "<style> element": re.compile(r"<style\b", re.I),
    "style attribute": re.compile(r"<[a-z][^>]*\sstyle\s*=", re.I),
    "on* handler": re.compile(r"<[a-z][^>]*\son[a-z]+\s*=", re.I),
    "hx-on attribute": re.compile(r"<[a-z][^>]*\shx-on", re.I),
    "javascript: URL": re.compile(r"""=\s*["']?\s*javascript:""", re.I),
}


def inline_code(html: str) -> list[str]:
    return [f"{what}: {match.group(0)[:120]}"
            for what, pattern in INLINE.items() for match in pattern.finditer(html)]


def policy_of(response) -> dict[str, set[str]]:
    assert "Content-Security-Policy" in response, response.request["PATH_INFO"]
    directives = {}
    for part in response["Content-Security-Policy"].split(";"):
        name, *sources = part.split()
        directives[name] = set(sources)
    return directives


def assert_strict_policy(response) -> None:
    directives = policy_of(response)
    for name, sources in POLICY.items():
        assert directives.get(name) == sources, (response.request["PATH_INFO"], name)
    assert directives["report-uri"] == {reverse("csp-report")}
    for sources in directives.values():
        assert not sources & {"'unsafe-inline'", "'unsafe-eval'", "*"}


# --- No inline code in any template -------------------------------------------------

TEMPLATE_COMMENT = re.compile(r"\{#.*?#\}|\{% comment %\}.*?\{% endcomment %\}", re.S)


def template_dirs() -> list[Path]:
    """templates/ and every app's templates/ folder, at any depth (clinics/labs/…)."""
    base = Path(settings.BASE_DIR)
    tops = [p for p in base.iterdir()
            if p.is_dir() and not p.name.startswith(".") and p.name not in {"var", "static"}]
    return [folder for top in tops for folder in [top, *top.rglob("*")]
            if folder.name == "templates" and folder.is_dir()]


def test_the_detector_sees_what_the_policy_refuses():
    for html in ['<script>alert(1)</script>', '<div style="color: red">',
                 '<select onchange="this.form.submit()">', '<style>p {}</style>',
                 '<button hx-on:click="x()">', '<a href="javascript:go()">']:
        assert inline_code(html), html
    for html in ['<script src="/static/js/portal.js" defer></script>',
                 '<script id="d" type="application/json">{"a": 1}</script>',
                 '<p>Read the style guide; one=two</p>', '<select data-submit-on-change>']:
        assert not inline_code(html), html


def test_no_template_holds_inline_script_style_or_handlers():
    templates = sorted({path for folder in template_dirs() for path in folder.rglob("*.html")})
    assert len(templates) > 50  # all the apps' templates are found, not one folder
    found = {str(path.relative_to(settings.BASE_DIR)):
             inline_code(TEMPLATE_COMMENT.sub("", path.read_text())) for path in templates}
    assert {path: hits for path, hits in found.items() if hits} == {}


# --- Every page kind answers with the policy, and nothing inline ----------------------

@pytest.fixture
def demo_world(db, settings):
    settings.DEMO_PASSWORD = "demo-csp-password"  # noqa: S105 — a test database's users
    call_command("seed_demo", verbosity=0)


def view_name(url: str) -> str | None:
    try:
        return resolve(urlsplit(url).path).view_name
    except Resolver404:
        return None


def page_kind(path: str) -> str:
    """/patients/1234567890/visits/ and /patients/2345678901/visits/ are one kind of page."""
    return "/".join("<id>" if re.search(r"\d", part) else part for part in path.split("/"))


def crawl(client: Client, starts: list[str], *, limit: int) -> dict[str, object]:
    """The HTML pages reachable by following links from `starts`, one per page kind."""
    seen, pages, queue = set(), {}, deque(starts)
    while queue and len(pages) < limit:
        url = queue.popleft()
        kind = page_kind(urlsplit(url).path)
        if kind in seen:
            continue
        seen.add(kind)
        response = client.get(url)
        if not response.get("Content-Type", "").startswith("text/html"):
            continue
        pages[url] = response
        for href in re.findall(r'href="([^"#]+)', response.content.decode()):
            link = urljoin(url, href.replace("&amp;", "&"))
            if link.startswith("/") and not link.startswith(("/static/", "/i18n/")):
                queue.append(link)
    return pages


@pytest.mark.django_db
def test_every_page_kind_has_the_strict_policy_and_nothing_inline(client, demo_world):
    """Each demo role follows the links from its home page (one page per kind); the
    clinician also opens a visit form, the prescription writing page and the printed card;
    signed out: the sign-in page, the API docs and an error page; the admin's pages."""
    card = PatientCard.objects.get(user__username="patient")
    visit = visit_services.open_visit(User.objects.get(username="doctor"), card.med_id)
    extra = {"doctor": [reverse("clinics:visit-edit", args=[visit.public_id]),
                        reverse("prescriptions:write", args=[card.med_id]),
                        reverse("patients:print", args=[card.med_id])],
             "admin": [reverse("admin:patients_patientcard_change", args=[card.pk])]}
    pages = {}
    for username, *_ in DEMO_USERS:
        client.force_login(User.objects.get(username=username))
        reached = crawl(client, ["/", *extra.get(username, [])],
                        limit=90 if username == "admin" else 40)
        assert len(reached) > 3, username
        pages.update(reached)
        client.logout()
    for url in [reverse("login"), reverse("api-docs"), "/no-such-page/"]:
        pages[url] = client.get(url)
    # The pages of the brief are among them (a crawl that reached nothing would pass).
    assert {"clinics:visit-edit", "clinics:stay", "clinics:stay-admit", "prescriptions:write",
            "prescriptions:detail", "referrals:new", "queue:desk", "queue:board",
            "labs:my-results", "patients:print", "api-docs", "login",
            "admin:patients_patientcard_change", "admin:dmed_user_add", None,
            } <= {view_name(url) for url in pages}
    for url, response in pages.items():
        assert_strict_policy(response)
        assert inline_code(response.content.decode()) == [], url
    script = client.get(reverse("api-docs") + "?script=")
    assert script["Content-Type"].startswith("application/javascript")
    assert "SwaggerUIBundle" in script.content.decode()


def test_the_queue_pages_keep_htmx_from_adding_an_inline_style():
    head = (Path(settings.BASE_DIR) / "queues/templates/queue/_head.html").read_text()
    config = json.loads(re.search(r"name=\"htmx-config\" content='([^']+)'", head).group(1))
    assert config["includeIndicatorStyles"] is False


# --- The report endpoint ----------------------------------------------------------------

LEGACY_REPORT = {"csp-report": {
    "document-uri": "https://dmed.example/patients/", "referrer": "",
    "violated-directive": "script-src-elem", "effective-directive": "script-src-elem",
    "original-policy": "default-src 'self'", "disposition": "enforce",
    "blocked-uri": "inline", "line-number": 12, "column-number": 5,
    "source-file": "https://dmed.example/patients/", "status-code": 200,
    "script-sample": "alert(1)"}}
REPORTING_API_BATCH = [
    {"type": "csp-violation", "age": 10, "url": "https://dmed.example/queue/",
     "user_agent": "Chromium", "body": {
         "documentURL": "https://dmed.example/queue/", "effectiveDirective": "style-src-elem",
         "blockedURL": "inline", "sourceFile": "https://dmed.example/static/js/x.js",
         "lineNumber": 1, "columnNumber": 2, "sample": "", "disposition": "enforce"}},
    {"type": "csp-violation", "body": {"documentURL": "https://dmed.example/login/",
                                       "effectiveDirective": "img-src",
                                       "blockedURL": "https://evil.example/p.gif"}},
    {"type": "deprecation", "body": {"id": "x"}},
]


def post_report(body, content_type="application/csp-report"):
    client = Client(enforce_csrf_checks=True)  # as a browser posts it: no CSRF token
    data = body if isinstance(body, bytes | str) else json.dumps(body)
    # CONTENT_TYPE given again: the test client leaves it out of a request with no body.
    return client.post(reverse("csp-report"), data=data, content_type=content_type,
                       CONTENT_TYPE=content_type)


def csp_warnings(caplog):
    return [r for r in caplog.records if r.name == "dmed.csp" and r.levelno == logging.WARNING]


def test_a_report_uri_violation_is_logged_and_answered_204(caplog):
    with caplog.at_level(logging.WARNING, logger="dmed.csp"):
        response = post_report(LEGACY_REPORT)
    assert response.status_code == 204
    [record] = csp_warnings(caplog)
    message = record.getMessage()
    for text in ["script-src-elem", "inline", "https://dmed.example/patients/", ":12:5",
                 "alert(1)"]:
        assert text in message


def test_reporting_api_violations_are_each_logged(caplog):
    with caplog.at_level(logging.WARNING, logger="dmed.csp"):
        response = post_report(REPORTING_API_BATCH, "application/reports+json")
    assert response.status_code == 204
    messages = [record.getMessage() for record in csp_warnings(caplog)]
    assert len(messages) == 2  # the deprecation report is not a violation
    assert "style-src-elem" in messages[0] and "https://dmed.example/queue/" in messages[0]
    assert "img-src" in messages[1] and "https://evil.example/p.gif" in messages[1]


def test_a_report_is_one_log_line_whatever_it_holds(caplog):
    forged = {"csp-report": {**LEGACY_REPORT["csp-report"],
                             "blocked-uri": "x\n2026-01-01 INFO forged line",
                             "script-sample": "y" * 10_000}}
    with caplog.at_level(logging.WARNING, logger="dmed.csp"):
        assert post_report(forged).status_code == 204
    [record] = csp_warnings(caplog)
    assert "\n" not in record.getMessage()
    assert len(record.getMessage()) < 2_000


def test_a_flood_of_reports_in_one_post_is_cut(caplog):
    batch = [{"type": "csp-violation", "body": {"effectiveDirective": "img-src"}}] * 500
    with caplog.at_level(logging.WARNING, logger="dmed.csp"):
        assert post_report(batch, "application/reports+json").status_code == 204
    assert len(csp_warnings(caplog)) == MAX_REPORTS_PER_POST


@pytest.mark.parametrize(("body", "content_type", "status"), [
    ("not json", "application/csp-report", 400),
    (b"\xff\xfe\x00garbage", "application/csp-report", 400),
    ("[" * 50_000 + "]" * 50_000, "application/csp-report", 413),
    ("[" * 20_000 + "]" * 20_000, "application/reports+json", 400),  # nested past the stack
    ('{"csp-report": 5}', "application/csp-report", 400),
    ("42", "application/csp-report", 400),
    ("null", "application/json", 400),
    ("[]", "application/reports+json", 400),
    ("[1, 2, 3]", "application/reports+json", 400),
    ('[{"type": "csp-violation", "body": "x"}]', "application/reports+json", 400),
    ('[{"type": "csp-violation"}]', "application/reports+json", 400),
    ("", "application/csp-report", 400),
    (json.dumps(LEGACY_REPORT), "text/plain", 415),
    (json.dumps(LEGACY_REPORT), "application/x-www-form-urlencoded", 415),
    ("x" * (MAX_BODY_BYTES + 1), "application/csp-report", 413),
])
def test_garbage_is_refused_with_a_4xx_never_a_500(caplog, body, content_type, status):
    with caplog.at_level(logging.WARNING, logger="dmed.csp"):
        assert post_report(body, content_type).status_code == status
    assert csp_warnings(caplog) == []


def test_only_post_is_accepted():
    assert Client().get(reverse("csp-report")).status_code == 405


def test_the_policy_reports_to_the_endpoint():
    assert settings.CONTENT_SECURITY_POLICY["DIRECTIVES"]["report-uri"] == reverse("csp-report")
