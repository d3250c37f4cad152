"""Consumers: what the portal does with an event, registered by name in each app's
`consumers.py`.

A consumer names the event kinds it takes, how an event splits into targets (one
delivery per recipient or pharmacy, so none is handled twice for the same one), and
how one target is handled. `handle` runs inside the delivery's transaction with the
delivery row locked: its writes commit only with the delivery's "done". It raises
`Defer` to wait (quiet hours, rate limits) without spending an attempt, and `Failed`
for a failed attempt whose record (a delivery log, a provider's answer) must be kept;
both keep the consumer's writes. Any other exception is a failed attempt whose writes
are undone. Failed attempts are retried with backoff.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime

from outbox.kinds import KINDS


class Defer(Exception):  # noqa: N818 — a request to wait, not an error
    """Try this delivery again at `until`, without counting an attempt."""

    def __init__(self, until: datetime, reason: str):
        super().__init__(reason)
        self.until = until
        self.reason = reason


class Failed(Exception):  # noqa: N818 — an outcome the consumer has recorded
    """This attempt failed; keep what the consumer wrote about it and retry later."""


def _one_target(event) -> Iterable[str]:
    return [""]


@dataclass(frozen=True)
class Consumer:
    name: str
    kinds: frozenset[str]
    handle: Callable
    targets: Callable = _one_target


_consumers: dict[str, Consumer] = {}


def consumer(name: str, *, kinds: Iterable[str], targets: Callable | None = None):
    """Register the decorated `handle(event, target)` as the consumer `name`."""
    kinds = frozenset(kinds)
    unknown = kinds - KINDS
    if unknown:
        raise ValueError(f"unknown event kinds: {sorted(unknown)}")

    def register(handle: Callable) -> Callable:
        _consumers[name] = Consumer(name, kinds, handle, targets or _one_target)
        return handle

    return register


def unregister(name: str) -> None:
    _consumers.pop(name, None)


def consumers_for(kind: str) -> list[Consumer]:
    return [c for c in _consumers.values() if kind in c.kinds]


def consumer_named(name: str) -> Consumer | None:
    return _consumers.get(name)
