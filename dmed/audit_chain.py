"""Walks the audit hash chains (migration 0004) and finds the first place one is broken."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.db import connection
from django.utils.translation import gettext as _

# One statement, so rows and heads (which commit together) are read in one snapshot.
_VERIFY = """
WITH chained AS (
    SELECT e.chain_day, e.chain_stripe, e.chain_seq, e.chain_hash, e.id,
           -- Each row against the one before it in its chain: its place must follow, and its
           -- hash must link the previous hash (the chain's genesis for the first) to itself.
           CASE
               WHEN e.chain_seq <> coalesce(lag(e.chain_seq) OVER chain, 0) + 1 THEN 'gap'
               WHEN e.chain_hash <> dmed_audit_chain_link(
                        coalesce(lag(e.chain_hash) OVER chain,
                                 dmed_audit_chain_genesis(e.chain_day, e.chain_stripe)),
                        e) THEN 'hash'
           END AS problem,
           row_number() OVER (PARTITION BY e.chain_day, e.chain_stripe
                              ORDER BY e.chain_seq DESC) AS from_end
    FROM dmed_auditevent e
    WHERE %(day)s::date IS NULL OR e.chain_day = %(day)s::date
    WINDOW chain AS (PARTITION BY e.chain_day, e.chain_stripe ORDER BY e.chain_seq)
),
broken_row AS (
    SELECT chain_day, chain_stripe, chain_seq, id, problem FROM chained
    WHERE problem IS NOT NULL ORDER BY chain_day, chain_stripe, chain_seq LIMIT 1
),
-- Each chain's head against its newest row, both ways: rows removed from a chain's end, or
-- a chain whose head is gone.
broken_end AS (
    SELECT coalesce(head.day, tail.chain_day) AS day,
           coalesce(head.stripe, tail.chain_stripe) AS stripe,
           head.last_seq, tail.chain_seq
    FROM (SELECT * FROM dmed_auditchainhead
          WHERE %(day)s::date IS NULL OR day = %(day)s::date) head
    FULL JOIN (SELECT * FROM chained WHERE from_end = 1) tail
        ON tail.chain_day = head.day AND tail.chain_stripe = head.stripe
    WHERE head.last_seq IS DISTINCT FROM tail.chain_seq
       OR head.last_hash IS DISTINCT FROM tail.chain_hash
    ORDER BY 1, 2 LIMIT 1
)
SELECT (SELECT count(*) FROM chained), (SELECT count(*) FROM chained WHERE from_end = 1),
       broken_row.*, broken_end.*
FROM (SELECT 1) one
LEFT JOIN broken_row ON true
LEFT JOIN broken_end ON true
"""


@dataclass(frozen=True)
class ChainBreak:
    day: date
    stripe: int
    place: int | None
    event_id: int | None
    kind: str  # "gap": a row removed; "hash": a row changed; "end": the chain's end removed
    problem: str

    def describe(self) -> str:
        where = _("chain %(day)s/%(stripe)s") % {"day": self.day, "stripe": self.stripe}
        if self.event_id is not None:
            where += ", " + _("place %(place)s (audit event %(id)s)") % {
                "place": self.place, "id": self.event_id}
        return f"{where}: {self.problem}"


@dataclass(frozen=True)
class ChainReport:
    events: int
    chains: int
    first_break: ChainBreak | None


def verify_audit_chains(*, day: date | None = None) -> ChainReport:
    """Every chain (or one day's) checked row by row, and at its end against its head."""
    with connection.cursor() as cursor:
        cursor.execute(_VERIFY, {"day": day})
        (events, chains, row_day, row_stripe, place, event_id, problem,
         end_day, end_stripe, head_place, tail_place) = cursor.fetchone()
    first_break = None
    if problem:
        first_break = ChainBreak(row_day, row_stripe, place, event_id, problem, {
            "gap": _("a row is missing before this one"),
            "hash": _("the row or the one before it was changed"),
        }[problem])
    elif end_day:
        first_break = ChainBreak(end_day, end_stripe, tail_place, None, "end", _(
            "the chain ends at place %(tail)s but its head says %(head)s"
        ) % {"tail": tail_place or 0, "head": head_place or 0})
    return ChainReport(events=events, chains=chains, first_break=first_break)
