from registry.models import District, Region
from registry.regions_data import DISTRICTS, REGIONS


def load_administrative_divisions(*, region_model=Region, district_model=District) -> None:
    """Create or refresh the regions and districts of Uzbekistan. Safe to run again.

    Migrations pass their historical models; everything else uses the current ones.
    """
    for region in REGIONS:
        region_model.objects.update_or_create(
            code=region.code,
            defaults={"name_uz": region.name_uz, "name_ru": region.name_ru,
                      "name_en": region.name_en, "ig_code": region.ig_code},
        )
    region_ids = dict(region_model.objects.values_list("code", "id"))
    for district in DISTRICTS:
        district_model.objects.update_or_create(
            code=district.code,
            defaults={"region_id": region_ids[district.region], "name_uz": district.name_uz,
                      "name_ru": district.name_ru, "name_en": district.name_en,
                      "ig_code": district.ig_code},
        )
