"""How the results inbox holds up when one clinician has 10,000 results waiting.

    DJANGO_DEBUG=1 DATABASE_URL=postgres://postgres@127.0.0.1:5432/dmed_bench \\
        .venv/bin/python bench/inbox.py --notices 10000 --others 100000

Works in its own database (created and migrated when missing; the name must contain
"bench"), seeds the demo world once, and tops the demo `doctor`'s unacknowledged inbox up
to --notices results (one in a hundred critical), and --others entries of 50 other
clinicians around them. Then it times, --reads times each: the first page's query
(critical first, newest first: the `inbox_open` index), a page deep in the keyset, the
home panel (first rows and counts), and the whole first page through
`inbox.selectors.inbox` with its audit rows; prints median and p95 in milliseconds and
the EXPLAIN (ANALYZE, BUFFERS) plan of the first page. Target: the page's query under
50 ms. It prints; it asserts nothing.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
import uuid
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from patients_lookup import ensure_world, setup_django  # noqa: E402

WARM_UP = 10


def top_up(owner, wanted: int, tag: str, batch: int = 5000) -> None:
    """Unacknowledged result notices in `owner`'s inbox, made in bulk the way the consumer
    makes them one by one (an event, its notice, the entry)."""
    from django.db import transaction
    from django.utils import timezone

    from inbox.models import InboxEntry, Notice, NoticeKind, Reason
    from outbox.models import Event

    have = InboxEntry.objects.filter(recipient=owner, acknowledged=False).count()
    if have >= wanted:
        return
    print(f"{owner.username}: {have:,} waiting, adding {wanted - have:,}…")
    now = timezone.now()
    for offset in range(have, wanted, batch):
        size = min(batch, wanted - offset)
        with transaction.atomic():
            events = Event.objects.bulk_create([
                Event(kind="lab.result_released", relayed_at=now,
                      payload={"bench": tag},
                      dedupe_key=f"bench:{tag}:{owner.pk}:{offset + i}") for i in range(size)])
            notices = Notice.objects.bulk_create([
                Notice(event=event, kind=NoticeKind.RESULT, subject=str(uuid.uuid4()),
                       med_id="0000000000", patient=f"Bench Bemor {offset + i}",
                       details={"test": {"uz": "Kaliy", "ru": "Калий", "en": "Potassium"},
                                "test_code": "K", "value": "4.1", "unit": "mmol/L",
                                "flag": "normal", "version": 1},
                       critical=(offset + i) % 100 == 0,
                       occurred_at=now - timedelta(minutes=offset + i))
                for i, event in enumerate(events)])
            InboxEntry.objects.bulk_create([
                InboxEntry(notice=notice, recipient=owner, reason=Reason.ORDERED,
                           critical=notice.critical, occurred_at=notice.occurred_at)
                for notice in notices])


def timed(label: str, run, reads: int) -> None:
    for _ in range(WARM_UP):
        run()
    times = []
    for _ in range(reads):
        started = time.perf_counter()
        run()
        times.append((time.perf_counter() - started) * 1000)
    times.sort()
    print(f"{label:<44} median {statistics.median(times):7.2f} ms   "
          f"p95 {times[int(len(times) * 0.95) - 1]:7.2f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--notices", type=int, default=10_000)
    parser.add_argument("--others", type=int, default=100_000)
    parser.add_argument("--reads", type=int, default=200)
    args = parser.parse_args()
    setup_django()
    ensure_world(1)

    from django.db import connection

    from dmed.models import User
    from dmed.paging import keyset_page
    from dmed.roles import Role
    from inbox import selectors

    doctor = User.objects.get(username="doctor")
    top_up(doctor, args.notices, "doctor")
    for number in range(50):
        other, _ = User.objects.get_or_create(username=f"bench-inbox-{number}",
                                              defaults={"role": Role.CLINICIAN})
        top_up(other, args.others // 50, "others")
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE inbox_inboxentry; ANALYZE inbox_notice")

    def first_page():
        return keyset_page(selectors._open_entries(doctor), order=selectors.ORDER)

    deep_cursor = None
    for _ in range(40):  # 40 pages in: a thousand rows deep
        deep_cursor = keyset_page(selectors._open_entries(doctor), order=selectors.ORDER,
                                  cursor=deep_cursor).next_cursor

    print(f"\n{doctor.username}: "
          f"{selectors.inbox_panel(doctor, seen={}).waiting:,} unacknowledged\n")
    timed("inbox page query (first page, 25 rows)", first_page, args.reads)
    timed("inbox page query (page 41, keyset)",
          lambda: keyset_page(selectors._open_entries(doctor), order=selectors.ORDER,
                              cursor=deep_cursor), args.reads)
    timed("home panel (5 rows, counts, audit rows)",
          lambda: selectors.inbox_panel(doctor, seen={}), args.reads)
    timed("inbox selector with its audit rows",
          lambda: selectors.inbox(doctor, seen={}), args.reads)

    query = selectors._open_entries(doctor).order_by(*selectors.ORDER)[:26].query
    sql, params = query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {sql}", params)
        print("\nEXPLAIN (ANALYZE, BUFFERS), first page:")
        print("\n".join(row[0] for row in cursor.fetchall()))


if __name__ == "__main__":
    main()
