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

A busy consumer may also give `targets_many(events)` (the targets of many events from
one read, for the relay) and `handle_many(items)` (many first attempts in one
transaction: a list of (event, target) in, a list of outcomes out, each None for done or
the Defer or Failed it would have raised). Any other exception from `handle_many` undoes
the whole batch, and each of its deliveries is then handled on its own by `handle`, so
one bad delivery still spoils no other.
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
    targets_many: Callable | None = None
    handle_many: Callable | None = None

    def targets_of(self, events: list) -> list[Iterable[str]]:
        """Each event's targets, in the events' order."""
        if self.targets_many is not None:
            return self.targets_many(events)
        return [self.targets(event) for event in events]


_consumers: dict[str, Consumer] = {}


def consumer(name: str, *, kinds: Iterable[str], targets: Callable | None = None,
             targets_many: Callable | None = None, handle_many: Callable | None = None):
    """Register the decorated `handle(event, target)` as the consumer `name`."""
    kinds = frozenset(kinds)
    unknown = kinds - KINDS
    if unknown:
        raise ValueError(f"unknown event kinds: {sorted(unknown)}")

    def register(handle: Callable) -> Callable:
        _consumers[name] = Consumer(name, kinds, handle, targets or _one_target,
                                    targets_many, handle_many)
        return handle

    return register


def unregister(name: str) -> None:
    _consumers.pop(name, None)


def consumers_for(kind: str) -> list[Consumer]:
    return [c for c in _consumers.values() if kind in c.kinds]


def consumer_named(name: str) -> Consumer | None:
    return _consumers.get(name)
