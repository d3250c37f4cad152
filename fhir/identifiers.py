"""Identifier systems of the national UZ Core guide: the one table the FHIR interface reads.

The draft guide still renames its systems (shared/uz-core/README.md): the newest names
are `https://dhp.uz/fhir/core/sid/{pid|pro|org}/{country}/{type}[/subtype]`; version 0.3.0,
whose sources and example instances we keep, used older ones. Each row names the system we
write and the older names we still recognise when a client searches with them or when the
guide's examples are read. A rename is one edit here.
"""

from __future__ import annotations

from dataclasses import dataclass

V2_0203 = "http://terminology.hl7.org/CodeSystem/v2-0203"
BASE = "https://dhp.uz/fhir/core/sid"


@dataclass(frozen=True)
class IdentifierSystem:
    key: str            # how the code names it
    system: str         # what we write (the newest guide)
    type_code: str      # v2-0203 identifier type; "" where the guide gives none
    type_display: str
    use: str = "official"
    previous: tuple[str, ...] = ()  # older names (guide 0.3.0), still recognised
    in_guide: bool = True  # False: the guide defines none yet; ours follows its pattern

    def as_fhir(self, value: str) -> dict:
        identifier = {"use": self.use, "system": self.system, "value": value}
        if self.type_code:
            identifier["type"] = {"coding": [{"system": V2_0203, "code": self.type_code,
                                              "display": self.type_display}]}
        return identifier

    def names(self) -> tuple[str, ...]:
        return (self.system, *self.previous)


def _row(key, path, type_code="", type_display="", previous="", in_guide=True):
    return IdentifierSystem(key, f"{BASE}/{path}", type_code, type_display,
                            previous=(previous,) if previous else (), in_guide=in_guide)


# key, path under BASE, v2-0203 type and display, the guide 0.3.0 name. An Uzbek passport
# or ID card: the guide's "local passport" slice covers both. The MED-ID is the national
# health card number. Guide 0.3.0 put the Argos number in the practitioner's nationalId
# slice. The State Health Insurance Fund's contract code: the guide names no system for it
# yet, so ours follows the guide's pattern until it does.
PINFL, PASSPORT_LOCAL, PASSPORT_INTERNATIONAL, HEALTH_CARD, ARGOS, TAX_ID, SHIF = SYSTEMS = (
    _row("pinfl", "pid/uz/ni", "NI", "National unique individual identifier",
         "https://dpm.uz/identifier/national-unique-id"),
    _row("passport_local", "pid/uz/ppn/local", "PPN", "Passport number",
         "https://dpm.uz/identifier/passport-local"),
    _row("passport_international", "pid/uz/ppn/intl", "PPN", "Passport number",
         "https://dpm.uz/identifier/passport-international"),
    _row("health_card", "pid/uz/hc", "HC", "Health card number",
         "https://gov.uz/ssv/identifier/healthcard"),
    _row("argos", "pro/uz/argos", previous="https://hrm.argos.uz"),
    _row("tax_id", "org/uz/soliq", "TAX", "Tax ID number", "https://soliq.uz"),
    _row("shif", "org/uz/shif", in_guide=False),
)
_BY_NAME = {name: row for row in SYSTEMS for name in row.names()}
FOREIGN_PASSPORT_PATTERN = f"{BASE}/pid/{{country}}/ppn"


def foreign_passport(country: str) -> str:
    """A foreign passport's system: `…/pid/{iso country}/ppn`, the country in lower case."""
    return FOREIGN_PASSPORT_PATTERN.format(country=country.lower())


def foreign_passport_country(system: str) -> str | None:
    """The ISO country of a foreign passport system (upper case), else None."""
    prefix, _, rest = system.partition(f"{BASE}/pid/")
    if prefix or not rest.endswith("/ppn"):
        return None
    country = rest.removesuffix("/ppn")
    return country.upper() if len(country) == 2 and country.isalpha() else None


def system_named(system: str) -> IdentifierSystem | None:
    """The table's row for a system URI, newest or older name; None when unknown."""
    return _BY_NAME.get(system)
