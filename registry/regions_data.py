# Source: uzinfocom-org/digital-health-ig (UZ Core FHIR IG): StateCS (SOATO region codes),
# SSVAdministrativeTerritoryCS + SSVAdministrativeTerritoryToRegionsCM (SSV codes -> SOATO).
"""Administrative divisions of Uzbekistan for the clinics registry.

Pure data, no Django imports.

* ``code``    -- SOATO (MHOBT) code, as a string: 4 digits for a region,
  7 digits for a district (``<region code><3 digits>``; the 5th digit is
  ``2`` for a tuman/district and ``4`` for a district-level city).
* ``ig_code`` -- code of the same unit in the national IG's
  ``SSVAdministrativeTerritoryCS`` (e.g. ``UZ-TK``, ``TK-294``).
* ``name_uz`` -- official Uzbek Latin spelling, with U+2018 in o‘ / g‘.

DISTRICTS covers all 12 districts of Tashkent city and all 14 districts
plus the 2 district-level cities of Samarkand region.
"""

from typing import NamedTuple


class Region(NamedTuple):
    code: str
    name_uz: str
    name_ru: str
    name_en: str
    ig_code: str


class District(NamedTuple):
    code: str
    region: str  # parent Region.code
    name_uz: str
    name_ru: str
    name_en: str
    ig_code: str


REGIONS: tuple[Region, ...] = (
    # code,  name_uz,                          name_ru,                     name_en,                     ig_code
    Region("1735", "Qoraqalpog‘iston Respublikasi", "Республика Каракалпакстан", "Republic of Karakalpakstan", "UZ-QR"),
    Region("1703", "Andijon viloyati", "Андижанская область", "Andijan Region", "UZ-AN"),
    Region("1706", "Buxoro viloyati", "Бухарская область", "Bukhara Region", "UZ-BU"),
    Region("1708", "Jizzax viloyati", "Джизакская область", "Jizzakh Region", "UZ-JI"),
    Region("1710", "Qashqadaryo viloyati", "Кашкадарьинская область", "Kashkadarya Region", "UZ-QA"),
    Region("1712", "Navoiy viloyati", "Навоийская область", "Navoiy Region", "UZ-NW"),
    Region("1714", "Namangan viloyati", "Наманганская область", "Namangan Region", "UZ-NG"),
    Region("1718", "Samarqand viloyati", "Самаркандская область", "Samarkand Region", "UZ-SA"),
    Region("1722", "Surxondaryo viloyati", "Сурхандарьинская область", "Surkhandarya Region", "UZ-SU"),
    Region("1724", "Sirdaryo viloyati", "Сырдарьинская область", "Syrdarya Region", "UZ-SI"),
    Region("1727", "Toshkent viloyati", "Ташкентская область", "Tashkent Region", "UZ-TO"),
    Region("1730", "Farg‘ona viloyati", "Ферганская область", "Fergana Region", "UZ-FA"),
    Region("1733", "Xorazm viloyati", "Хорезмская область", "Khorezm Region", "UZ-XO"),
    Region("1726", "Toshkent shahri", "город Ташкент", "Tashkent City", "UZ-TK"),
)


DISTRICTS: tuple[District, ...] = (
    # --- Tashkent city (1726) ---
    District("1726262", "1726", "Uchtepa tumani", "Учтепинский район", "Uchtepa District", "TK-262"),
    District("1726264", "1726", "Bektemir tumani", "Бектемирский район", "Bektemir District", "TK-264"),
    District("1726266", "1726", "Yunusobod tumani", "Юнусабадский район", "Yunusabad District", "TK-266"),
    District("1726269", "1726", "Mirzo Ulug‘bek tumani", "Мирзо-Улугбекский район", "Mirzo Ulugbek District", "TK-269"),
    District("1726273", "1726", "Mirobod tumani", "Мирабадский район", "Mirabad District", "TK-273"),
    District("1726277", "1726", "Shayxontohur tumani", "Шайхантахурский район", "Shaykhantakhur District", "TK-277"),
    District("1726280", "1726", "Olmazor tumani", "Алмазарский район", "Almazar District", "TK-280"),
    District("1726283", "1726", "Sergeli tumani", "Сергелийский район", "Sergeli District", "TK-283"),
    District("1726287", "1726", "Yakkasaroy tumani", "Яккасарайский район", "Yakkasaray District", "TK-287"),
    District("1726290", "1726", "Yashnobod tumani", "Яшнабадский район", "Yashnabad District", "TK-290"),
    District("1726292", "1726", "Yangihayot tumani", "Янгихаётский район", "Yangihayot District", "TK-292"),
    District("1726294", "1726", "Chilonzor tumani", "Чиланзарский район", "Chilanzar District", "TK-294"),
    # --- Samarkand region (1718): 14 districts ---
    District("1718203", "1718", "Oqdaryo tumani", "Акдарьинский район", "Akdarya District", "SA-203"),
    District("1718206", "1718", "Bulung‘ur tumani", "Булунгурский район", "Bulungur District", "SA-206"),
    District("1718209", "1718", "Jomboy tumani", "Джамбайский район", "Jambay District", "SA-209"),
    District("1718212", "1718", "Ishtixon tumani", "Иштыханский район", "Ishtikhan District", "SA-212"),
    District("1718215", "1718", "Kattaqo‘rg‘on tumani", "Каттакурганский район", "Kattakurgan District", "SA-215"),
    District("1718216", "1718", "Qo‘shrabot tumani", "Кошрабадский район", "Koshrabad District", "SA-216"),
    District("1718218", "1718", "Narpay tumani", "Нарпайский район", "Narpay District", "SA-218"),
    District("1718224", "1718", "Payariq tumani", "Пайарыкский район", "Payariq District", "SA-224"),
    District("1718227", "1718", "Pastdarg‘om tumani", "Пастдаргомский район", "Pastdargom District", "SA-227"),
    District("1718230", "1718", "Paxtachi tumani", "Пахтачийский район", "Pakhtachi District", "SA-230"),
    District("1718233", "1718", "Samarqand tumani", "Самаркандский район", "Samarkand District", "SA-233"),
    District("1718235", "1718", "Nurobod tumani", "Нурабадский район", "Nurabad District", "SA-235"),
    District("1718236", "1718", "Urgut tumani", "Ургутский район", "Urgut District", "SA-236"),
    District("1718238", "1718", "Tayloq tumani", "Тайлакский район", "Tayloq District", "SA-238"),
    # --- Samarkand region (1718): district-level cities ---
    District("1718401", "1718", "Samarqand shahri", "город Самарканд", "Samarkand City", "SA-401"),
    District("1718406", "1718", "Kattaqo‘rg‘on shahri", "город Каттакурган", "Kattakurgan City", "SA-406"),
)
