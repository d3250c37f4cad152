"""Outgoing HTTP for consumers (SMS gateway, Telegram, pharmacy webhooks): one POST with
a timeout that turns every kind of failure into one exception the outbox retries."""

from __future__ import annotations

import json
import urllib.error
import urllib.request

from django.conf import settings


class ProviderError(Exception):
    """The other side refused, failed or did not answer in time; the text says how."""


def post_json(url: str, body: dict | bytes, *, headers: dict | None = None,
              timeout: float | None = None) -> str:
    """POST a JSON body (a dict, or bytes already encoded, e.g. signed); the answer as
    "<status> <body>", or ProviderError."""
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    request = urllib.request.Request(  # noqa: S310 — URLs come from settings or registration
        url, data=data, method="POST",
        headers={"Content-Type": "application/json", **(headers or {})},
    )
    try:
        with urllib.request.urlopen(  # noqa: S310
                request, timeout=timeout or settings.NOTIFY_HTTP_TIMEOUT) as response:
            return f"{response.status} {response.read(500).decode(errors='replace')}"
    except urllib.error.HTTPError as exc:
        raise ProviderError(f"{exc.code} {exc.read(500).decode(errors='replace')}") from exc
    except (urllib.error.URLError, TimeoutError, OSError, ValueError) as exc:
        raise ProviderError(f"no answer: {exc}") from exc
