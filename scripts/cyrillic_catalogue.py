"""Write the Uzbek Cyrillic catalogue from the Uzbek Latin one, by transliteration.

Uzbek has one language in two scripts, so translators keep only locale/uz; run this
after editing it, then `manage.py compilemessages`.
"""

import sys
from pathlib import Path

import polib

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from dmed.translit import latin_to_cyrillic  # noqa: E402

LATIN = ROOT / "locale" / "uz" / "LC_MESSAGES" / "django.po"
CYRILLIC = ROOT / "locale" / "uz_Cyrl" / "LC_MESSAGES" / "django.po"


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


def main() -> None:
    CYRILLIC.parent.mkdir(parents=True, exist_ok=True)
    cyrillic_catalogue(polib.pofile(str(LATIN))).save(str(CYRILLIC))
    print(f"wrote {CYRILLIC.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
