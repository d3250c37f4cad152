"""Every user-facing string exists, translated, in each language's compiled catalogue.

The project catalogue is `locale/`; apps may keep their own in `<app>/locale/`; Django's own
strings, in the languages Django lacks, are in `locale_django/`.
"""

import shutil
import subprocess
import sys
from pathlib import Path

import polib
import pytest

from dmed.translit import latin_to_cyrillic
from scripts.messages import IGNORED, catalogue_roots

ROOT = Path(__file__).resolve().parents[2]
TRANSLATED = ["uz", "uz_Cyrl", "ru"]
SOURCES = ["dmed", "registry", "clinics", "patients", "prescriptions", "queues", "outbox",
           "notifications", "pharmacy_sync", "home", "mch", "patronage", "inbox", "fhir",
           "templates",
           "manage.py"]
ROOTS = [root.relative_to(ROOT) for root in catalogue_roots()]


def catalogue(locale_root: Path, locale: str) -> polib.POFile:
    return polib.pofile(str(ROOT / locale_root / locale / "LC_MESSAGES" / "django.po"))


@pytest.mark.parametrize("locale_root", ROOTS, ids=str)
@pytest.mark.parametrize("locale", TRANSLATED)
def test_catalogue_is_fully_translated(locale_root, locale):
    po = catalogue(locale_root, locale)
    assert not [e.msgid for e in po.untranslated_entries()]
    assert not [e.msgid for e in po.fuzzy_entries()]


@pytest.mark.parametrize("folder", [
    folder.relative_to(ROOT) for root in ROOTS for folder in sorted(
        (ROOT / root).glob("*/LC_MESSAGES"))], ids=str)
def test_compiled_catalogue_matches_its_source(folder):
    folder = ROOT / folder
    locale_root, locale = folder.parent.parent.relative_to(ROOT), folder.parent.name
    compiled = {(e.msgctxt, e.msgid): e.msgstr for e in polib.mofile(str(folder / "django.mo"))}
    source = {(e.msgctxt, e.msgid): e.msgstr
              for e in catalogue(locale_root, locale).translated_entries() if not e.obsolete}
    assert compiled == source


@pytest.mark.parametrize("locale_root", ROOTS, ids=str)
def test_cyrillic_catalogue_is_the_transliterated_latin_one(locale_root):
    latin = {e.msgid: e.msgstr for e in catalogue(locale_root, "uz")}
    cyrillic = {e.msgid: e.msgstr for e in catalogue(locale_root, "uz_Cyrl")}
    assert cyrillic == {msgid: latin_to_cyrillic(text) for msgid, text in latin.items()}


def test_sources_list_every_app_with_strings():
    apps = {p.parent.name for p in ROOT.glob("*/apps.py")}
    assert apps <= set(SOURCES)


@pytest.mark.skipif(shutil.which("xgettext") is None, reason="gettext is not installed")
def test_every_string_in_the_code_is_in_its_catalogue(tmp_path):
    """Run makemessages on a copy of the sources and compare with the committed catalogues."""
    for name in SOURCES:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, tmp_path / name,
                            ignore=shutil.ignore_patterns("__pycache__", "migrations", "locale"))
        else:
            shutil.copy(source, tmp_path / name)
    for locale_root in ROOTS:
        (tmp_path / locale_root).mkdir()
    command = [sys.executable, "-m", "django", "makemessages", "-l", "uz", "--no-location",
               "--no-obsolete"]
    for pattern in IGNORED:
        command += ["-i", pattern]
    subprocess.run(
        command, cwd=tmp_path, check=True, capture_output=True, timeout=120,
        env={"PATH": "/usr/bin:/bin", "DJANGO_SETTINGS_MODULE": "dmed.settings",
             "DJANGO_DEBUG": "1", "PYTHONPATH": f"{tmp_path}:{':'.join(sys.path)}"},
    )
    missing = {}
    for locale_root in ROOTS:
        extracted_po = tmp_path / locale_root / "uz/LC_MESSAGES/django.po"
        extracted = {e.msgid for e in polib.pofile(str(extracted_po))} if extracted_po.exists() \
            else set()
        committed = {e.msgid for e in catalogue(locale_root, "uz") if not e.obsolete}
        if extracted - committed:
            missing[str(locale_root)] = sorted(extracted - committed)
    assert missing == {}


def test_djangos_own_strings_are_translated_in_every_language():
    """Django ships no Uzbek Cyrillic and leaves Uzbek Latin gaps ("Old password", the
    password validators, most of the admin); locale_django fills them."""
    from django.contrib.auth.password_validation import CommonPasswordValidator
    from django.utils import translation

    expected = {"uz": ("Eski parol", "Bu parol juda keng tarqalgan."),
                "uz-cyrl": ("Эски парол", "Бу парол жуда кенг тарқалган."),
                "ru": ("Старый пароль", "Введённый пароль слишком широко распространён."),
                "en": ("Old password", "This password is too common.")}
    for language, texts in expected.items():
        with translation.override(language):
            try:
                CommonPasswordValidator().validate("password123")
            except Exception as error:  # noqa: BLE001 — the validator's message is the point
                message = error.messages[0]
            assert (translation.gettext("Old password"), message) == texts, language
