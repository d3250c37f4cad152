"""Reads of the ICD-10 catalogue (reference data: no patient in it, so no audit)."""

from __future__ import annotations

import re

from django.db.models.functions import Length

from clinics.coding.models import ClinicalProtocol, Icd10Code
from clinics.labs.models import LabTest
from dmed.translit import search_key

SEARCH_LIMIT = 20
# "I10", "e11", "E11.", "E11.9", "e119": someone typing a code.
_CODE_LIKE = re.compile(r"^[A-Za-z][0-9]{1,2}(\.?[0-9A-Za-z]{0,2})?$")


def _as_code_prefix(query: str) -> str:
    compact = query.replace(".", "").upper()
    return compact if len(compact) <= 3 else f"{compact[:3]}.{compact[3:]}"


def search_icd10(query: str, *, limit: int = SEARCH_LIMIT) -> list[Icd10Code]:
    """Codes by prefix when the query looks like a code, else titles holding every word.

    The prefix runs on a varchar_pattern_ops b-tree, the words on a trigram GIN index
    over the folded titles (any script), so both stay fast on the whole catalogue.
    Shorter (broader) codes first, so "diabetes" offers E11 before E11.9.
    """
    query = query.strip()
    if not query:
        return []
    codes = Icd10Code.objects.order_by("code")
    if _CODE_LIKE.match(query):
        return list(codes.filter(code__startswith=_as_code_prefix(query))[:limit])
    words = search_key(query).split()
    if not words:
        return []
    for word in words:
        codes = codes.filter(search_text__contains=word)
    return list(codes.order_by(Length("code"), "code")[:limit])


def protocols_for(code: str) -> list:
    """Active protocols for a diagnosis: those of its code or of its category (E11 for E11.9),
    each with `suggested_tests`: its lab tests as the catalogue has them (an unknown or
    withdrawn code is left out), in two queries whatever the number of protocols."""
    code = code.strip().upper()
    candidates = {code, code.split(".")[0]}
    protocols = list(ClinicalProtocol.objects.filter(is_active=True,
                                                     diagnoses__code__in=candidates)
                     .distinct().prefetch_related("diagnoses"))
    codes = {test_code for protocol in protocols for test_code in protocol.lab_tests}
    tests = LabTest.objects.filter(is_active=True).in_bulk(codes, field_name="code")
    for protocol in protocols:
        protocol.suggested_tests = [tests[c] for c in protocol.lab_tests if c in tests]
    return protocols


def icd10_title(code: str) -> str | None:
    """The catalogue's title of a code in the reader's language, None if no such code: the
    hook (settings.ICD10_TITLE) by which the card's problem list checks what is typed."""
    found = Icd10Code.objects.filter(code=code.strip().upper()).first()
    return found.title if found else None


def icd10_titles(codes) -> dict[str, str]:
    """Code → title in the reader's language for many codes in one query: the hook
    (settings.ICD10_TITLES) by which a problem list names conditions."""
    return {found.code: found.title for found in Icd10Code.objects.filter(code__in=codes)}
