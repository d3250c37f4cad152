"""The starting catalogues of mother-and-child care, loaded by migrations (and again by
tests after a flush). Administrators edit them in the admin from then on; loading never
overwrites a row that exists.

Antenatal schedule: the WHO eight-contact model, "WHO recommendations on antenatal care
for a positive pregnancy experience" (2016): a first contact up to 12 weeks, then at 20,
26, 30, 34, 36, 38 and 40 weeks. Each window here ends at that week and opens a little
before it, so a contact a few days early still counts.

AEFI symptoms: the events WHO's AEFI reporting form asks about (WHO, "Global manual on
surveillance of adverse events following immunization", 2016), in Uzbek; "other" for
the rest, described in words.

Immunisation calendar: Uzbekistan's national calendar of preventive vaccinations (the
Ministry of Health's calendar, with rotavirus added in 2014, pneumococcal conjugate in
2015, inactivated polio in 2018 and HPV for girls in 2019). Checked against the
Ministry's table "Календарь профилактических прививок в Республике Узбекистан" as
published at
http://hozir.org/pars_docs/refs/654/653933/hozir.org/pdfview/vozrast-naimenovanie-privivok.html
(ages: HepB 1st day; BCG days 2-5; OPV, rotavirus, pentavalent and pneumococcal at 2 and
3 months; OPV, rotavirus, pentavalent and IPV at 4 months; MMR and pneumococcal at 12
months; OPV and DTP at 16 months; MMR at 6 years; OPV and Td at 7 years; HPV at 9-13
years; Td at 16 years). Migration 0007 brought an earlier load in line with it: no OPV
birth dose (the first OPV is at 2 months, the fifth at 7 years), a third rotavirus dose
at 4 months, HPV up to 13 years. Minimum intervals and latest ages are not in that table
and stay as they were (28 days between doses of a primary series). IPV's year: UNICEF
Uzbekistan, "Immunization in Uzbekistan", 30 April 2018. No order of the Ministry itself
was found to cite; check against its current order when it changes, and edit the
calendar in the admin.
"""

from __future__ import annotations


def months(count: int) -> int:
    return round(count * 30.44)


def years(count: int) -> int:
    return round(count * 365.25)


# (code, name in Uzbek, level)
RISK_FACTORS = [
    ("age-under-18", "Yoshi 18 dan kichik", "medium"),
    ("age-35-plus", "Yoshi 35 va undan katta", "medium"),
    ("previous-caesarean", "Avvalgi tug‘ruq kesarcha kesish bilan", "high"),
    ("anaemia", "Kamqonlik (anemiya)", "medium"),
    ("hypertension", "Arterial gipertenziya", "high"),
    ("diabetes", "Qandli diabet", "high"),
    ("pre-eclampsia-before", "Avvalgi homiladorlikda preeklampsiya", "high"),
    ("multiple-pregnancy", "Ko‘p homilali homiladorlik", "high"),
    ("stillbirth-before", "Avval o‘lik tug‘ilgan bola", "high"),
    ("grand-multiparity", "Besh va undan ortiq tug‘ruq", "medium"),
    ("rh-negative", "Rezus-manfiy qon", "medium"),
    ("heart-disease", "Yurak kasalligi", "high"),
    ("kidney-disease", "Buyrak kasalligi", "medium"),
    ("thyroid-disease", "Qalqonsimon bez kasalligi", "medium"),
]

# Risk factors the registration adds by itself from the mother's age.
AGE_UNDER_18, AGE_35_PLUS = "age-under-18", "age-35-plus"

# (number, from week, to week, what it includes)
ANTENATAL_CONTACTS = [
    (1, 0, 12, "Anamnez, qon bosimi, vazn va bo‘y, umumiy qon va siydik tahlili, qon guruhi "
               "va rezus, OIV, sifilis, gepatit B; UTT (24 haftagacha)"),
    (2, 18, 20, "Qon bosimi, vazn, bachadon tubi balandligi, homila yurak urishi, siydikda "
                "oqsil"),
    (3, 24, 26, "Qon bosimi, vazn, bachadon tubi, homila yurak urishi, gemoglobin, glyukoza"),
    (4, 28, 30, "Qon bosimi, vazn, bachadon tubi, homila yurak urishi, siydikda oqsil"),
    (5, 32, 34, "Qon bosimi, vazn, bachadon tubi, homila holati, gemoglobin"),
    (6, 35, 36, "Qon bosimi, vazn, homila holati, tug‘ruq rejasi"),
    (7, 37, 38, "Qon bosimi, vazn, homila holati, siydikda oqsil"),
    (8, 39, 40, "Qon bosimi, vazn, homila holati; 41 haftada tug‘ruqxonaga yo‘llanma"),
]

# Vaccines: (code, name)
VACCINES = [
    ("hepb", "Gepatit B (tug‘ilganda)"),
    ("bcg", "BCG (sil)"),
    ("opv", "OPV (og‘iz orqali poliomielit)"),
    ("ipv", "IPV (inaktivlangan poliomielit)"),
    ("penta", "Pentavalent (KDS-GepB-Hib)"),
    ("rota", "Rotavirus"),
    ("pcv", "Pnevmokokk (PCV)"),
    ("dtp", "KDS (buster)"),
    ("mmr", "QQP (qizamiq, qizilcha, parotit)"),
    ("td", "ADS-M (difteriya, qoqshol)"),
    ("hpv", "Inson papillomavirusi (HPV)"),
]

# Doses: (vaccine, number, age in days, minimum interval since the previous dose of the
# series in days, latest age in days or None, only for a sex or "")
CALENDAR = [
    # The birth dose is given in the first 24 hours; later, the pentavalent series covers.
    ("hepb", 1, 0, 0, 1, ""),
    # Older children are tuberculin-tested before BCG, outside this calendar.
    ("bcg", 1, 2, 0, years(1), ""),
    ("opv", 1, months(2), 0, years(5), ""),
    ("opv", 2, months(3), 28, years(5), ""),
    ("opv", 3, months(4), 28, years(5), ""),
    ("opv", 4, months(16), 180, years(5), ""),
    # The school-entry dose, with the Td booster.
    ("opv", 5, years(7), 28, None, ""),
    ("ipv", 1, months(4), 0, years(5), ""),
    ("penta", 1, months(2), 0, years(5), ""),
    ("penta", 2, months(3), 28, years(5), ""),
    ("penta", 3, months(4), 28, years(5), ""),
    # Three oral doses of the rotavirus vaccine; none is given after 24 weeks of age.
    ("rota", 1, months(2), 0, 24 * 7, ""),
    ("rota", 2, months(3), 28, 24 * 7, ""),
    ("rota", 3, months(4), 28, 24 * 7, ""),
    ("pcv", 1, months(2), 0, years(5), ""),
    ("pcv", 2, months(3), 28, years(5), ""),
    ("pcv", 3, months(12), 56, years(5), ""),
    ("dtp", 1, months(16), 0, years(7), ""),
    ("mmr", 1, months(12), 0, None, ""),
    ("mmr", 2, years(6), 28, None, ""),
    ("td", 1, years(7), 0, None, ""),
    ("td", 2, years(16), years(5), None, ""),
    ("hpv", 1, years(9), 0, years(14), "female"),
]


# (code, name in Uzbek)
AEFI_SYMPTOMS = [
    ("severe-local-reaction", "Kuchli mahalliy reaksiya (shish, qizarish > 3 kun)"),
    ("abscess", "Abssess (yiringlik) in’eksiya joyida"),
    ("fever", "Isitma 38 °C va undan yuqori"),
    ("persistent-crying", "3 soatdan ortiq to‘xtovsiz yig‘i"),
    ("rash", "Toshma"),
    ("seizures", "Tirishish (talvasalar)"),
    ("hhe", "Gipotonik-giporeaktiv epizod"),
    ("anaphylaxis", "Anafilaksiya"),
    ("encephalopathy", "Ensefalopatiya"),
    ("meningitis", "Meningit"),
    ("paralysis", "O‘tkir falaj (shol)"),
    ("guillain-barre", "Giyen-Barre sindromi"),
    ("thrombocytopenia", "Trombotsitopeniya"),
    ("sepsis", "Sepsis"),
    ("toxic-shock", "Toksik shok sindromi"),
    ("intussusception", "Ichak invaginatsiyasi"),
    ("bcg-lymphadenitis", "BCG limfadeniti"),
    ("bcg-osteitis", "BCG osteiti yoki tarqalgan BCG infeksiyasi"),
    ("other", "Boshqa (tavsifda yozing)"),
]


def load_aefi_symptoms(*, symptom_model) -> None:
    for code, name in AEFI_SYMPTOMS:
        symptom_model.objects.get_or_create(code=code, defaults={"name": name})


def load_pregnancy_catalogues(*, risk_factor_model, contact_model) -> None:
    for code, name, level in RISK_FACTORS:
        risk_factor_model.objects.get_or_create(code=code, defaults={"name": name,
                                                                     "level": level})
    for number, week_from, week_to, includes in ANTENATAL_CONTACTS:
        contact_model.objects.get_or_create(number=number, defaults={
            "week_from": week_from, "week_to": week_to, "includes": includes})


def load_immunisation_calendar(*, vaccine_model, dose_model) -> None:
    vaccines = {}
    for code, name in VACCINES:
        vaccines[code], _created = vaccine_model.objects.get_or_create(
            code=code, defaults={"name": name})
    for code, number, age, interval, latest, sex in CALENDAR:
        dose_model.objects.get_or_create(vaccine=vaccines[code], number=number, defaults={
            "min_age_days": age, "min_interval_days": interval, "latest_age_days": latest,
            "sex": sex})


# The rows of the calendar as the first load had them, where migration 0007 changed them:
# (vaccine, number) -> (age, interval, latest). A row an administrator has edited since
# is left as they made it.
CALENDAR_BEFORE_0007 = {
    ("opv", 1): (2, 0, 30),
    ("opv", 2): (months(2), 28, years(5)),
    ("opv", 3): (months(3), 28, years(5)),
    ("opv", 4): (months(4), 28, years(5)),
    ("opv", 5): (months(16), 180, years(5)),
    ("hpv", 1): (years(9), 0, years(15)),
}


def bring_calendar_in_line(*, vaccine_model, dose_model) -> list[tuple[str, int]]:
    """Migration 0007: the doses the first load got wrong, corrected where nobody has
    edited them, and the doses it lacked added. Returns the doses changed."""
    changed = []
    for code, number, age, interval, latest, _sex in CALENDAR:
        before = CALENDAR_BEFORE_0007.get((code, number))
        if before is None:
            continue
        updated = dose_model.objects.filter(
            vaccine__code=code, number=number, min_age_days=before[0],
            min_interval_days=before[1], latest_age_days=before[2]).update(
            min_age_days=age, min_interval_days=interval, latest_age_days=latest)
        if updated:
            changed.append((code, number))
    load_immunisation_calendar(vaccine_model=vaccine_model, dose_model=dose_model)
    return changed


def load_all() -> None:
    """The catalogues into the current models (tests, after a flush emptied them)."""
    from mch.models import AefiSymptom, AntenatalContact, CalendarDose, RiskFactor, Vaccine

    load_pregnancy_catalogues(risk_factor_model=RiskFactor, contact_model=AntenatalContact)
    load_immunisation_calendar(vaccine_model=Vaccine, dose_model=CalendarDose)
    load_aefi_symptoms(symptom_model=AefiSymptom)
