"""Every user-facing string exists, translated, in each language's compiled catalogue."""

import shutil
import subprocess
import sys
from pathlib import Path

import polib
import pytest

from dmed.translit import latin_to_cyrillic

ROOT = Path(__file__).resolve().parents[2]
TRANSLATED = ["uz", "uz_Cyrl", "ru"]
SOURCES = ["dmed", "clinics", "patients", "prescriptions", "queues", "templates", "manage.py"]


def catalogue(locale: str) -> polib.POFile:
    return polib.pofile(str(ROOT / "locale" / locale / "LC_MESSAGES" / "django.po"))


@pytest.mark.parametrize("locale", TRANSLATED)
def test_catalogue_is_fully_translated(locale):
    po = catalogue(locale)
    assert not [e.msgid for e in po.untranslated_entries()]
    assert not [e.msgid for e in po.fuzzy_entries()]


@pytest.mark.parametrize("locale", [*TRANSLATED, "en"])
def test_compiled_catalogue_matches_its_source(locale):
    folder = ROOT / "locale" / locale / "LC_MESSAGES"
    compiled = {(e.msgctxt, e.msgid): e.msgstr for e in polib.mofile(str(folder / "django.mo"))}
    source = {(e.msgctxt, e.msgid): e.msgstr
              for e in catalogue(locale).translated_entries() if not e.obsolete}
    assert compiled == source


def test_cyrillic_catalogue_is_the_transliterated_latin_one():
    latin = {e.msgid: e.msgstr for e in catalogue("uz")}
    cyrillic = {e.msgid: e.msgstr for e in catalogue("uz_Cyrl")}
    assert cyrillic == {msgid: latin_to_cyrillic(text) for msgid, text in latin.items()}


@pytest.mark.skipif(shutil.which("xgettext") is None, reason="gettext is not installed")
def test_every_string_in_the_code_is_in_the_catalogue(tmp_path):
    """Run makemessages on a copy of the sources and compare with the committed catalogue."""
    for name in SOURCES:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, tmp_path / name,
                            ignore=shutil.ignore_patterns("__pycache__", "migrations"))
        else:
            shutil.copy(source, tmp_path / name)
    (tmp_path / "locale").mkdir()
    subprocess.run(
        [sys.executable, "-m", "django", "makemessages", "-l", "uz", "--no-location",
         "--no-obsolete"],
        cwd=tmp_path, check=True, capture_output=True, timeout=120,
        env={"PATH": "/usr/bin:/bin", "DJANGO_SETTINGS_MODULE": "dmed.settings",
             "DJANGO_DEBUG": "1", "PYTHONPATH": f"{tmp_path}:{':'.join(sys.path)}"},
    )
    extracted = {e.msgid for e in polib.pofile(str(tmp_path / "locale/uz/LC_MESSAGES/django.po"))}
    committed = {e.msgid for e in catalogue("uz") if not e.obsolete}
    assert sorted(extracted - committed) == []
