"""The starter test catalogue: common tests with reference ranges by sex and age.

Ranges follow the adult and paediatric intervals in common use in laboratories of
Uzbekistan and the CIS (SI units); a laboratory with its own validated intervals edits
them in the admin. Ages are completed months, bands are [from, to); "*" is both sexes.
Critical limits are the values a laboratory telephones to the clinician at once.
"""

from typing import NamedTuple

Y = 12  # months in a year, for readable bands


class Band(NamedTuple):
    sex: str
    age_from: int
    age_to: int | None
    low: str | None
    high: str | None
    critical_low: str | None = None
    critical_high: str | None = None


class TestEntry(NamedTuple):
    code: str
    loinc: str
    specimen: str
    unit: str
    decimal_places: int
    name_uz: str
    name_ru: str
    name_en: str
    bands: list[Band]


CATALOGUE = [
    TestEntry("HGB", "718-7", "whole_blood", "g/L", 0, "Gemoglobin", "Гемоглобин",
              "Haemoglobin", [
                  Band("*", 0, 1, "135", "215", "95", "240"),
                  Band("*", 1, 6, "95", "140", "70", "200"),
                  Band("*", 6, 5 * Y, "110", "140", "70", "200"),
                  Band("*", 5 * Y, 12 * Y, "115", "150", "70", "200"),
                  Band("male", 12 * Y, 18 * Y, "130", "160", "70", "200"),
                  Band("female", 12 * Y, 18 * Y, "120", "150", "70", "200"),
                  Band("male", 18 * Y, None, "130", "170", "70", "200"),
                  Band("female", 18 * Y, None, "120", "150", "70", "200"),
              ]),
    TestEntry("GLU", "1558-6", "plasma", "mmol/L", 1, "Glyukoza (och qoringa)",
              "Глюкоза (натощак)", "Glucose (fasting)", [
                  Band("*", 0, 1, "2.8", "4.4", "2.2", "20.0"),
                  Band("*", 1, 14 * Y, "3.3", "5.6", "2.5", "25.0"),
                  Band("*", 14 * Y, None, "3.9", "6.1", "2.5", "25.0"),
              ]),
    TestEntry("HBA1C", "4548-4", "whole_blood", "%", 1, "Glikirlangan gemoglobin (HbA1c)",
              "Гликированный гемоглобин (HbA1c)", "Glycated haemoglobin (HbA1c)", [
                  Band("*", 0, None, "4.0", "5.6"),
              ]),
    TestEntry("CREA", "2160-0", "serum", "µmol/L", 0, "Kreatinin", "Креатинин", "Creatinine", [
                  Band("*", 0, 1 * Y, "21", "75", None, "300"),
                  Band("*", 1 * Y, 12 * Y, "27", "62", None, "300"),
                  Band("*", 12 * Y, 18 * Y, "44", "88", None, "354"),
                  Band("male", 18 * Y, None, "62", "106", None, "354"),
                  Band("female", 18 * Y, None, "44", "80", None, "354"),
              ]),
    TestEntry("UREA", "22664-7", "serum", "mmol/L", 1, "Mochevina", "Мочевина", "Urea", [
                  Band("*", 1 * Y, 18 * Y, "1.8", "6.4", None, "30.0"),
                  Band("*", 18 * Y, None, "2.5", "8.3", None, "35.0"),
              ]),
    TestEntry("ALT", "1742-6", "serum", "U/L", 0, "Alaninaminotransferaza (ALT)",
              "Аланинаминотрансфераза (АЛТ)", "Alanine aminotransferase (ALT)", [
                  Band("*", 0, 18 * Y, None, "40", None, "1000"),
                  Band("male", 18 * Y, None, None, "41", None, "1000"),
                  Band("female", 18 * Y, None, None, "33", None, "1000"),
              ]),
    TestEntry("AST", "1920-8", "serum", "U/L", 0, "Aspartataminotransferaza (AST)",
              "Аспартатаминотрансфераза (АСТ)", "Aspartate aminotransferase (AST)", [
                  Band("*", 0, 1 * Y, None, "80", None, "1000"),
                  Band("*", 1 * Y, 18 * Y, None, "50", None, "1000"),
                  Band("male", 18 * Y, None, None, "40", None, "1000"),
                  Band("female", 18 * Y, None, None, "32", None, "1000"),
              ]),
    TestEntry("CHOL", "2093-3", "serum", "mmol/L", 2, "Umumiy xolesterin",
              "Общий холестерин", "Total cholesterol", [
                  Band("*", 2 * Y, 18 * Y, None, "4.40"),
                  Band("*", 18 * Y, None, None, "5.20"),
              ]),
    TestEntry("WBC", "6690-2", "whole_blood", "×10⁹/L", 1, "Leykotsitlar", "Лейкоциты",
              "White blood cells", [
                  Band("*", 0, 1, "9.0", "30.0", "5.0", "40.0"),
                  Band("*", 1, 1 * Y, "6.0", "17.5", "2.0", "40.0"),
                  Band("*", 1 * Y, 6 * Y, "5.5", "15.5", "2.0", "30.0"),
                  Band("*", 6 * Y, 18 * Y, "4.5", "13.5", "2.0", "30.0"),
                  Band("*", 18 * Y, None, "4.0", "9.0", "2.0", "30.0"),
              ]),
    TestEntry("PLT", "777-3", "whole_blood", "×10⁹/L", 0, "Trombotsitlar", "Тромбоциты",
              "Platelets", [
                  Band("*", 0, 1, "100", "450", "50", "1000"),
                  Band("*", 1, None, "150", "400", "50", "1000"),
              ]),
    TestEntry("FERR", "2276-4", "serum", "µg/L", 0, "Ferritin", "Ферритин", "Ferritin", [
                  Band("*", 0, 6, "25", "200"),
                  Band("*", 6, 18 * Y, "7", "140"),
                  Band("male", 18 * Y, None, "30", "400"),
                  Band("female", 18 * Y, None, "13", "150"),
              ]),
    TestEntry("TSH", "3016-3", "serum", "mIU/L", 2, "Tireotrop gormon (TTG)",
              "Тиреотропный гормон (ТТГ)", "Thyroid-stimulating hormone (TSH)", [
                  Band("*", 0, 1, "0.70", "15.20"),
                  Band("*", 1, 12 * Y, "0.70", "6.40"),
                  Band("*", 12 * Y, 18 * Y, "0.50", "4.50"),
                  Band("*", 18 * Y, None, "0.40", "4.00"),
              ]),
    TestEntry("CRP", "1988-5", "serum", "mg/L", 1, "C-reaktiv oqsil", "С-реактивный белок",
              "C-reactive protein", [
                  Band("*", 0, None, None, "5.0"),
              ]),
    TestEntry("NA", "2951-2", "serum", "mmol/L", 0, "Natriy", "Натрий", "Sodium", [
                  Band("*", 0, None, "136", "145", "120", "160"),
              ]),
    TestEntry("K", "2823-3", "serum", "mmol/L", 1, "Kaliy", "Калий", "Potassium", [
                  Band("*", 0, 1, "3.7", "5.9", "2.8", "7.0"),
                  Band("*", 1, None, "3.5", "5.1", "2.8", "6.2"),
              ]),
]
