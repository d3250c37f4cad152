"""MED-ID, PINFL, identity documents and phones: formats, check digits, messages."""

import random
from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation
from django.utils.functional import Promise

from patients import identifiers
from patients.identifiers import (
    DocumentKind,
    PinflFacts,
    format_med_id,
    is_valid_med_id,
    new_med_id,
    normalise_document_number,
    normalise_med_id,
    normalise_phone,
    parse_pinfl,
    pinfl_check_digit,
    validate_identity_document,
    validate_pinfl_against,
    verhoeff_check_digit,
)

# ----------------------------------------------------------------------- helpers


def codes(error: ValidationError) -> list[str]:
    return [e.code for e in error.error_list]


def field_codes(error: ValidationError) -> dict[str, list[str]]:
    return {field: [e.code for e in errors] for field, errors in error.error_dict.items()}


def all_errors(error: ValidationError) -> list[ValidationError]:
    if hasattr(error, "error_dict"):
        return [e for errors in error.error_dict.values() for e in errors]
    return error.error_list


def assert_translatable(error: ValidationError) -> None:
    """Every message shown to a user is a lazy translation, never a plain str."""
    for e in all_errors(error):
        assert isinstance(e.message, Promise), e.message


def english(error: ValidationError) -> dict[str, list[str]]:
    with translation.override("en"):
        return error.message_dict


def with_icao_check_digit(first13: str) -> str:
    """Independent of the module: weights 7, 3, 1 repeated, sum mod 10."""
    weights = [7, 3, 1] * 5
    return first13 + str(sum(int(d) * w for d, w in zip(first13, weights, strict=False)) % 10)


def make_pinfl(first: str = "3", ddmmyy: str = "120385", district: str = "267",
               serial: str = "041") -> str:
    return with_icao_check_digit(first + ddmmyy + district + serial)


def with_wrong_check_digit(pinfl: str) -> str:
    return pinfl[:13] + str((int(pinfl[13]) + 1) % 10)


# ------------------------------------------------------------------------ MED-ID

# Published examples of the Verhoeff scheme (Wikipedia, Verhoeff's tables).
@pytest.mark.parametrize(
    ("digits", "check"),
    [("236", "3"), ("12345", "1"), ("142857", "0"), ("123456789012", "0"),
     ("8473643095483728456789", "2")],
)
def test_verhoeff_check_digit_matches_published_examples(digits, check):
    assert verhoeff_check_digit(digits) == check


@pytest.mark.parametrize("digits", ["", "12a4", "１２３", "12 34", None, 1234])
def test_verhoeff_check_digit_wants_ascii_digits(digits):
    with pytest.raises(ValueError, match="Verhoeff"):
        verhoeff_check_digit(digits)


def sample_med_ids(count: int = 200) -> list[str]:
    rng = random.Random(20250101)  # reproducible sample
    ids = []
    for _ in range(count):
        payload = str(rng.randrange(100_000_000, 1_000_000_000))
        ids.append(payload + verhoeff_check_digit(payload))
    return ids


MED_IDS = sample_med_ids()


def test_the_sample_is_valid_med_ids():
    assert len(set(MED_IDS)) == 200
    assert all(is_valid_med_id(med_id) for med_id in MED_IDS)


def test_every_single_mistyped_digit_is_caught():
    checked = 0
    for med_id in MED_IDS:
        for position in range(10):
            for digit in "0123456789":
                if digit == med_id[position]:
                    continue
                typo = med_id[:position] + digit + med_id[position + 1:]
                # The check digit itself catches it, not only the leading-zero rule.
                assert verhoeff_check_digit(typo[:9]) != typo[9], (med_id, typo)
                assert not is_valid_med_id(typo), (med_id, typo)
                checked += 1
    assert checked == 200 * 10 * 9


def test_every_swap_of_neighbouring_digits_is_caught():
    checked = 0
    for med_id in MED_IDS:
        for position in range(9):
            a, b = med_id[position], med_id[position + 1]
            if a == b:
                continue
            swapped = med_id[:position] + b + a + med_id[position + 2:]
            assert verhoeff_check_digit(swapped[:9]) != swapped[9], (med_id, swapped)
            assert not is_valid_med_id(swapped), (med_id, swapped)
            checked += 1
    assert checked > 200 * 9 * 0.8  # most neighbours differ; the loop really ran


@pytest.mark.parametrize(
    "value",
    [
        "",
        "236",  # Verhoeff-valid but short
        "12345678901",  # too long
        "0000000000",  # Verhoeff-valid (all zeros) but leading zero
        "0123456789",
        "１２３４５６７８９０",  # full-width digits
        "123 456 7890",  # grouped: normalise first
        "12345678a0",
        "1234567890\n",
        None,
        1234567890,
    ],
)
def test_is_valid_med_id_refuses_wrong_shapes(value):
    assert is_valid_med_id(value) is False


def test_a_leading_zero_is_refused_even_with_a_correct_check_digit():
    payload = "012345678"
    assert not is_valid_med_id(payload + verhoeff_check_digit(payload))
    assert is_valid_med_id("1" + payload[1:] + verhoeff_check_digit("1" + payload[1:]))


def test_new_med_id_gives_valid_distinct_scattered_numbers():
    values = [new_med_id() for _ in range(200)]
    assert all(is_valid_med_id(value) for value in values)
    assert len(set(values)) == len(values)
    payloads = [int(value[:9]) for value in values]
    # Not sequential: no two consecutive draws are neighbours (chance ~1e-5 by luck).
    assert all(abs(a - b) > 10 for a, b in zip(payloads, payloads[1:], strict=False))
    assert payloads != sorted(payloads)


def test_new_med_id_covers_every_leading_digit():
    assert {new_med_id()[0] for _ in range(2000)} == set("123456789")


@pytest.mark.parametrize(("drawn", "payload"), [(0, "100000000"), (899_999_999, "999999999")])
def test_new_med_id_draws_from_secrets_over_the_whole_range(monkeypatch, drawn, payload):
    calls = []

    def randbelow(n):
        calls.append(n)
        return drawn

    monkeypatch.setattr(identifiers.secrets, "randbelow", randbelow)
    assert new_med_id() == payload + verhoeff_check_digit(payload)
    assert calls == [900_000_000]


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("123 456 789 0", "1234567890"),
        ("123-456-7890", "1234567890"),
        (" 123 456 7890 ", "1234567890"),
        ("123\u00a0456\u00a07890", "1234567890"),  # no-break spaces from a document
        ("123\u2013456\u20147890", "1234567890"),  # en and em dashes
        ("1234567890", "1234567890"),
        (1234567890, "1234567890"),
        ("12a4", "12a4"),  # not validated here
        (None, ""),
    ],
)
def test_normalise_med_id_drops_spaces_and_dashes(typed, expected):
    assert normalise_med_id(typed) == expected


def test_a_grouped_med_id_is_accepted_after_normalising():
    med_id = MED_IDS[0]
    printed = format_med_id(med_id)
    assert printed == f"{med_id[:3]} {med_id[3:6]} {med_id[6:]}"
    assert is_valid_med_id(normalise_med_id(printed))
    assert not is_valid_med_id(printed)


@pytest.mark.parametrize("value", ["1234567890", "123-456-7890", 1234567890])
def test_format_med_id_groups_3_3_4(value):
    assert is_valid_med_id("1234567890")  # 123456789's Verhoeff digit is 0
    assert format_med_id(value) == "123 456 7890"


@pytest.mark.parametrize("value", ["1234567891", "123456789", "", "0123456789"])
def test_format_med_id_refuses_what_is_not_a_med_id(value):
    with pytest.raises(ValueError, match="MED-ID"):
        format_med_id(value)


# ------------------------------------------------------------------------- PINFL


@pytest.mark.parametrize("first13", ["3120385267041", "0000000000000", "6311299999999"])
def test_pinfl_check_digit_is_icao_7_3_1_mod_10(first13):
    assert pinfl_check_digit(first13) == with_icao_check_digit(first13)[13]


def test_pinfl_check_digit_by_hand():
    # 3*7 + 1*3 + 2*1 + 0*7 + 3*3 + 8*1 + 5*7 + 2*3 + 6*1 + 7*7 + 0*3 + 4*1 + 1*7 = 150
    assert pinfl_check_digit("3120385267041") == "0"


@pytest.mark.parametrize("first13", ["", "312038526704", "31203852670411", "312038526704a"])
def test_pinfl_check_digit_wants_13_digits(first13):
    with pytest.raises(ValueError, match="13"):
        pinfl_check_digit(first13)


@pytest.mark.parametrize(
    ("first", "ddmmyy", "birth_date", "sex"),
    [
        ("1", "010185", date(1885, 1, 1), "male"),
        ("2", "311299", date(1899, 12, 31), "female"),
        ("3", "120385", date(1985, 3, 12), "male"),
        ("4", "290296", date(1996, 2, 29), "female"),
        ("5", "290200", date(2000, 2, 29), "male"),  # 2000 is a leap year
        ("6", "150724", date(2024, 7, 15), "female"),
    ],
)
def test_parse_pinfl_reads_century_sex_and_birth_date(first, ddmmyy, birth_date, sex):
    assert parse_pinfl(make_pinfl(first, ddmmyy)) == PinflFacts(birth_date=birth_date, sex=sex)


@pytest.mark.parametrize("first", ["1", "3", "5"])
def test_odd_first_digit_is_male(first):
    assert parse_pinfl(make_pinfl(first)).sex == "male"


@pytest.mark.parametrize("first", ["2", "4", "6"])
def test_even_first_digit_is_female(first):
    assert parse_pinfl(make_pinfl(first)).sex == "female"


@pytest.mark.parametrize(
    "value",
    [
        "",
        make_pinfl()[:13],  # 13 digits
        make_pinfl() + "0",  # 15 digits
        "3" * 20,
    ],
)
def test_pinfl_must_be_14_digits(value):
    with pytest.raises(ValidationError) as error:
        parse_pinfl(value)
    assert codes(error.value) == ["pinfl_format"]
    assert_translatable(error.value)
    with translation.override("en"):
        assert error.value.messages == ["A PINFL is exactly 14 digits."]


@pytest.mark.parametrize(
    "value",
    [
        make_pinfl()[:13] + "a",
        "3120385 267041",
        " " + make_pinfl()[:13],
        "-3120385267041",
        "３１２０３８５２６７０４１０",  # full-width digits
        make_pinfl() + "\n",
        None,
        31203852670410,
    ],
)
def test_pinfl_must_be_ascii_digits_only(value):
    with pytest.raises(ValidationError) as error:
        parse_pinfl(value)
    assert codes(error.value) == ["pinfl_format"]


@pytest.mark.parametrize("first", ["0", "7", "8", "9"])
def test_pinfl_first_digit_must_be_1_to_6(first):
    value = make_pinfl(first)  # correct check digit: only the century is wrong
    with pytest.raises(ValidationError) as error:
        parse_pinfl(value)
    assert codes(error.value) == ["pinfl_century"]
    assert_translatable(error.value)
    with translation.override("en"):
        assert error.value.messages == [
            f"The first digit of a PINFL (century of birth and sex) is from 1 to 6, not {first}."
        ]


@pytest.mark.parametrize(
    ("first", "ddmmyy"),
    [
        ("3", "310285"),  # 31 February
        ("3", "290285"),  # 29 February 1985
        ("3", "290200"),  # 29 February 1900: not a leap year
        ("5", "310401"),  # 31 April
        ("3", "000185"),  # day 0
        ("3", "320185"),  # day 32
        ("3", "011385"),  # month 13
        ("3", "010085"),  # month 0
    ],
)
def test_pinfl_birth_date_must_exist(first, ddmmyy):
    with pytest.raises(ValidationError) as error:
        parse_pinfl(make_pinfl(first, ddmmyy))
    assert codes(error.value) == ["pinfl_date"]
    assert_translatable(error.value)
    with translation.override("en"):
        assert error.value.messages == [
            f"Digits 2 to 7 of the PINFL ({ddmmyy}) are not a real birth date (DDMMYY)."
        ]


# Base 4 05 11 90 173 512: each replacement keeps the century and date real (05.11.1990
# -> 15.11, 06.11, 05.01, 05.12, ...), so only the check digit can notice the typo.
CHANGED_DIGIT = {0: "6", 1: "1", 2: "6", 3: "0", 4: "2", 5: "8", 6: "1", 7: "2", 8: "8",
                 9: "4", 10: "6", 11: "2", 12: "3"}


@pytest.mark.parametrize("position", range(13))
def test_pinfl_check_digit_catches_a_changed_digit(position):
    valid = make_pinfl("4", "051190", "173", "512")
    assert parse_pinfl(valid) == PinflFacts(birth_date=date(1990, 11, 5), sex="female")
    assert valid[position] != CHANGED_DIGIT[position]
    typo = valid[:position] + CHANGED_DIGIT[position] + valid[position + 1:]
    with pytest.raises(ValidationError) as error:
        parse_pinfl(typo)
    assert codes(error.value) == ["pinfl_check_digit"]


@pytest.mark.parametrize("last", "0123456789")
def test_pinfl_with_a_wrong_last_digit_is_refused(last):
    valid = make_pinfl()
    value = valid[:13] + last
    if value == valid:
        assert parse_pinfl(value).birth_date == date(1985, 3, 12)
        return
    with pytest.raises(ValidationError) as error:
        parse_pinfl(value)
    assert codes(error.value) == ["pinfl_check_digit"]
    assert_translatable(error.value)
    with translation.override("en"):
        assert error.value.messages == [
            "The last digit of the PINFL does not match the others: check it for a typo."
        ]


def test_every_pinfl_problem_is_reported_together():
    value = with_wrong_check_digit(make_pinfl("9"))
    with pytest.raises(ValidationError) as error:
        parse_pinfl(value)
    assert codes(error.value) == ["pinfl_century", "pinfl_check_digit"]

    value = with_wrong_check_digit(make_pinfl("3", "310285"))
    with pytest.raises(ValidationError) as error:
        parse_pinfl(value)
    assert codes(error.value) == ["pinfl_date", "pinfl_check_digit"]


def test_pinfl_matching_the_card_passes():
    value = make_pinfl("4", "120385")
    assert validate_pinfl_against(value, birth_date=date(1985, 3, 12), sex="female") is None


@pytest.mark.parametrize(
    ("birth_date", "sex"),
    [(None, None), (None, "female"), (date(1985, 3, 12), None), (None, ""), (None, "other")],
)
def test_what_is_not_known_is_not_compared(birth_date, sex):
    validate_pinfl_against(make_pinfl("4", "120385"), birth_date=birth_date, sex=sex)


def test_pinfl_contradicting_the_birth_date():
    with pytest.raises(ValidationError) as error:
        validate_pinfl_against(make_pinfl("3", "120385"), birth_date=date(1985, 3, 13),
                               sex="male")
    assert field_codes(error.value) == {"pinfl": ["pinfl_birth_date_mismatch"]}
    assert_translatable(error.value)
    assert english(error.value) == {"pinfl": [
        "The PINFL says the person was born on 12.03.1985, "
        "but the birth date entered is 13.03.1985."
    ]}


def test_pinfl_contradicting_the_century_of_birth():
    with pytest.raises(ValidationError) as error:
        validate_pinfl_against(make_pinfl("5", "010203"), birth_date=date(1903, 2, 1), sex=None)
    assert english(error.value) == {"pinfl": [
        "The PINFL says the person was born on 01.02.2003, "
        "but the birth date entered is 01.02.1903."
    ]}


def test_pinfl_contradicting_the_sex():
    with pytest.raises(ValidationError) as error:
        validate_pinfl_against(make_pinfl("4", "120385"), birth_date=date(1985, 3, 12),
                               sex="male")
    assert field_codes(error.value) == {"pinfl": ["pinfl_sex_mismatch"]}
    assert_translatable(error.value)
    assert english(error.value) == {"pinfl": [
        "The PINFL says the person is female, but the sex entered is male."
    ]}


def test_pinfl_contradicting_male_the_other_way():
    with pytest.raises(ValidationError) as error:
        validate_pinfl_against(make_pinfl("3", "120385"), birth_date=None, sex="female")
    assert english(error.value) == {"pinfl": [
        "The PINFL says the person is male, but the sex entered is female."
    ]}


def test_pinfl_contradicting_both_lists_both():
    with pytest.raises(ValidationError) as error:
        validate_pinfl_against(make_pinfl("4", "120385"), birth_date=date(1985, 3, 13),
                               sex="male")
    assert field_codes(error.value) == {
        "pinfl": ["pinfl_birth_date_mismatch", "pinfl_sex_mismatch"]
    }
    assert english(error.value) == {"pinfl": [
        "The PINFL says the person was born on 12.03.1985, "
        "but the birth date entered is 13.03.1985.",
        "The PINFL says the person is female, but the sex entered is male.",
    ]}


@pytest.mark.parametrize(
    ("value", "expected_codes"),
    [
        ("123", ["pinfl_format"]),
        (make_pinfl("7"), ["pinfl_century"]),
        (make_pinfl("3", "310285"), ["pinfl_date"]),
        (with_wrong_check_digit(make_pinfl()), ["pinfl_check_digit"]),
    ],
)
def test_an_invalid_pinfl_is_refused_under_its_field(value, expected_codes):
    with pytest.raises(ValidationError) as error:
        validate_pinfl_against(value, birth_date=date(1985, 3, 12), sex="male")
    assert field_codes(error.value) == {"pinfl": expected_codes}
    assert_translatable(error.value)


# ------------------------------------------------------------- identity documents


def test_document_kinds():
    assert DocumentKind.values == ["uz_id_card", "uz_passport", "foreign_passport"]
    assert all(isinstance(label, Promise) for label in DocumentKind.labels)


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("ac 1234567", "AC1234567"),
        (" aa 123 45 67 ", "AA1234567"),
        ("fa\t1234567", "FA1234567"),
        ("Ab\u00a01234567", "AB1234567"),
        ("n 12345 678", "N12345678"),
        ("AC1234567", "AC1234567"),
        (None, ""),
    ],
)
def test_normalise_document_number(typed, expected):
    assert normalise_document_number(typed) == expected


@pytest.mark.parametrize(
    ("kind", "number"),
    [
        (DocumentKind.UZ_ID_CARD, "AC1234567"),
        ("uz_id_card", "AD0000001"),
        ("uz_passport", "AA1234567"),
        ("uz_passport", "AB7654321"),
        ("uz_passport", "FA1234567"),
        ("uz_id_card", "ac 123 45 67"),  # checked once normalised
    ],
)
def test_valid_uzbek_documents(kind, number):
    assert validate_identity_document(kind=kind, number=number) is None


@pytest.mark.parametrize("kind", ["uz_id_card", "uz_passport"])
@pytest.mark.parametrize(
    "number",
    [
        "A1234567",  # one letter
        "ABC1234567",  # three letters
        "AC123456",  # 6 digits
        "AC12345678",  # 8 digits
        "1C1234567",
        "AC123456X",
        "АС1234567",  # Cyrillic А and С
        "AC-1234567",
        "ÄC1234567",
    ],
)
def test_uzbek_document_number_is_two_letters_and_seven_digits(kind, number):
    with pytest.raises(ValidationError) as error:
        validate_identity_document(kind=kind, number=number)
    assert field_codes(error.value) == {"number": ["document_number"]}
    assert_translatable(error.value)
    assert english(error.value) == {"number": [
        "An Uzbek ID card or passport number is two Latin capital letters followed by "
        "7 digits, for example AC1234567."
    ]}


@pytest.mark.parametrize("kind", ["uz_id_card", "uz_passport", "foreign_passport"])
@pytest.mark.parametrize("number", ["", "   ", None])
def test_document_number_is_required(kind, number):
    country = "KZ" if kind == "foreign_passport" else ""
    with pytest.raises(ValidationError) as error:
        validate_identity_document(kind=kind, number=number, country=country)
    assert field_codes(error.value) == {"number": ["document_number_required"]}


@pytest.mark.parametrize("country", ["UZ", "KZ", "uz"])
def test_uzbek_documents_have_no_country(country):
    with pytest.raises(ValidationError) as error:
        validate_identity_document(kind="uz_passport", number="AA1234567", country=country)
    assert field_codes(error.value) == {"country": ["document_country_not_empty"]}
    assert_translatable(error.value)


@pytest.mark.parametrize(
    ("number", "country"),
    [
        ("N1234567", "KZ"),
        ("12345", "RU"),  # 5 characters
        ("A" * 20, "US"),  # 20 characters
        ("c01x00t47", "DE"),  # normalised to capitals
        ("123 456 789", "TR"),
        ("P1234567", "XK"),  # Kosovo
    ],
)
def test_valid_foreign_passports(number, country):
    assert validate_identity_document(kind="foreign_passport", number=number,
                                      country=country) is None


@pytest.mark.parametrize(
    "number",
    ["1234", "A" * 21, "AB-12345", "AB/12345", "АБ12345", "AB_12345", "N°12345"],
)
def test_foreign_passport_number_is_5_to_20_letters_and_digits(number):
    with pytest.raises(ValidationError) as error:
        validate_identity_document(kind="foreign_passport", number=number, country="KZ")
    assert field_codes(error.value) == {"number": ["document_number"]}
    assert_translatable(error.value)
    assert english(error.value) == {"number": [
        "A foreign passport number is 5 to 20 Latin capital letters and digits."
    ]}


@pytest.mark.parametrize(
    ("country", "code"),
    [
        ("", "document_country_required"),
        ("UZ", "document_country_uz"),
        ("ZZ", "document_country"),  # not assigned
        ("EU", "document_country"),  # reserved, not a country
        ("K", "document_country"),
        ("KAZ", "document_country"),  # alpha-3
        ("kz", "document_country"),  # codes come in capitals
        ("Kz", "document_country"),
    ],
)
def test_foreign_passport_issuing_country(country, code):
    with pytest.raises(ValidationError) as error:
        validate_identity_document(kind="foreign_passport", number="N1234567", country=country)
    assert field_codes(error.value) == {"country": [code]}
    assert_translatable(error.value)


def test_foreign_passport_from_uzbekistan_message():
    with pytest.raises(ValidationError) as error:
        validate_identity_document(kind="foreign_passport", number="N1234567", country="UZ")
    assert english(error.value) == {"country": [
        "A passport issued by Uzbekistan is an Uzbek passport, not a foreign one."
    ]}


def test_document_number_and_country_are_reported_together():
    with pytest.raises(ValidationError) as error:
        validate_identity_document(kind="foreign_passport", number="12", country="")
    assert field_codes(error.value) == {
        "number": ["document_number"], "country": ["document_country_required"],
    }


@pytest.mark.parametrize("kind", ["", "passport", "UZ_ID_CARD", None])
def test_unknown_document_kind(kind):
    with pytest.raises(ValidationError) as error:
        validate_identity_document(kind=kind, number="AC1234567")
    assert field_codes(error.value) == {"kind": ["document_kind"]}
    assert_translatable(error.value)


def test_the_country_list_is_iso_3166_alpha_2():
    codes_ = identifiers.ISO_COUNTRY_CODES
    assert len(codes_) == 250  # 249 assigned codes and XK
    assert {"UZ", "KZ", "RU", "TJ", "KG", "TM", "AF", "TR", "US", "GB", "DE"} <= codes_
    assert all(len(code) == 2 and code.isascii() and code.isupper() for code in codes_)


# ------------------------------------------------------------------------- phones


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("+998 90 123 45 67", "+998901234567"),
        ("998901234567", "+998901234567"),
        ("90 123-45-67", "+998901234567"),
        ("901234567", "+998901234567"),
        ("+998 (90) 123-45-67", "+998901234567"),
        ("  +998 90 123 45 67  ", "+998901234567"),
        ("(33) 123 45 67", "+998331234567"),
        ("+998 71 123 45 67", "+998711234567"),  # Tashkent landline
    ],
)
def test_normalise_phone_gives_e164(typed, expected):
    assert normalise_phone(typed) == expected


@pytest.mark.parametrize(
    "typed",
    [
        "+998 90 123 45 6",  # too short
        "90 123 45 678",  # too long
        "+998 00 000 00 00",
        "8 90 123 45 67",  # the old trunk prefix
        "12",
        "abc",
        "",
        "   ",
        "+998 90 123 45 67 ext 5",
        None,
        "9" * 300,
    ],
)
def test_invalid_uzbek_phones_are_refused(typed):
    with pytest.raises(ValidationError) as error:
        normalise_phone(typed)
    assert codes(error.value) == ["phone_invalid"]
    assert_translatable(error.value)
    with translation.override("en"):
        assert error.value.messages == [
            "Enter a valid Uzbek phone number, for example +998 90 123 45 67."
        ]


@pytest.mark.parametrize("typed", ["+7 701 123 45 67", "+1 202 555 0123", "+992 93 123 4567"])
def test_foreign_phones_are_refused(typed):
    with pytest.raises(ValidationError) as error:
        normalise_phone(typed)
    assert codes(error.value) == ["phone_not_uzbek"]
    assert_translatable(error.value)
    with translation.override("en"):
        assert error.value.messages == ["Enter an Uzbek phone number (+998)."]
