"""Refresh every message catalogue: extract, transliterate Uzbek Cyrillic, compile.

Catalogues live in `locale/` (project pages, dmed, clinics registries, patients) and in
`<app>/locale/` for apps that keep their own, so work on different apps never edits the
same .po file. makemessages puts a string into the nearest `locale/` above its file, so
an app's templates belong in `<app>/templates/<app>/`.

Uzbek has one language in two scripts: translators keep `uz`; `uz_Cyrl` is written from
it here. Run `python scripts/messages.py`, fill the empty `msgstr` of `uz` and `ru`,
then run it again (it keeps translations and recompiles).
"""

import os
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


def catalogue_roots(root: Path = ROOT) -> list[Path]:
    """The project catalogue first, then each app's own."""
    return [root / "locale", *sorted(p for p in root.glob("*/locale") if p.is_dir())]


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
