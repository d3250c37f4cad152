"""Identifiers of a person: MED-ID, PINFL, identity documents and phone numbers.

Pure functions, no database: they check and normalise what people type or systems
send, so that models, forms, services and the API share one definition of each format.
Every message a user may see is translatable and carries a stable ``code``.
"""

import re
import secrets
from dataclasses import dataclass
from datetime import date

import phonenumbers
from django.core.exceptions import ValidationError
from django.db.models import TextChoices
from django.utils.translation import gettext_lazy as _

# --------------------------------------------------------------------------- MED-ID

MED_ID_LENGTH = 10

# Verhoeff's dihedral group D5: multiplication table, position permutation, inverse.
_VERHOEFF_D = (
    (0, 1, 2, 3, 4, 5, 6, 7, 8, 9),
    (1, 2, 3, 4, 0, 6, 7, 8, 9, 5),
    (2, 3, 4, 0, 1, 7, 8, 9, 5, 6),
    (3, 4, 0, 1, 2, 8, 9, 5, 6, 7),
    (4, 0, 1, 2, 3, 9, 5, 6, 7, 8),
    (5, 9, 8, 7, 6, 0, 4, 3, 2, 1),
    (6, 5, 9, 8, 7, 1, 0, 4, 3, 2),
    (7, 6, 5, 9, 8, 2, 1, 0, 4, 3),
    (8, 7, 6, 5, 9, 3, 2, 1, 0, 4),
    (9, 8, 7, 6, 5, 4, 3, 2, 1, 0),
)
_VERHOEFF_P = (
    (0, 1, 2, 3, 4, 5, 6, 7, 8, 9),
    (1, 5, 7, 6, 2, 8, 3, 0, 9, 4),
    (5, 8, 0, 3, 7, 9, 6, 1, 4, 2),
    (8, 9, 1, 6, 0, 4, 3, 5, 2, 7),
    (9, 4, 5, 3, 1, 2, 6, 8, 7, 0),
    (4, 2, 8, 6, 5, 7, 3, 9, 0, 1),
    (2, 7, 9, 3, 8, 0, 6, 4, 1, 5),
    (7, 0, 4, 6, 9, 1, 3, 2, 5, 8),
)
_VERHOEFF_INV = (0, 4, 3, 2, 1, 5, 6, 7, 8, 9)

_ASCII_DIGITS = re.compile(r"[0-9]+")
_MED_ID = re.compile(r"[1-9][0-9]{9}")
# What people put between groups when they copy a MED-ID from a card or a message:
# any whitespace (incl. no-break spaces) and the hyphen/dash family.
_MED_ID_SEPARATORS = re.compile(r"[\s\-\u2010-\u2015\u2212]+")


def _verhoeff_remainder(digits: str, *, offset: int) -> int:
    check = 0
    for position, digit in enumerate(reversed(digits)):
        check = _VERHOEFF_D[check][_VERHOEFF_P[(position + offset) % 8][int(digit)]]
    return check


def verhoeff_check_digit(digits: str) -> str:
    """The Verhoeff check digit to append to ``digits``.

    Verhoeff rather than Luhn or mod 11: it catches every single mistyped digit and
    every swap of two neighbours, and its check digit is always a digit (no "X").
    Raises ``ValueError`` for anything but a non-empty string of ASCII digits: that
    is a programming error, not user input.
    """
    if not isinstance(digits, str) or not _ASCII_DIGITS.fullmatch(digits):
        raise ValueError(f"Verhoeff needs ASCII digits, got {digits!r}")
    return str(_VERHOEFF_INV[_verhoeff_remainder(digits, offset=1)])


def is_valid_med_id(value: str) -> bool:
    """Whether ``value`` is a MED-ID as issued: 10 ASCII digits, no leading zero,
    Verhoeff check digit last.

    Strict on purpose (no spaces, no dashes): pass what a person typed through
    ``normalise_med_id`` first. A false answer means "cannot exist", so callers can
    refuse it without touching the database.
    """
    if not isinstance(value, str) or not _MED_ID.fullmatch(value):
        return False
    return _verhoeff_remainder(value, offset=0) == 0


def new_med_id() -> str:
    """A fresh MED-ID: 9 random digits (first not 0) and the check digit.

    Drawn from ``secrets`` so that knowing one card's number tells nothing about
    another's: numbers are neither sequential nor guessable. Uniqueness is the
    database's job (a unique constraint); on the rare collision, draw again.
    """
    payload = str(100_000_000 + secrets.randbelow(900_000_000))
    return payload + verhoeff_check_digit(payload)


def normalise_med_id(value: str | int) -> str:
    """``value`` without spaces and dashes, so "123 456 789 0" or "123-456-7890"
    from a printed card is found. Does not validate: follow with ``is_valid_med_id``.
    """
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str):
        return ""
    return _MED_ID_SEPARATORS.sub("", value)


def format_med_id(value: str | int) -> str:
    """The MED-ID grouped 3-3-4 ("123 456 7890"), as printed on the card.

    Groups make ten digits readable aloud and easy to compare; the check digit ends
    the last group. Raises ``ValueError`` for a value that is not a valid MED-ID.
    """
    med_id = normalise_med_id(value)
    if not is_valid_med_id(med_id):
        raise ValueError(f"not a MED-ID: {value!r}")
    return f"{med_id[:3]} {med_id[3:6]} {med_id[6:]}"


# ---------------------------------------------------------------------------- PINFL

PINFL_LENGTH = 14
# ICAO 9303 (machine-readable travel documents) weights, repeated.
_PINFL_WEIGHTS = (7, 3, 1)
_PINFL_SHAPE = re.compile(r"[0-9]{14}")
# First digit -> first year of the century of birth; odd digits are men, even women.
_PINFL_CENTURY = {"1": 1800, "2": 1800, "3": 1900, "4": 1900, "5": 2000, "6": 2000}

SEX_MALE = "male"
SEX_FEMALE = "female"
# Translators: the sex of a person, completing "The PINFL says the person is …".
_SEX_WORDS = {SEX_MALE: _("male"), SEX_FEMALE: _("female")}

PINFL_FORMAT_MESSAGE = _("A PINFL is exactly 14 digits.")
PINFL_CENTURY_MESSAGE = _(
    "The first digit of a PINFL (century of birth and sex) is from 1 to 6, not %(digit)s."
)
PINFL_DATE_MESSAGE = _(
    "Digits 2 to 7 of the PINFL (%(digits)s) are not a real birth date (DDMMYY)."
)
PINFL_CHECK_DIGIT_MESSAGE = _(
    "The last digit of the PINFL does not match the others: check it for a typo."
)
PINFL_BIRTH_DATE_MESSAGE = _(
    "The PINFL says the person was born on %(pinfl_date)s, "
    "but the birth date entered is %(entered_date)s."
)
PINFL_SEX_MESSAGE = _(
    "The PINFL says the person is %(pinfl_sex)s, but the sex entered is %(entered_sex)s."
)


@dataclass(frozen=True)
class PinflFacts:
    """What a PINFL states about its holder."""

    birth_date: date
    sex: str  # SEX_MALE or SEX_FEMALE


def pinfl_check_digit(first13: str) -> str:
    """The 14th digit of a PINFL: ICAO 9303 weights 7, 3, 1 over the first 13, mod 10.

    Raises ``ValueError`` unless given exactly 13 ASCII digits (a programming error).
    """
    if not isinstance(first13, str) or not re.fullmatch(r"[0-9]{13}", first13):
        raise ValueError(f"a PINFL check digit needs 13 ASCII digits, got {first13!r}")
    total = sum(
        int(digit) * _PINFL_WEIGHTS[position % 3] for position, digit in enumerate(first13)
    )
    return str(total % 10)


def _format_date(value: date) -> str:
    return f"{value.day:02d}.{value.month:02d}.{value.year:04d}"


def parse_pinfl(value: str) -> PinflFacts:
    """The birth date and sex a PINFL encodes, or ``ValidationError`` saying why not.

    Strict: exactly 14 ASCII digits, no spaces (forms strip surrounding whitespace).
    Once the shape is right, every other problem found (century digit, date, check
    digit) is reported together, each with its own code. The district code and serial
    number are not checked: no public registry of them is reliable enough to refuse a
    real person's number.
    """
    if not isinstance(value, str) or not _PINFL_SHAPE.fullmatch(value):
        raise ValidationError(PINFL_FORMAT_MESSAGE, code="pinfl_format")

    errors = []
    century = _PINFL_CENTURY.get(value[0])
    birth_date = None
    if century is None:
        errors.append(
            ValidationError(PINFL_CENTURY_MESSAGE, code="pinfl_century", params={"digit": value[0]})
        )
    else:
        day, month, year = int(value[1:3]), int(value[3:5]), century + int(value[5:7])
        try:
            birth_date = date(year, month, day)
        except ValueError:
            errors.append(
                ValidationError(PINFL_DATE_MESSAGE, code="pinfl_date",
                                params={"digits": value[1:7]})
            )
    if pinfl_check_digit(value[:13]) != value[13]:
        errors.append(ValidationError(PINFL_CHECK_DIGIT_MESSAGE, code="pinfl_check_digit"))
    if errors:
        raise ValidationError(errors)
    return PinflFacts(birth_date=birth_date, sex=SEX_MALE if int(value[0]) % 2 else SEX_FEMALE)


def validate_pinfl_against(value: str, *, birth_date: date | None, sex: str | None) -> None:
    """Refuse a PINFL that is invalid or contradicts the birth date and sex entered.

    Raises ``ValidationError({"pinfl": [...]})`` so forms and the API show the problem
    next to the PINFL, with messages naming exactly what disagrees; every contradiction
    is listed, not just the first. A ``None`` or blank birth date/sex (not known yet)
    is not compared, nor is a sex other than "male"/"female".
    """
    try:
        facts = parse_pinfl(value)
    except ValidationError as error:
        raise ValidationError({"pinfl": error.error_list}) from error

    errors = []
    if birth_date is not None and birth_date != facts.birth_date:
        errors.append(ValidationError(
            PINFL_BIRTH_DATE_MESSAGE, code="pinfl_birth_date_mismatch",
            params={"pinfl_date": _format_date(facts.birth_date),
                    "entered_date": _format_date(birth_date)},
        ))
    if sex in _SEX_WORDS and sex != facts.sex:
        errors.append(ValidationError(
            PINFL_SEX_MESSAGE, code="pinfl_sex_mismatch",
            params={"pinfl_sex": _SEX_WORDS[facts.sex], "entered_sex": _SEX_WORDS[sex]},
        ))
    if errors:
        raise ValidationError({"pinfl": errors})


# --------------------------------------------------------------- identity documents


class DocumentKind(TextChoices):
    UZ_ID_CARD = "uz_id_card", _("Uzbek ID card")
    UZ_PASSPORT = "uz_passport", _("Uzbek passport")
    FOREIGN_PASSPORT = "foreign_passport", _("Foreign passport")


UZBEK_DOCUMENT_KINDS = frozenset({DocumentKind.UZ_ID_CARD, DocumentKind.UZ_PASSPORT})
_UZ_DOCUMENT_NUMBER = re.compile(r"[A-Z]{2}[0-9]{7}")
_FOREIGN_PASSPORT_NUMBER = re.compile(r"[A-Z0-9]{5,20}")

# ISO 3166-1 alpha-2, the officially assigned codes (as in tzdata's iso3166.tab), plus
# XK (Kosovo), user-assigned in ISO but used by ICAO 9303 passports.
ISO_COUNTRY_CODES = frozenset(
    """
    AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO
    BQ BR BS BT BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ
    DK DM DO DZ EC EE EG EH ER ES ET FI FJ FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP
    GQ GR GS GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP KE KG
    KH KI KM KN KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML
    MM MN MO MP MQ MR MS MT MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE
    PF PG PH PK PL PM PN PR PS PT PW PY QA RE RO RS RU RW SA SB SC SD SE SG SH SI SJ SK SL
    SM SN SO SR SS ST SV SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG UM
    US UY UZ VA VC VE VG VI VN VU WF WS YE YT ZA ZM ZW XK
    """.split()
)

DOCUMENT_KIND_MESSAGE = _("Choose the kind of identity document.")
DOCUMENT_NUMBER_REQUIRED_MESSAGE = _("Enter the series and number of the document.")
UZ_DOCUMENT_NUMBER_MESSAGE = _(
    "An Uzbek ID card or passport number is two Latin capital letters followed by "
    "7 digits, for example AC1234567."
)
FOREIGN_PASSPORT_NUMBER_MESSAGE = _(
    "A foreign passport number is 5 to 20 Latin capital letters and digits."
)
COUNTRY_REQUIRED_MESSAGE = _("Enter the country that issued the passport.")
COUNTRY_CODE_MESSAGE = _(
    "Enter the issuing country as its two-letter ISO 3166-1 code, for example KZ."
)
COUNTRY_IS_UZBEKISTAN_MESSAGE = _(
    "A passport issued by Uzbekistan is an Uzbek passport, not a foreign one."
)
UZ_DOCUMENT_COUNTRY_MESSAGE = _(
    "Leave the issuing country empty: an Uzbek document is issued by Uzbekistan."
)


def normalise_document_number(value: str) -> str:
    """``value`` in capitals without spaces ("ac 123 45 67" -> "AC1234567").

    Documents are looked up and kept unique by this form, so store it, not what was
    typed. Does not validate.
    """
    if not isinstance(value, str):
        return ""
    return "".join(value.split()).upper()


def validate_identity_document(*, kind: str, number: str, country: str = "") -> None:
    """Refuse a document whose number or issuing country does not fit its kind.

    ``number`` is checked in its normalised form, so "ac 1234567" passes; store
    ``normalise_document_number(number)``. ``country`` is an ISO 3166-1 alpha-2 code
    in capitals: required (and not UZ) for a foreign passport, empty for Uzbek
    documents, so that uniqueness of (number, kind, country) cannot be dodged by
    writing "UZ" once and "" another time. All problems are reported together, keyed
    by field ("kind", "number", "country").
    """
    errors: dict[str, list[ValidationError]] = {}

    def refuse(field: str, message, code: str) -> None:
        errors.setdefault(field, []).append(ValidationError(message, code=code))

    normalised = normalise_document_number(number)
    country = country if isinstance(country, str) else ""
    if kind not in DocumentKind.values:
        refuse("kind", DOCUMENT_KIND_MESSAGE, "document_kind")
    elif not normalised:
        refuse("number", DOCUMENT_NUMBER_REQUIRED_MESSAGE, "document_number_required")
    elif kind in UZBEK_DOCUMENT_KINDS:
        if not _UZ_DOCUMENT_NUMBER.fullmatch(normalised):
            refuse("number", UZ_DOCUMENT_NUMBER_MESSAGE, "document_number")
    elif not _FOREIGN_PASSPORT_NUMBER.fullmatch(normalised):
        refuse("number", FOREIGN_PASSPORT_NUMBER_MESSAGE, "document_number")

    if kind in UZBEK_DOCUMENT_KINDS:
        if country:
            refuse("country", UZ_DOCUMENT_COUNTRY_MESSAGE, "document_country_not_empty")
    elif kind == DocumentKind.FOREIGN_PASSPORT:
        if not country:
            refuse("country", COUNTRY_REQUIRED_MESSAGE, "document_country_required")
        elif country == "UZ":
            refuse("country", COUNTRY_IS_UZBEKISTAN_MESSAGE, "document_country_uz")
        elif country not in ISO_COUNTRY_CODES:
            refuse("country", COUNTRY_CODE_MESSAGE, "document_country")

    if errors:
        raise ValidationError(errors)


# --------------------------------------------------------------------------- phones

UZ_COUNTRY_CODE = 998
PHONE_INVALID_MESSAGE = _(
    "Enter a valid Uzbek phone number, for example +998 90 123 45 67."
)
PHONE_NOT_UZBEK_MESSAGE = _("Enter an Uzbek phone number (+998).")


def normalise_phone(value: str) -> str:
    """The Uzbek number in E.164 ("+998901234567"), the one form stored and searched.

    People write "+998 90 123 45 67", "998901234567" or just "90 123-45-67": all parse
    with Uzbekistan as the default region. Validity comes from the national numbering
    plan in ``phonenumbers`` (right length and operator codes), not a hand-made regex.
    Foreign numbers are refused: SMS notices go through Uzbek operators.
    """
    if not isinstance(value, str) or not value.strip():
        raise ValidationError(PHONE_INVALID_MESSAGE, code="phone_invalid")
    try:
        parsed = phonenumbers.parse(value, "UZ")
    except phonenumbers.NumberParseException as error:
        raise ValidationError(PHONE_INVALID_MESSAGE, code="phone_invalid") from error
    if parsed.country_code != UZ_COUNTRY_CODE:
        raise ValidationError(PHONE_NOT_UZBEK_MESSAGE, code="phone_not_uzbek")
    # An extension would be dropped silently from E.164: refuse rather than store less.
    if parsed.extension or not phonenumbers.is_valid_number(parsed):
        raise ValidationError(PHONE_INVALID_MESSAGE, code="phone_invalid")
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
