"""The drug registry as CSV: import (admin page, management command, the starter data
migration) and export (admin action, management command). Both stream: an import reads
and writes in chunks, an export yields rows, so a registry of any size stays flat in
memory.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from django.db import transaction
from django.utils.translation import gettext as _

from prescriptions.models import ATC_PATTERN, ControlledClass, DosageForm, Drug, drug_search_text

COLUMNS = ["atc_code", "inn", "trade_names", "dosage_form", "strength", "prescription_only",
           "controlled_class", "reimbursable", "is_active"]
STARTER_REGISTRY = Path(__file__).resolve().parent / "data" / "starter_drugs.csv"
CHUNK = 500
YES, NO = {"yes", "y", "true", "1", "ha"}, {"no", "n", "false", "0", "yo'q", ""}


class RegistryImportError(ValueError):
    """The file has bad rows; nothing was written. `errors` lists them by line."""

    def __init__(self, errors: list[str]):
        super().__init__("\n".join(errors))
        self.errors = errors


@dataclass
class ImportReport:
    created: int = 0
    updated: int = 0
    errors: list[str] = field(default_factory=list)


def _flag(value: str, line: int, column: str, errors: list[str]) -> bool:
    folded = value.strip().lower()
    if folded in YES:
        return True
    if folded not in NO:
        errors.append(_("Line %(line)d: %(column)s must be yes or no.")
                      % {"line": line, "column": column})
    return False


def parse_row(row: dict, line: int, errors: list[str]) -> dict | None:
    """One CSV row as model fields, or None with the problems added to `errors`."""
    before = len(errors)
    missing = [column for column in ("atc_code", "inn", "dosage_form", "strength")
               if not (row.get(column) or "").strip()]
    if missing:
        errors.append(_("Line %(line)d: %(columns)s missing.")
                      % {"line": line, "columns": ", ".join(missing)})
        return None
    atc_code = row["atc_code"].strip().upper()
    if not re.match(ATC_PATTERN, atc_code):
        errors.append(_("Line %(line)d: %(code)s is not a full ATC code such as J01CA04.")
                      % {"line": line, "code": atc_code})
    dosage_form = row["dosage_form"].strip().lower()
    if dosage_form not in DosageForm.values:
        errors.append(_("Line %(line)d: unknown dosage form %(form)s.")
                      % {"line": line, "form": dosage_form})
    controlled = (row.get("controlled_class") or "none").strip().lower()
    if controlled not in ControlledClass.values:
        errors.append(_("Line %(line)d: controlled class must be none, narcotic or "
                        "psychotropic.") % {"line": line})
    values = {
        "atc_code": atc_code,
        "inn": row["inn"].strip()[:200],
        "trade_names": "; ".join(n.strip() for n in (row.get("trade_names") or "").split(";")
                                 if n.strip())[:500],
        "dosage_form": dosage_form,
        "strength": row["strength"].strip()[:64],
        "prescription_only": _flag(row.get("prescription_only") or "yes", line,
                                   "prescription_only", errors),
        "controlled_class": controlled,
        "reimbursable": _flag(row.get("reimbursable") or "no", line, "reimbursable", errors),
        "is_active": _flag(row.get("is_active") or "yes", line, "is_active", errors),
    }
    if len(errors) > before:
        return None
    values["search_text"] = drug_search_text(values["inn"], values["trade_names"])
    return values


def _write_chunk(model, chunk: list[dict], report: ImportReport) -> None:
    keys = [(v["inn"], v["dosage_form"], v["strength"]) for v in chunk]
    existing = {
        (d.inn, d.dosage_form, d.strength): d
        for d in model.objects.filter(inn__in={k[0] for k in keys})
        if (d.inn, d.dosage_form, d.strength) in set(keys)
    }
    new, changed = [], []
    for values in chunk:
        drug = existing.get((values["inn"], values["dosage_form"], values["strength"]))
        if drug is None:
            new.append(model(**values))
        else:
            for name, value in values.items():
                setattr(drug, name, value)
            changed.append(drug)
    model.objects.bulk_create(new)
    if changed:
        model.objects.bulk_update(changed, [*COLUMNS, "search_text"])
    report.created += len(new)
    report.updated += len(changed)


def import_drugs(lines: Iterable[str], *, model=Drug) -> ImportReport:
    """Create or update drugs (matched by INN, form and strength) from CSV text lines.

    All or nothing: any bad row raises RegistryImportError naming every bad line, and
    nothing is written. Migrations pass their historical model.
    """
    reader = csv.DictReader(lines)
    unknown = set(reader.fieldnames or []) - set(COLUMNS)
    if not reader.fieldnames or "inn" not in reader.fieldnames or unknown:
        raise RegistryImportError([_("The first line must name the columns: %(columns)s.")
                                   % {"columns": ", ".join(COLUMNS)}])
    report = ImportReport()
    seen: set[tuple] = set()
    with transaction.atomic():
        chunk: list[dict] = []
        for line, row in enumerate(reader, start=2):
            values = parse_row(row, line, report.errors)
            if values is None:
                continue
            key = (values["inn"], values["dosage_form"], values["strength"])
            if key in seen:
                report.errors.append(_("Line %(line)d: the same drug appears twice.")
                                     % {"line": line})
                continue
            seen.add(key)
            chunk.append(values)
            if len(chunk) >= CHUNK and not report.errors:
                _write_chunk(model, chunk, report)
                chunk = []
        if report.errors:
            raise RegistryImportError(report.errors)  # leaving the block rolls back
        if chunk:
            _write_chunk(model, chunk, report)
    return report


def import_starter_registry(*, model=Drug) -> ImportReport:
    with STARTER_REGISTRY.open(encoding="utf-8", newline="") as rows:
        return import_drugs(rows, model=model)


def _yes_no(value: bool) -> str:
    return "yes" if value else "no"


def export_drugs(drugs=None) -> Iterator[str]:
    """The registry (or the given queryset) as CSV lines, streamed from the database."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)

    def flush() -> str:
        text = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        return text

    writer.writerow(COLUMNS)
    yield flush()
    drugs = Drug.objects.all() if drugs is None else drugs
    for drug in drugs.order_by("pk").iterator(chunk_size=2000):
        writer.writerow([drug.atc_code, drug.inn, drug.trade_names, drug.dosage_form,
                         drug.strength, _yes_no(drug.prescription_only), drug.controlled_class,
                         _yes_no(drug.reimbursable), _yes_no(drug.is_active)])
        yield flush()
