"""The prescription QR: a signed, compact, offline-checkable form of one issue.

Built as the EU Digital COVID Certificate is: the claims are a CBOR map (integer keys, the
CWT ones where one fits), signed as a COSE_Sign1 (RFC 9052) with the prescriber's Ed25519
key (`alg` EdDSA in the protected header; `kid` the first 8 bytes of the key's UUID as
published at /api/v1/prescribers/keys/, 8 bytes as the DCC's), zlib-compressed,
Base45-encoded (RFC 9285) and prefixed with PREFIX. Base45 uses only the QR code's
alphanumeric alphabet, so the code stays small enough to scan from a phone screen. The
README has the format and a verifier.

The full content (dosage, instructions) stays covered by the prescription's own signature
(signing.py), which the pharmacy check verifies against the database rows; the QR carries
what a pharmacy needs to know it holds an authentic, current issue.
"""

from __future__ import annotations

import uuid
import zlib
from dataclasses import dataclass
from datetime import date, datetime, time

import base45
import cbor2
from cwt import COSE, COSEKey
from cwt.exceptions import CWTError
from django.utils import timezone

PREFIX = "DMEDRX2:"

# Claims. The CWT registry's (RFC 8392) where the meaning is theirs; negative integers,
# private by RFC 8392 §4, for the prescription's own.
# No iat: the day it is valid from says when it counts, and every byte is a bigger QR.
ISSUER, SUBJECT, EXPIRES, NOT_BEFORE = 1, 2, 4, 5
CODE, DIAGNOSIS, ISSUE, ITEMS = -1, -2, -3, -4

# COSE header and key parameters (RFC 9052/9053).
_ALG, _KID, _EDDSA = 1, 4, -8
_KTY, _KEY_ID, _KEY_ALG, _OKP, _CRV, _ED25519, _X, _D = 1, 2, 3, 1, -1, 6, -2, -4
COSE_SIGN1_TAG = 18
KID_BYTES = 8


class UnreadableQr(ValueError):
    """The text is not a DMED prescription QR, or its signature does not verify."""


@dataclass(frozen=True)
class QrPrescription:
    """What a verified QR says."""

    key_id: bytes  # the first KID_BYTES of the key's UUID
    code: str
    series: str
    issue_number: int
    issues_total: int
    patient: str
    facility: str
    diagnosis: str
    available_from: date
    valid_until: date
    items: tuple[tuple[str, str, int], ...]  # (ATC code, strength, quantity) per line


def _epoch(day: date, *, end: bool = False) -> int:
    """The start of a day in Tashkent (or its end: the last second), as a Unix time."""
    moment = timezone.make_aware(datetime.combine(day, time.max if end else time.min))
    return int(moment.timestamp())


def _day(epoch: int) -> date:
    return datetime.fromtimestamp(epoch, tz=timezone.get_current_timezone()).date()


def claims(prescription, items) -> dict:
    """The QR's claims for one issue and its items (with their drugs loaded). An issue of a
    repeat series says which ([number, of how many, series code]); a single one says nothing."""
    content = {
        ISSUER: prescription.facility.code,
        SUBJECT: prescription.patient.med_id,
        NOT_BEFORE: _epoch(prescription.available_from),
        EXPIRES: _epoch(prescription.valid_until, end=True),
        CODE: prescription.code,
        DIAGNOSIS: prescription.diagnosis_id,
        ITEMS: [[item.drug.atc_code, item.drug.strength, item.quantity]
                for item in sorted(items, key=lambda i: i.line)],
    }
    if prescription.issues_total > 1:
        content[ISSUE] = [prescription.issue_number, prescription.issues_total,
                          prescription.series_code]
    return content


def sign(content: dict, private_key: bytes, public_key: bytes, key_id: uuid.UUID) -> bytes:
    """The COSE_Sign1 message (tagged, 18) over the claims, ready to be stored and encoded."""
    key = COSEKey.new({_KTY: _OKP, _KEY_ALG: _EDDSA, _CRV: _ED25519, _X: bytes(public_key),
                       _D: bytes(private_key)})
    return COSE.new().encode(cbor2.dumps(content, canonical=True), key,
                             protected={_ALG: _EDDSA},
                             unprotected={_KID: key_id.bytes[:KID_BYTES]})


def encode(message: bytes) -> str:
    """The QR text of a signed message."""
    return PREFIX + base45.b45encode(zlib.compress(bytes(message), 9)).decode("ascii")


def looks_like_qr(text: str) -> bool:
    return text.strip().upper().startswith(PREFIX)


def read(text: str, public_key_of) -> QrPrescription:
    """Decode and verify a QR. `public_key_of(kid)` gives the raw Ed25519 public key whose
    UUID starts with these bytes, or None. Raises UnreadableQr for anything else."""
    text = text.strip()
    if not looks_like_qr(text):
        raise UnreadableQr("not a DMED prescription QR")
    try:
        message = zlib.decompress(base45.b45decode(text[len(PREFIX):].upper()))
        tagged = cbor2.loads(message)
        if tagged.tag != COSE_SIGN1_TAG:
            raise ValueError(tagged.tag)
        key_id = bytes(tagged.value[1][_KID])
        if len(key_id) != KID_BYTES:
            raise ValueError(key_id)
    except (ValueError, TypeError, KeyError, IndexError, AttributeError, zlib.error,
            cbor2.CBORDecodeError) as error:
        raise UnreadableQr("malformed") from error
    public = public_key_of(key_id)
    if public is None:
        raise UnreadableQr("unknown key")
    key = COSEKey.new({_KTY: _OKP, _KEY_ID: key_id, _KEY_ALG: _EDDSA, _CRV: _ED25519,
                       _X: bytes(public)})
    try:
        content = cbor2.loads(COSE.new().decode(message, key))
        number, total, series = content.get(ISSUE, (1, 1, content[CODE]))
        return QrPrescription(
            key_id=key_id, code=content[CODE], series=series, issue_number=number,
            issues_total=total, patient=content[SUBJECT], facility=content[ISSUER],
            diagnosis=content[DIAGNOSIS], available_from=_day(content[NOT_BEFORE]),
            valid_until=_day(content[EXPIRES]),
            items=tuple((atc, strength, quantity) for atc, strength, quantity
                        in content[ITEMS]))
    except (CWTError, ValueError, TypeError, KeyError, IndexError,
            cbor2.CBORDecodeError) as error:
        raise UnreadableQr("signature or content invalid") from error
