"""Loading the starter test catalogue (migration and seed_demo). Safe to run again."""

from decimal import Decimal

from clinics.labs.catalogue_data import CATALOGUE
from clinics.labs.models import LabTest, RangeSex, ReferenceRange


def _decimal(text: str | None) -> Decimal | None:
    return None if text is None else Decimal(text)


def load_lab_catalogue(*, test_model=LabTest, range_model=ReferenceRange) -> None:
    """Create or refresh the starter tests; ranges are written only for a test that has none,
    so a laboratory's own edits in the admin survive. Migrations pass historical models."""
    for entry in CATALOGUE:
        test, _created = test_model.objects.update_or_create(
            code=entry.code,
            defaults={"loinc": entry.loinc, "specimen": entry.specimen, "unit": entry.unit,
                      "decimal_places": entry.decimal_places, "name_uz": entry.name_uz,
                      "name_ru": entry.name_ru, "name_en": entry.name_en},
        )
        if range_model.objects.filter(test=test).exists():
            continue
        range_model.objects.bulk_create([
            range_model(test=test, sex=sex, age_from_months=band.age_from,
                        age_to_months=band.age_to, low=_decimal(band.low),
                        high=_decimal(band.high), critical_low=_decimal(band.critical_low),
                        critical_high=_decimal(band.critical_high))
            for band in entry.bands
            for sex in ((RangeSex.MALE, RangeSex.FEMALE) if band.sex == "*" else (band.sex,))
        ])
