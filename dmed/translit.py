"""Uzbek Latin <-> Uzbek Cyrillic transliteration and a script-folded search key.

People on the portal type names in Uzbek Latin (1995 alphabet, as revised),
Uzbek Cyrillic or Russian Cyrillic, so "Karimov Aziz" and "Каримов Азиз" must be
interchangeable. ``latin_to_cyrillic`` also generates the Uzbek Cyrillic UI
catalogue from the Latin one (scripts/messages.py), which is why format placeholders,
HTML tags, entities and whatever KEEP_LATIN names are left untouched.
"""

import re
import unicodedata
from collections.abc import Iterable

# Every character people use for the o‘/g‘ sign and the tutuq belgisi (ʼ):
# ASCII quote, backtick, acute accent (o´ on many keyboards), curly quotes and
# the two modifier letters the standard prescribes.
APOSTROPHES = "'`´‘’ʻʼ"

_LAT_VOWELS = "aeiou"
_CYR_VOWELS = "аеёиоуыэюяў"

# Single letters, paired position by position.
_LAT_TO_CYR = dict(zip("abdefghijklmnopqrstuvxyz", "абдефгҳижклмнопқрстувхйз", strict=True))
# Not in the Uzbek alphabet: c was ц in the 1993 alphabet, w is read as в.
_LAT_TO_CYR.update(c="ц", w="в")
_LAT_DIGRAPHS = {"sh": "ш", "ch": "ч", "yo": "ё", "yu": "ю", "ya": "я", "ye": "е"}

_CYR_TO_LAT = dict(zip("абвгдежзийклмнопрстуфхыэқҳ", "abvgdejziyklmnoprstufxieqh", strict=True))
_CYR_TO_LAT.update(ё="yo", ц="ts", ч="ch", ш="sh", щ="shch", ю="yu", я="ya")
_CYR_TO_LAT.update(ъ="’", ь="", ў="o‘", ғ="g‘")

# What Uzbek Cyrillic text keeps in Latin, as Uzbek Cyrillic print does: the one list of
# exceptions, used for the UI catalogue (scripts/messages.py) and every text written from
# the Latin at runtime (protocol notes, ICD-10 titles). Matched case-sensitively, so the
# Uzbek word "api" or "Idish" is still transliterated; an Uzbek suffix after a name is
# ("DMEDda" -> "DMEDда").
KEEP_LATIN_NAMES = (
    # Names of systems, formats and protocols.
    "DMED", "MED-ID", "API", "JSON", "CSV", "PDF", "QR", "SMS", "URL", "HTTPS", "HTTP", "IP",
    "ISO", "LOINC", "README", "GET", "POST", "ID", "Retry-After", "Idempotency-Key",
    "YYYY-MM-DD", "COSE", "CBOR", "Base45",
    # Software and web terms in Django's own messages (locale_django).
    "Django", "Python", "LDAP", "Referer", "Referrer-Policy", "no-referrer",
    # Laboratory abbreviations read as international symbols.
    "HbA1c", "EDTA", "HGB", "SpO2",
    # Units of measurement, written in SI/ICSH form on lab reports.
    "mmol/L", "mmol/l", "µmol/L", "μmol/L", "nmol/L", "pmol/L", "mg/dL", "g/dL", "g/L",
    "U/L", "IU/L", "mIU/L", "mU/L", "ng/mL", "pg/mL", "mL", "fL", "mmHg", "mm/h",
    "×10⁹/L", "×10¹²/L",
)
_KEEP_LATIN_PATTERNS = (
    # Codes: ICD-10 (I10, E11.9), ATC (J01CA04), HbA1c-like symbols, key names (Ed25519):
    # Latin letters followed directly by a digit. "KXT-10" (Uzbek for ICD-10) has a hyphen
    # and is Uzbek, so it is transliterated.
    r"(?<![\w-])[A-Za-z]+[0-9][A-Za-z0-9]*(?:\.[A-Za-z0-9]+)*",
    r"(?<![\w-])[A-Z]-[0-9]{3}\b",  # queue ticket numbers
    r"\bX(?:-[A-Z][A-Za-z]*)+",  # HTTP headers (X-DMED-Signature)
    r"(?<![\w/])/?api/[\w/{}.-]*",  # API paths (api/v1/visits)
    # Names from code: with an underscore (get_absolute_url()) or inner capitals
    # (ManagementForm); Uzbek words have neither.
    r"\b[A-Za-z]+_[A-Za-z0-9_]*(?:\(\))?",
    r"\b[A-Z][a-z]+(?:[A-Z][a-z]+)+\b",
    # Words Uzbek spelling cannot hold (c outside "ch", w): trade names and INNs written in
    # their Latin form (Paracetamol, Glucophage, Amoxicillin) and English words.
    r"\b[A-Za-z]*(?:c(?!h)|C(?![Hh])|[wW])[A-Za-z]*",
)

# Spans that must survive transliteration byte for byte.
_PROTECTED = re.compile(
    r"</?[A-Za-z!][^<>]*>"  # HTML tag or comment
    r"|&(?:#\d+|#[xX][0-9A-Fa-f]+|[A-Za-z][A-Za-z0-9]*);"  # HTML entity
    # printf-style; "%%" is matched here too so "%%s" is not read as "%" "%s".
    # No space flag: "50% dan" is prose, not "% d".
    r"|%(?:\([^()]*\))?[#0+\-]*(?:\*|\d+)?(?:\.(?:\*|\d+))?[diouxXeEfFgGcrsa%]"
    r"|\{\{|\}\}|\{[^{}]*\}"  # str.format fields and escaped braces
    r"|(?:https?|ftp)://[^\s<>\"']*|www\.[^\s<>\"']+"  # URLs, or a scheme alone
    r"|[\w.+-]+@[\w-]+(?:\.[\w-]+)+"  # e-mail addresses
    # Code spans, field names of the API (`cursor`); not "o`g`il", where ` is the o‘ sign.
    r"|(?<![A-Za-z])`[A-Za-z_][\w.]+`(?![A-Za-z])"
    # Names before the patterns, so "Idempotency-Key" is kept whole. Longest first, so
    # "mmol/L" is not cut to "mL"; no Latin letter may go before a name.
    + "|(?<![A-Za-z])(?:" + "|".join(re.escape(name) for name in sorted(
        KEEP_LATIN_NAMES, key=len, reverse=True)) + ")(?![A-Z0-9])"
    + "".join(f"|{pattern}" for pattern in _KEEP_LATIN_PATTERNS)
)


def fold_apostrophes(text: str) -> str:
    """Replace every apostrophe variant in APOSTROPHES with ASCII "'"."""
    return re.sub(f"[{APOSTROPHES}]", "'", text)


def _apply_outside_protected(text: str, convert, keep: Iterable[str] = ()) -> str:
    protected = _PROTECTED
    if keep:
        # Names the caller knows stay Latin (a protocol's medicines: Metformin), first; an
        # Uzbek suffix after one is Uzbek, as after KEEP_LATIN_NAMES ("Metforminni").
        names = sorted({name for name in keep if name}, key=len, reverse=True)
        protected = re.compile(
            "(?<![A-Za-z])(?:" + "|".join(re.escape(name) for name in names) + ")|"
            + _PROTECTED.pattern)
    parts = []
    pos = 0
    for match in protected.finditer(text):
        parts.append(convert(text[pos : match.start()]))
        parts.append(match.group())
        pos = match.end()
    parts.append(convert(text[pos:]))
    return "".join(parts)


def _lat_to_cyr(s: str) -> str:
    out = []
    i, n = 0, len(s)
    while i < n:
        ch = s[i]
        low = ch.lower()
        nxt = s[i + 1] if i + 1 < n else ""
        prev = s[i - 1] if i else ""
        at_word_start = not prev.isalpha()
        after_vowel = prev != "" and prev.lower() in _LAT_VOWELS
        pair = low + nxt.lower()
        step = 1
        if low in "og" and nxt and nxt in APOSTROPHES:
            res, step = ("ў" if low == "o" else "ғ"), 2
        elif (
            pair in _LAT_DIGRAPHS
            # "yo‘l" is й+ў, not ё+‘.
            and not (pair == "yo" and i + 2 < n and s[i + 2] in APOSTROPHES)
            # Cyrillic е after a consonant has no y sound, so "ye" there is й+е.
            and not (pair == "ye" and not (at_word_start or after_vowel))
        ):
            res, step = _LAT_DIGRAPHS[pair], 2
        elif low == "e":
            # Cyrillic е after a vowel or at word start reads "ye", so a bare e there is э.
            res = "э" if at_word_start or after_vowel else "е"
        elif ch in APOSTROPHES:
            if prev.isalpha() and nxt.isalpha():
                # "Is'hoq": the apostrophe only says s+h is not ш, Cyrillic needs no mark.
                res = "" if prev.lower() == "s" and nxt.lower() == "h" else "ъ"
                if prev.isupper() and nxt.isupper():
                    res = res.upper()  # MA'NO -> МАЪНО
            else:
                res = ch  # a quotation mark, not a tutuq belgisi
        else:
            res = _LAT_TO_CYR.get(low, ch)
        out.append(res.upper() if ch.isupper() else res)
        i += step
    return "".join(out)


def _cyr_to_lat(s: str) -> str:
    out = []
    n = len(s)
    for i, ch in enumerate(s):
        low = ch.lower()
        if low not in _CYR_TO_LAT:
            out.append(ch)
            continue
        prev = s[i - 1] if i else ""
        nxt = s[i + 1] if i + 1 < n else ""
        res = _CYR_TO_LAT[low]
        if low == "е" and (not prev.isalpha() or prev.lower() in _CYR_VOWELS + "ъь"):
            res = "ye"
        elif low == "с" and nxt.lower() == "ҳ":
            res = "s’"  # Is’hoq: keeps с+ҳ from reading back as ш
        if ch.isupper() and res:
            # "Ш" -> "Sh" in "Шоҳруҳ" but "SH" in "ШОҲРУҲ" or "ТОШ".
            all_caps = nxt.isupper() or (not nxt.isalpha() and prev.isupper())
            res = res.upper() if all_caps else res[0].upper() + res[1:]
        out.append(res)
    return "".join(out)


def latin_to_cyrillic(text: str, keep: Iterable[str] = ()) -> str:
    """Uzbek Latin to Uzbek Cyrillic, keeping case and leaving placeholders/HTML alone.

    `keep`: more names that stay Latin besides KEEP_LATIN_NAMES, those only the caller
    knows, such as the medicines a clinical protocol names by their INN (Metformin, which
    Uzbek spelling could hold, so no pattern tells it from an Uzbek word)."""
    return _apply_outside_protected(unicodedata.normalize("NFC", text), _lat_to_cyr, keep)


def cyrillic_to_latin(text: str) -> str:
    """Uzbek/Russian Cyrillic to Uzbek Latin (o‘/g‘ with U+2018, tutuq with U+2019)."""
    return _apply_outside_protected(unicodedata.normalize("NFC", text), _cyr_to_lat)


_YEV_ENDING = re.compile(r"(?<=[aeiou])yev(?=(?:a|na|ich)?\b)")


def search_key(text: str) -> str:
    """Script-folded key: the same name in either script or spelling gives one key.

    Why each fold exists:
    - Cyrillic goes to Latin first so both scripts meet in one alphabet.
    - Apostrophes are unified before NFKD, because NFKD turns the acute accent
      (o´) into a space plus a combining mark; then they are dropped, since
      o‘/g‘ vs o/g and the tutuq are routinely omitted when typing.
    - NFKD without combining marks absorbs stray accents (Azíz, Karímov).
    - x -> h: Russian has no ҳ, so ҳ is written х (Шохрух), and Latin users
      mix Shoxruh/Shohruh the same way.
    - q -> k: Russian spellings have no қ (Кодиров vs Қодиров/Qodirov).
    - "yev" after a vowel -> "ev" in -ev/-eva/-evna/-evich: Russian passports
      write Aliev/Alieva, Uzbek Latin writes Aliyev/Aliyeva.
    - Doubled letters collapse: Muhammad/Muhamad, Hasan/Hassan.
    - Word-final "iy" -> "i": Aliy/Али, -skiy/-ski.
    - Anything but [a-z0-9] becomes a word break, so hyphens and punctuation
      never block a match.
    """
    s = fold_apostrophes(_cyr_to_lat(unicodedata.normalize("NFC", text)))
    s = s.replace("'", "").lower()
    s = "".join(c for c in unicodedata.normalize("NFKD", s) if not unicodedata.combining(c))
    s = s.replace("x", "h").replace("q", "k")
    s = re.sub(r"[^a-z0-9]+", " ", s)
    s = _YEV_ENDING.sub("ev", s)
    s = re.sub(r"([a-z])\1+", r"\1", s)
    s = re.sub(r"iy\b", "i", s)
    return " ".join(s.split())


def in_language(texts: dict, language: str | None = None, keep: Iterable[str] = ()) -> str:
    """A text kept per language ({"uz": …, "ru": …, "en": …}) in the reader's language.

    Uzbek Cyrillic is never stored: it is written from the Latin (`keep` as in
    latin_to_cyrillic), so translators keep one Uzbek. A language without a text falls
    back to Uzbek, the portal's default.
    """
    from django.conf import settings
    from django.utils.translation import get_language

    language = language or get_language() or settings.LANGUAGE_CODE
    if language == "uz-cyrl":
        return latin_to_cyrillic(texts.get("uz") or "", keep)
    return texts.get(language) or texts.get("uz") or ""
