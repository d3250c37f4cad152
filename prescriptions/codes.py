"""Prescription codes: short, read aloud and typed by people at a pharmacy counter.

Thirty-two symbols without 0/O and 1/I, eight random ones (about 10^12 codes, so they
cannot be guessed) and a Luhn mod 32 check character, which catches every single
mistyped symbol and every swap of two neighbours. Printed in groups of four, four and
one, e.g. R4TN-7KD3-G (`example_code()` makes one).
"""

import secrets

ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
RANDOM_LENGTH = 8
CODE_LENGTH = RANDOM_LENGTH + 1
CODE_PATTERN = rf"^[{ALPHABET}]{{{CODE_LENGTH}}}$"


def check_character(body: str) -> str:
    """Luhn mod N over the alphabet: doubling every second symbol from the right."""
    n = len(ALPHABET)
    total = 0
    for position, symbol in enumerate(reversed(body)):
        value = ALPHABET.index(symbol)
        if position % 2 == 0:
            value *= 2
            value = value // n + value % n
        total += value
    return ALPHABET[(n - total % n) % n]


def new_code() -> str:
    body = "".join(secrets.choice(ALPHABET) for _ in range(RANDOM_LENGTH))
    return body + check_character(body)


def normalise_code(text: str) -> str:
    """What a person typed, as stored: capitals, no spaces or dashes."""
    return "".join(text.split()).replace("-", "").upper()


def is_valid_code(code: str) -> bool:
    return (len(code) == CODE_LENGTH and all(symbol in ALPHABET for symbol in code)
            and check_character(code[:-1]) == code[-1])


def format_code(code: str) -> str:
    return f"{code[:4]}-{code[4:8]}-{code[8:]}"


# The symbols of the example forms show; its check character is computed, so it is valid.
EXAMPLE_BODY = "R4TN7KD3"


def example_code() -> str:
    """A well-formed code to show as an example, e.g. in a field's placeholder."""
    return format_code(EXAMPLE_BODY + check_character(EXAMPLE_BODY))
