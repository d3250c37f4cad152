"""Which allergies on a card a drug may trigger, for the warning shown before signing.

A recorded allergy is free text ("Penicillin", "Пенициллин", "Analgin", "J01C"). It
matches a drug when, script-folded, it names the drug's substance or one of its trade
names, names the drug's ATC group (the groups below are those allergies are usually
recorded by), is an ATC code the drug's code starts with, or names another registry
drug of the same chemical subgroup (ATC level 4: cross-reactivity, e.g. ampicillin for
an amoxicillin allergy).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from dmed.translit import search_key
from prescriptions.models import Drug

ATC_PREFIX = re.compile(r"^[A-Z][0-9]{2}([A-Z]([A-Z]([0-9]{2})?)?)?$")
MIN_TERM = 4

# ATC group → (name shown, names an allergy may be recorded under, in any script).
ATC_GROUPS: dict[str, tuple[Promise, tuple[str, ...]]] = {
    "J01C": (_("penicillins"), ("penicillin", "penicillins", "пенициллин", "penitsillin")),
    "J01D": (_("cephalosporins"), ("cephalosporin", "цефалоспорин", "sefalosporin")),
    "J01F": (_("macrolides"), ("macrolide", "макролид", "makrolid")),
    "J01M": (_("fluoroquinolones"), ("fluoroquinolone", "quinolone", "фторхинолон",
                                     "ftorxinolon")),
    "J01A": (_("tetracyclines"), ("tetracycline", "тетрациклин", "tetratsiklin")),
    "J01E": (_("sulfonamides"), ("sulfonamide", "sulfa", "сульфаниламид", "sulfanilamid")),
    "M01A": (_("non-steroidal anti-inflammatory drugs"), ("nsaid", "nsaids", "нпвс", "нпвп")),
    "N02BB": (_("pyrazolones"), ("pyrazolone", "пиразолон", "pirazolon")),
    "N02A": (_("opioids"), ("opioid", "opiate", "опиоид", "опиат")),
    "C09A": (_("ACE inhibitors"), ("ace inhibitor", "ингибитор апф", "apf ingibitori")),
    "N05BA": (_("benzodiazepines"), ("benzodiazepine", "бензодиазепин", "benzodiazepin")),
    "A10A": (_("insulins"), ("insulin", "инсулин")),
}
_FOLDED_GROUPS = {code: {search_key(name) for name in names}
                  for code, (_label, names) in ATC_GROUPS.items()}


def allergen_groups() -> list[tuple[str, str]]:
    """The ATC groups a clinician picks a group allergy from: (code, name)."""
    return [(code, str(label)) for code, (label, _aliases) in ATC_GROUPS.items()]


def resolve_allergen(kind: str, text: str) -> tuple[str, str]:
    """What a clinician typed as a drug allergen, as the card records it: (substance,
    ATC code). A medicine must be an INN of the registry, a group one of ATC_GROUPS (by
    code or name, any script) or an ATC code some registry drug falls under. The hook
    patients.services calls (settings.ALLERGEN_RESOLVER); other allergens pass as typed.
    """
    text = text.strip()
    if kind == "drug":
        folded = search_key(text)
        drug = (Drug.objects.filter(Q(inn__iexact=text) | Q(search_text__startswith=folded))
                .order_by("inn").first() if folded else None)
        if drug is None or search_key(drug.inn) != folded:
            raise ValidationError({"substance": [_(
                "No medicine of the registry has this international name; pick one from the "
                "list, or record a group or another allergen.")]})
        return drug.inn, drug.atc_code
    if kind == "drug_group":
        code = text.upper()
        folded = search_key(text)
        for group_code, (label, _aliases) in ATC_GROUPS.items():
            if code == group_code or folded in _FOLDED_GROUPS[group_code] or (
                    folded == search_key(str(label))):
                return str(label), group_code
        if ATC_PREFIX.match(code) and Drug.objects.filter(atc_code__startswith=code).exists():
            return code, code
        raise ValidationError({"substance": [_(
            "Name a group of medicines from the list, or its ATC code (e.g. J01C).")]})
    return text, ""


@dataclass(frozen=True)
class AllergyWarning:
    line: int
    drug: str
    substance: str
    severity: str
    why: str


def _names(drug) -> list[str]:
    return [name.strip() for name in drug.search_text.split("|") if name.strip()]


def _names_match(term: str, names: list[str]) -> bool:
    return any(term == name or (len(term) >= MIN_TERM and (term in name or name in term))
               for name in names)


def allergy_warnings(allergies, lines: list[tuple[int, object]], registry) -> list[AllergyWarning]:
    """Warnings for (line, drug) pairs; `registry` is a Drug queryset for cross-matches.

    One query at most (the cross-reactivity lookup), whatever the number of lines.
    """
    if not allergies or not lines:
        return []
    terms = [(allergy, search_key(allergy.substance)) for allergy in allergies]
    related_groups: dict[str, set[str]] = {}
    name_terms = [term for _allergy, term in terms if len(term) >= MIN_TERM]
    if name_terms:
        condition = Q()
        for term in name_terms:
            condition |= Q(search_text__contains=term)
        for atc_code, search_text in registry.filter(condition).values_list("atc_code",
                                                                            "search_text"):
            for _allergy, term in terms:
                if _names_match(term, [n.strip() for n in search_text.split("|")]):
                    related_groups.setdefault(term, set()).add(atc_code[:5])
    warnings = []
    for line, drug in lines:
        names = _names(drug)
        for allergy, term in terms:
            why = None
            if _names_match(term, names):
                why = _("the same substance")
            elif allergy.atc_code and drug.atc_code.startswith(allergy.atc_code):
                why = _("ATC group %(code)s") % {"code": allergy.atc_code}
            elif ATC_PREFIX.match(allergy.substance.strip().upper()) and drug.atc_code.startswith(
                    allergy.substance.strip().upper()):
                why = _("ATC group %(code)s") % {"code": allergy.substance.strip().upper()}
            else:
                for code, folded in _FOLDED_GROUPS.items():
                    if drug.atc_code.startswith(code) and term in folded:
                        why = _("the group of %(group)s (%(code)s)") % {
                            "group": ATC_GROUPS[code][0], "code": code}
                        break
                else:
                    if drug.atc_code[:5] in related_groups.get(term, ()):
                        why = _("a related substance of the same group (%(code)s)") % {
                            "code": drug.atc_code[:5]}
            if why is not None:
                warnings.append(AllergyWarning(line=line, drug=str(drug),
                                               substance=allergy.substance,
                                               severity=allergy.get_severity_display(),
                                               why=str(why)))
    return warnings
