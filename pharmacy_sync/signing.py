"""The webhook signature, the one check both sides run.

Every POST carries `X-DMED-Timestamp` (Unix seconds) and `X-DMED-Signature:
sha256=<hex>`, the HMAC-SHA256 with the pharmacy's secret over the timestamp, a dot and
the raw body. A receiver recomputes it over the bytes it received, compares in constant
time, and refuses a timestamp more than five minutes from its clock (a replay).
"""

from __future__ import annotations

import hashlib
import hmac
import time

TIMESTAMP_HEADER = "X-DMED-Timestamp"
SIGNATURE_HEADER = "X-DMED-Signature"
TOLERANCE_SECONDS = 300


def signature(secret: str, timestamp: int, body: bytes) -> str:
    mac = hmac.new(secret.encode(), str(timestamp).encode() + b"." + body, hashlib.sha256)
    return f"sha256={mac.hexdigest()}"


def verify(secret: str, timestamp: str, signed: str, body: bytes, *,
           now: float | None = None) -> bool:
    """The receiver's check: the signature matches and the timestamp is fresh."""
    try:
        moment = int(timestamp)
    except (TypeError, ValueError):
        return False
    if abs((time.time() if now is None else now) - moment) > TOLERANCE_SECONDS:
        return False
    return hmac.compare_digest(signature(secret, moment, body), signed or "")
