"""Every page of every role, read in every language: no English left on a non-English page.

The catalogue tests (test_catalogues.py) prove each catalogue is complete; this walk proves
the pages use them: a string missing from a catalogue, left out of gettext, or taken from a
data field without its translation shows up as English words on an Uzbek or Russian page.

Which words are English: those of the catalogues' English sources (our msgids and Django's)
that the language's own translations never use, less a small allow-list of codes, units and
names. Pages are the URL map's, reached as the need-to-know walk reaches them
(tests/patients/test_need_to_know.py), for each role of the demo world.
"""

from __future__ import annotations

import re
import time
from functools import cache
from html.parser import HTMLParser

import polib
import pytest
from django.urls import NoReverseMatch, reverse
from django.utils import translation

from clinics.visits.services import open_visit
from dmed.models import User
from dmed.translit import KEEP_LATIN_NAMES
from prescriptions.models import Dispensing, Drug
from queues.models import ServicePoint, Ticket
from registry.models import Department
from tests.dmed.test_catalogues import ROOT, ROOTS
from tests.patients.test_need_to_know import (
    NO_CARD_DATA,
    ROLE_USERS,
    RULES,
    World,
    url_names,
    world,  # noqa: F401 — the demo world, shared with the need-to-know walk
)

LANGUAGES = ("uz", "uz-cyrl", "ru")
# Every role's demo user, and the hospital's cardiologist for the ward pages.
USERS = {**ROLE_USERS, "hospital clinician": "cardiologist"}
CATALOGUE_LANGUAGE = {"uz": "uz", "uz-cyrl": "uz_Cyrl", "ru": "ru"}

# What is English on any page and is right there: codes and names the world reads in Latin.
ALLOWED = {
    *(name.lower() for name in KEEP_LATIN_NAMES),
    "atc", "inn", "ok", "telegram", "pdf", "email", "e-mail",
}
# Libraries whose application is named in the admin by a product name, not a text to
# translate (the OAuth toolkit's texts are translated in locale_django).
PRODUCT_NAMED_APPS = ("oauth2_provider",)
# Pages that are not the reader's: the waiting-room board speaks the facility's language
# (queues.views.board); machine answers (API, FHIR, OAuth, health, webhooks) and writes.
NOT_WALKED_PREFIXES = ("api-", "fhir:", "oauth2_provider:")
NOT_WALKED = {
    # Walked signed out, below; the pharmacist's page of one prescription opens only after
    # the patient check, break-the-glass reviews only for heads (their own tests).
    "login", "prescriptions:pharmacy-prescription", "patients:break-glass-reviews",
    "queue:board", "queue:board-live", "logout", "set_language", "csp-report", "healthz",
    "readyz", "notifications:telegram-webhook", "notifications:telegram-code",
    "registry:acting-facility",
}

WORD = re.compile(r"[A-Za-z][A-Za-z’'-]*[A-Za-z]|[A-Za-z]")
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]|%[sd]|\{\w*\}|<[^>]+>|&\w+;")


def _words(text: str) -> set[str]:
    return {word.lower() for word in WORD.findall(PLACEHOLDER.sub(" ", text))}


@cache
def foreign_words(language: str) -> frozenset[str]:
    """English words of the catalogues' sources that the language's translations never use
    ("DMED", "Portal" or "Admin" are Uzbek too). Uzbek Latin on a Cyrillic page is not
    sought: clinicians' notes and facility names are written in it, and stay so; nor are
    the Uzbek words that English texts quote ("gipertenziya" in a search hint)."""
    own = set()
    english = set()
    for root in ROOTS:
        for catalogue_language in {CATALOGUE_LANGUAGE[language], "uz"}:
            po = polib.pofile(str(ROOT / root / catalogue_language / "LC_MESSAGES"
                                  / "django.po"))
            for entry in po:
                own |= _words(entry.msgstr) | _words(" ".join(entry.msgstr_plural.values()))
                english |= _words(entry.msgid) | _words(entry.msgid_plural)
    return frozenset(word for word in english - own - ALLOWED if len(word) > 2)


class VisibleText(HTMLParser):
    """The text a reader sees or hears: text nodes and the attributes shown or spoken,
    leaving out scripts, styles and what is marked as another language (lang="…")."""

    SPOKEN = ("placeholder", "title", "aria-label", "alt")
    SKIPPED = {"script", "style", "template", "kbd"}  # <kbd>: key names (Ctrl+Enter)
    # The admin's rows and read-only values are the registries' data (an ICD-10 code's
    # English title, a key's label), its labels, filters and buttons are the page's.
    DATA_CLASSES = {"readonly", "field-title_en", "field-name_en"}
    VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta",
            "source", "track", "wbr"}

    def __init__(self, language: str):
        super().__init__(convert_charrefs=True)
        self.language = language
        self.stack: list[bool] = []  # per open element: is its text left out?
        self.chunks: list[str] = []
        self.in_result_list = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        skipped = bool(self.stack and self.stack[-1]) or tag in self.SKIPPED or (
            "lang" in attrs and tag != "html" and attrs["lang"] != self.language) or bool(
            set((attrs.get("class") or "").split()) & self.DATA_CLASSES) or (
            tag == "tbody" and self.in_result_list)
        if tag == "table":
            self.in_result_list = attrs.get("id") == "result_list"
        if not skipped:
            self.chunks += [attrs[name] for name in self.SPOKEN if attrs.get(name)]
            if tag == "input" and attrs.get("type") in ("submit", "button") and attrs.get(
                    "value"):
                self.chunks.append(attrs["value"])
        if tag not in self.VOID:
            self.stack.append(skipped)

    def handle_endtag(self, tag):
        if tag not in self.VOID and self.stack:
            self.stack.pop()

    def handle_data(self, data):
        if not (self.stack and self.stack[-1]) and data.strip():
            self.chunks.append(data)


# Event and record kinds as the admin's filters list them (prescription.issued): codes.
DOTTED_CODE = re.compile(r"^[a-z_]+(?:\.[a-z_]+)+$")


def english_left(html: str, language: str, data: tuple[str, ...] = (), *,
                 codes: bool = False) -> list[str]:
    """The foreign words of a page, each with the text it stands in. Words in capitals or
    with digits are abbreviations, codes and ids (IPV, CARD/2/3, a UUID); so are dotted kinds
    (prescription.issued) where `codes` says the page lists them (the admin's)."""
    parser = VisibleText(language)
    parser.feed(html)
    found = []
    # Whole words: the username "lab" is not taken out of "lab.result_released".
    names = re.compile("|".join(rf"(?<![\w.]){re.escape(text)}(?![\w]|\.\w)"
                                for text in data)) if data else None
    for chunk in parser.chunks:
        chunk = " ".join((names.sub(" ", chunk) if names else chunk).split())
        words = _words(" ".join(word for word in chunk.split() if not (
            word.isupper() or any(character.isdigit() for character in word)
            or (codes and DOTTED_CODE.match(word.strip(".,;:()"))))))
        words &= foreign_words(language)
        if words:
            found.append(f"{sorted(words)} in {' '.join(chunk.split())[:120]!r}")
    return found


def _extra_paths(demo: World) -> dict:
    """Addresses of the pages the need-to-know walk does not reach with its rules."""
    ticket = Ticket.objects.order_by("pk").first()
    point = ServicePoint.objects.filter(is_active=True).order_by("pk").first()
    dispensing = Dispensing.objects.order_by("pk").first()
    department = Department.objects.filter(wards__isnull=False).order_by("pk").first()
    card = demo.card.med_id
    doctor = User.objects.get(username=ROLE_USERS["clinician"])
    # The rule's own visit is closed (its edit page redirects): the doctor opens one.
    visit = open_visit(doctor, demo.card)
    return {
        "clinics:visit-edit": reverse("clinics:visit-edit", args=[visit.public_id]),
        "queue:ticket": reverse("queue:ticket", args=[ticket.public_id]),
        "queue:ticket-live": reverse("queue:ticket-live", args=[ticket.public_id]),
        "queue:ticket-print": reverse("queue:ticket-print", args=[ticket.public_id]),
        "queue:desk": reverse("queue:desk", args=[point.public_id]),
        "queue:desk-line": reverse("queue:desk-line", args=[point.public_id]),
        "prescriptions:slip": reverse("prescriptions:slip",
                                      args=[demo.records["prescription"].code]),
        "prescriptions:receipt": reverse("prescriptions:receipt", args=[dispensing.public_id]),
        "prescriptions:receipt-print": reverse("prescriptions:receipt-print",
                                               args=[dispensing.public_id]),
        "clinics:visit-summary": reverse("clinics:visit-summary", args=[demo.visit.public_id]),
        "clinics:ward-board": reverse("clinics:ward-board", args=[department.code]),
        "mch:pregnancy": reverse("mch:pregnancy", args=[card]),
        "mch:immunisation": reverse("mch:immunisation", args=[card]),
        "labs:order-new": reverse("labs:order-new", args=[card]),
        "referrals:new": reverse("referrals:new", args=[card]),
        "prescriptions:write": reverse("prescriptions:write", args=[card]),
        "pharmacy_sync:in-stock": reverse("pharmacy_sync:in-stock",
                                          args=[demo.records["prescription"].items.first()
                                                .drug_id]),
        "home-panel": None,  # the home page shows every panel of the role
    }


def walked_pages(demo: World) -> dict[str, str]:
    extra = _extra_paths(demo)
    pages, unreached = {}, []
    for name in sorted(set(url_names()) - NOT_WALKED):
        if name.startswith(NOT_WALKED_PREFIXES):
            continue
        if name in extra:
            if extra[name]:
                pages[name] = extra[name]
        elif name in RULES and RULES[name].opens_for:
            pages[name] = RULES[name].path(demo)
        elif name in NO_CARD_DATA:
            try:
                pages[name] = reverse(name)
            except NoReverseMatch:
                unreached.append(name)
        # Otherwise a write (need-to-know's WRITES): it answers with a page walked here.
    assert unreached == [], "pages the walk has no address for"
    return pages


def _admin_pages() -> list[str]:
    """The admin's index, each registry's list, and the pages staff accounts are made on."""
    from django.contrib import admin

    doctor = User.objects.get(username=ROLE_USERS["clinician"])
    pages = [reverse("admin:index"), reverse("admin:password_change"),
             reverse("admin:dmed_user_add"), reverse("admin:dmed_user_change", args=[doctor.pk])]
    for model in admin.site._registry:
        pages.append(reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}"
                             "_changelist"))
    return pages


def _data_texts(demo: World) -> tuple[str, ...]:
    """Texts of the demo world that are in English or Latin on purpose: the walk's markers
    and the medicine it writes, the medicines' Latin names (INNs and trade names stay as
    the registry writes them), usernames, each language's own name in the switcher, and
    the product names some libraries give their application in the admin."""
    from django.apps import apps
    from django.conf import settings

    markers = [text for texts in demo.markers.values() for text in texts]
    items = demo.records["prescription"].items.values_list("dosage", "frequency", "route")
    drugs = Drug.objects.values_list("inn", "trade_names")
    names = {name.strip() for inn, trade in drugs for name in [inn, *trade.split(";")]}
    texts = {*markers, *(text for item in items for text in item), *names,
             *User.objects.values_list("username", flat=True),
             *(name for _code, name in settings.LANGUAGES),
             *(str(apps.get_app_config(label).verbose_name) for label in PRODUCT_NAMED_APPS)}
    return tuple(sorted((text for text in texts if text), key=len, reverse=True))


@pytest.mark.django_db
def test_every_page_of_every_role_is_in_the_readers_language(world, client):  # noqa: F811
    started = time.monotonic()
    pages = walked_pages(world)
    data = _data_texts(world)
    problems, opened = [], set()
    for role, username in USERS.items():
        client.force_login(User.objects.get(username=username))
        paths = [*pages.values(), *(_admin_pages() if role == "administrator" else [])]
        for path in paths:
            for language in LANGUAGES:
                client.cookies["dmed_language"] = language
                answer = client.get(path)
                if answer.status_code != 200:
                    break  # refused: the same in every language
                opened.add(path)
                if not answer["Content-Type"].startswith("text/html"):
                    break  # a PDF: tests/clinics and tests/prescriptions read its text
                html = answer.content.decode().replace(path.split("?")[0], "")
                problems += [f"{role} {path} [{language}]: {found}" for found in english_left(
                    html, language, data, codes=path.startswith(reverse("admin:index")))]
    client.logout()
    for path in (reverse("login"),):
        for language in LANGUAGES:
            client.cookies["dmed_language"] = language
            html = client.get(path).content.decode()
            problems += [f"anonymous {path} [{language}]: {found}"
                         for found in english_left(html, language, data)]
    assert problems == [], "\n".join(problems)
    assert {name for name, path in pages.items() if path not in opened} == set(), \
        "pages no role opened: the walk reads nothing there"
    assert time.monotonic() - started < 120


@pytest.mark.django_db
def test_an_untranslated_string_fails_the_walk(client, django_user_model):
    """Take one translation away from the Uzbek catalogue: the page shows it in English."""
    user = django_user_model.objects.create_user("walker", password="a-long-password-1",
                                                 role="patient")
    client.force_login(user)
    client.cookies["dmed_language"] = "uz"
    page = client.get(reverse("password_change")).content.decode()
    assert english_left(page, "uz") == []
    catalogue = translation.trans_real.translation("uz")._catalog
    title = catalogue["Change password"]
    catalogue["Change password"] = "Change password"
    try:
        page = client.get(reverse("password_change")).content.decode()
    finally:
        catalogue["Change password"] = title
    assert any("'change'" in found and "'password'" in found
               for found in english_left(page, "uz"))
