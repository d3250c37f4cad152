"""Refresh every message catalogue: extract, transliterate Uzbek Cyrillic, compile.

Catalogues live in `locale/` (project pages, dmed, clinics registries, patients) and in
`<app>/locale/` for apps that keep their own, so work on different apps never edits the
same .po file. makemessages puts a string into the nearest `locale/` above its file, so
an app's templates belong in `<app>/templates/<app>/`.

Uzbek has one language in two scripts: translators keep `uz`; `uz_Cyrl` is written from
it here. Run `python scripts/messages.py`, fill the empty `msgstr` of `uz` and `ru`,
then run it again (it keeps translations and recompiles).

Django's own strings (its forms and validators, password pages, the admin) are in
`locale_django/`: Django ships Russian in full, Uzbek Latin in part and no Uzbek Cyrillic,
so that catalogue holds every string of the Django parts people read, with Django's own
translation where it has one and ours where it has none. It is rebuilt from the installed
Django here (our translations kept) and the empty `msgstr` of its `uz` are filled the same
way.
"""

import os
import re
import subprocess
import sys
from pathlib import Path

import polib

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from dmed.translit import latin_to_cyrillic  # noqa: E402

EXTRACTED = ["uz", "ru", "en"]
# Folders makemessages must not read: the virtualenv, runtime data, tests and tooling.
IGNORED = [".venv/*", "var/*", "tests/*", "scripts/*", "bench/*", "test-artifacts/*"]


# The catalogues of Django and the libraries whose strings reach people (the admin's
# sign-in lockout is django-axes'), in Django's order of authority: where two hold one text,
# the app earlier in INSTALLED_APPS wins, and every app wins over Django's core.
LIBRARY_CATALOGUES = ["django/contrib/admin/locale", "django/contrib/auth/locale",
                      "django/contrib/contenttypes/locale", "django/contrib/sessions/locale",
                      "axes/locale", "django/conf/locale"]
LIBRARY_ROOT = "locale_django"
# Libraries that mark their texts for translation but ship no catalogue at all (the OAuth
# toolkit, whose admin pages register the FHIR clients): their texts are read from these
# sources, in the order found.
LIBRARY_SOURCES = ["oauth2_provider/models.py"]
GETTEXT_CALL = re.compile(r'\b_\(\s*((?:"[^"]*"\s*)+)\)')
# Texts the libraries mark for translation but leave out of their own catalogues
# (django-axes' newer models): Django finds them here all the same.
LIBRARY_TEXTS_MISSING = ["Access Attempt", "Attempt Remaining", "Clean up expired attempts",
                         "Expires At", "Locked Out", "Not set", "Session key hash (sha256)",
                         "The time when access attempt expires and is no longer valid.",
                         "access attempt expiration", "access attempt expirations"]


def catalogue_roots(root: Path = ROOT) -> list[Path]:
    """The project catalogue first, then each app's own, then Django's strings."""
    return [root / "locale", *sorted(p for p in root.glob("*/locale") if p.is_dir()),
            root / LIBRARY_ROOT]


def uzbek_apostrophes(text: str) -> str:
    """Django's Uzbek writes o' and g' with ASCII quotes; the portal writes o‘ g‘ and
    the tutuq belgisi ’, as the standard does (dmed.translit reads both)."""
    text = re.sub(r"(?<=[OoGg])'(?=\w)", "‘", text)
    return re.sub(r"(?<=\w)'(?=\w)", "’", text)


def library_catalogue(locale: str, ours: polib.POFile | None) -> polib.POFile:
    """Every string of LIBRARY_CATALOGUES: our translation, else Django's, else empty."""
    import django

    packages = Path(django.__file__).parent.parent
    kept = {(e.msgctxt, e.msgid): e for e in ours or [] if e.translated()}
    catalogue = polib.POFile(wrapwidth=79)
    catalogue.metadata = {
        "Project-Id-Version": "DMED portal: Django's strings",
        "Language": locale, "MIME-Version": "1.0",
        "Content-Type": "text/plain; charset=UTF-8", "Content-Transfer-Encoding": "8bit",
        "Plural-Forms": polib.pofile(str(ROOT / "locale" / locale / "LC_MESSAGES/django.po"))
        .metadata["Plural-Forms"],
    }
    nplurals = int(re.search(r"nplurals=(\d+)", catalogue.metadata["Plural-Forms"])[1])
    seen = set()
    for source in LIBRARY_CATALOGUES:
        # The English catalogue lists every text; django-axes ships none, its Russian does.
        english = polib.pofile(str(next(
            po for language in ("en", "ru")
            if (po := packages / source / language / "LC_MESSAGES/django.po").exists())))
        shipped_po = packages / source / locale / "LC_MESSAGES/django.po"
        shipped = {(e.msgctxt, e.msgid): e for e in polib.pofile(str(shipped_po))
                   if e.translated()} if shipped_po.exists() else {}
        for entry in english:
            key = (entry.msgctxt, entry.msgid)
            if entry.obsolete or key in seen:
                continue
            seen.add(key)
            translation = kept.get(key) or shipped.get(key)
            new = polib.POEntry(msgid=entry.msgid, msgctxt=entry.msgctxt,
                                msgid_plural=entry.msgid_plural, flags=[
                                    f for f in entry.flags if f != "fuzzy"])
            if entry.msgid_plural:
                forms = list(translation.msgstr_plural.values()) if translation else []
                # Django's Uzbek has one plural form, the portal's catalogues two.
                new.msgstr_plural = {i: (forms[min(i, len(forms) - 1)] if forms else "")
                                     for i in range(nplurals)}
            else:
                new.msgstr = translation.msgstr if translation else ""
            if locale == "uz" and translation is not kept.get(key):
                new.msgstr = uzbek_apostrophes(new.msgstr)
                new.msgstr_plural = {i: uzbek_apostrophes(text)
                                     for i, text in new.msgstr_plural.items()}
            catalogue.append(new)
    for text in [*LIBRARY_TEXTS_MISSING, *library_source_texts(packages)]:
        if (None, text) in seen:
            continue
        seen.add((None, text))
        translation = kept.get((None, text))
        catalogue.append(polib.POEntry(msgid=text,
                                       msgstr=translation.msgstr if translation else ""))
    return catalogue


def library_source_texts(packages: Path) -> list[str]:
    """The texts LIBRARY_SOURCES pass to gettext, adjacent literals joined as Python does."""
    texts = []
    for source in LIBRARY_SOURCES:
        for call in GETTEXT_CALL.finditer((packages / source).read_text()):
            texts.append("".join(re.findall(r'"([^"]*)"', call.group(1))))
    return texts


def write_library_catalogues(root: Path = ROOT) -> None:
    for locale in ("uz", "ru"):
        po = root / LIBRARY_ROOT / locale / "LC_MESSAGES" / "django.po"
        ours = polib.pofile(str(po)) if po.exists() else None
        po.parent.mkdir(parents=True, exist_ok=True)
        library_catalogue(locale, ours).save(str(po))


def cyrillic_catalogue(latin: polib.POFile) -> polib.POFile:
    cyrillic = polib.POFile(wrapwidth=latin.wrapwidth)
    cyrillic.metadata = {**latin.metadata, "Language": "uz_Cyrl"}
    for entry in latin:
        if entry.obsolete:
            continue
        cyrillic.append(polib.POEntry(
            msgid=entry.msgid,
            msgid_plural=entry.msgid_plural,
            msgctxt=entry.msgctxt,
            msgstr=latin_to_cyrillic(entry.msgstr),
            msgstr_plural={k: latin_to_cyrillic(v) for k, v in entry.msgstr_plural.items()},
            flags=list(entry.flags),
        ))
    return cyrillic


def extract(root: Path = ROOT) -> None:
    args = [sys.executable, "manage.py", "makemessages", "--no-location", "--no-obsolete"]
    for locale in EXTRACTED:
        args += ["-l", locale]
    for pattern in IGNORED:
        args += ["-i", pattern]
    env = {**os.environ, "DJANGO_DEBUG": "1"}
    subprocess.run(args, cwd=root, check=True, env=env, stdout=subprocess.DEVNULL)


def write_cyrillic(locale_root: Path) -> None:
    latin = locale_root / "uz" / "LC_MESSAGES" / "django.po"
    cyrillic = locale_root / "uz_Cyrl" / "LC_MESSAGES" / "django.po"
    cyrillic.parent.mkdir(parents=True, exist_ok=True)
    cyrillic_catalogue(polib.pofile(str(latin))).save(str(cyrillic))


def without_creation_date(text: str) -> str:
    return "\n".join(line for line in text.splitlines() if "POT-Creation-Date" not in line)


def main() -> None:
    # makemessages stamps every catalogue with the time; keep a catalogue whose strings did
    # not change byte for byte, so parallel branches do not conflict on the stamp.
    before = {po: po.read_text() for root in catalogue_roots()
              for po in root.glob("*/LC_MESSAGES/django.po")}
    extract()
    write_library_catalogues()
    for po, text in before.items():
        if without_creation_date(po.read_text()) == without_creation_date(text):
            po.write_text(text)
    for locale_root in catalogue_roots():
        write_cyrillic(locale_root)
        for po in locale_root.glob("*/LC_MESSAGES/django.po"):
            subprocess.run(["msgfmt", "--check-format", "-o", po.with_suffix(".mo"), po],
                           check=True)
        untranslated = sum(len(polib.pofile(str(locale_root / lang / "LC_MESSAGES/django.po"))
                               .untranslated_entries()) for lang in ("uz", "ru"))
        print(f"{locale_root.relative_to(ROOT)}: {untranslated} strings to translate in uz/ru")


if __name__ == "__main__":
    main()
