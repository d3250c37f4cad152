"""Demo cards: a few dozen believable people attached to the demo polyclinic."""

import random
from datetime import date, timedelta

from dmed.translit import latin_to_cyrillic
from patients.identifiers import pinfl_check_digit
from patients.models import Allergy, ChronicCondition, PatientCard, Severity, Sex
from patients.services import register_card

MALE = ["Aziz", "Shohruh", "Jasur", "Bobur", "Sardor", "Otabek", "Javohir", "Doniyor",
        "Sherzod", "Ulug‘bek", "Farrux", "Akmal", "Rustam", "Anvar", "Islom", "Temur"]
FEMALE = ["Dilnoza", "Malika", "Gulnora", "Nilufar", "Zarina", "Madina", "Shahnoza",
          "Feruza", "Kamola", "Munisa", "Sevara", "Nodira", "Laylo", "Mohira", "Yulduz", "Iroda"]
SURNAMES = ["Karimov", "Abdullayev", "Yusupov", "Toshmatov", "Rahimov", "Ergashev", "Qodirov",
            "Tursunov", "G‘ulomov", "Nazarov", "Saidov", "Xolmatov", "Mirzayev", "Sobirov"]
FATHERS = ["Akmal", "Rustam", "Anvar", "Bahodir", "Shavkat", "Ilhom", "Olim", "Alisher"]
# The problem list is named by the catalogue, in each reader's language; allergies as a
# family doctor in Tashkent writes them: in Uzbek, the medicines by their Latin INN.
CONDITIONS = ["I10", "E11.9", "J45.9", "D50.9"]
ALLERGIES = [("Penicillin", "Eshakemi", Severity.MODERATE),
             ("Metamizole", "Anafilaksiya", Severity.SEVERE),
             ("Gul changi", "Rinit", Severity.MILD)]
COUNT = 36


def _pinfl(birth: date, sex: str, serial: int) -> str:
    century = {18: 1, 19: 3, 20: 5}[birth.year // 100] + (sex == Sex.FEMALE)
    first13 = f"{century}{birth:%d%m%y}264{serial:03d}"
    return first13 + pinfl_check_digit(first13)


def _people():
    rng = random.Random(2026)  # noqa: S311 — demo data, not security
    yield ("Abdullayev", "Shohruh", "Akmalovich", date(1988, 4, 17), Sex.MALE)
    for index in range(COUNT - 1):
        sex = Sex.MALE if index % 2 else Sex.FEMALE
        surname = rng.choice(SURNAMES) + ("" if sex == Sex.MALE else "a")
        father = rng.choice(FATHERS)
        middle = father + ("ovich" if sex == Sex.MALE else "ovna")
        first = rng.choice(MALE if sex == Sex.MALE else FEMALE)
        birth = date(1940, 1, 1) + timedelta(days=rng.randrange(0, 80 * 365))
        if index % 6 == 5:  # some cards were written in Cyrillic, as real registries hold
            surname, first, middle = (latin_to_cyrillic(x) for x in (surname, first, middle))
        yield (surname, first, middle, birth, sex)


def seed(world: dict) -> None:
    users = world["users"]
    polyclinic = world["facilities"]["TSH-CHL-P12"]
    cards = []
    for serial, (last, first, middle, birth, sex) in enumerate(_people(), start=1):
        pinfl = _pinfl(birth, sex, serial)
        card = PatientCard.objects.filter(pinfl=pinfl).first()
        if card is None:
            card = register_card(
                actor=users["registrar"], last_name=last, first_name=first, middle_name=middle,
                birth_date=birth, sex=sex, pinfl=pinfl, phone=f"+99890{1000000 + serial * 7919}",
                region=world["district"].region, district=world["district"],
                street=f"Bunyodkor ko‘chasi, {serial}", attached_facility=polyclinic,
                family_doctor=users["doctor"], confirm_not_duplicate=True,
            )
            if serial % 5 == 0:
                ChronicCondition.objects.create(card=card,
                                                icd10_code=CONDITIONS[serial % len(CONDITIONS)],
                                                since=birth + timedelta(days=365 * 30))
            if serial % 7 == 0:
                substance, reaction, severity = ALLERGIES[serial % len(ALLERGIES)]
                Allergy.objects.create(card=card, substance=substance, reaction=reaction,
                                       severity=severity)
        cards.append(card)
    own = cards[0]
    if own.user_id != users["patient"].pk:
        own.user = users["patient"]
        own.save(update_fields=["user"])
    world["cards"] = cards
