"""The portal's hot paths through HTTP against the floor, measured the same way in one run.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/dmed_bench_http \\
        .venv/bin/python bench/http_floor.py --rounds 3 --duration 15

Both under gunicorn with 2 sync workers, driven by `wrk -t2 -c16`: the floor by
`../shared/perf-floor/run.sh` (Django and one primary-key read of a table of 1,000,000
cards), the portal here, with production settings (debug off, persistent connections, the
Redis cache) on a database filled by `bench/patients_lookup.py`. Each round runs the floor,
then every portal endpoint asked for, so every ratio compares figures taken minutes apart:

- card: GET /api/v1/patients/<MED-ID>/ as the demo doctor with an API token (token check,
  scope check, need-to-know, the answer, its audit row), random cards of their polyclinic;
- verify: GET /api/v1/pharmacy/prescriptions/<code>/?patient_check=… with a pharmacy's API
  key (key, patient check, signature check, audit row), random open prescriptions;
- dispense: POST …/dispense/ one tablet with a fresh Idempotency-Key (row locks, the
  dispensing, the outbox event, the audit row);
- mix: verify and dispense alternating, as a pharmacy works;
- fhir: GET /fhir/Patient?identifier=<PINFL system>|<PINFL> with a client-credentials token
  of a system registered for the doctor's polyclinic (token, registration, scope check,
  the search, the UZ Core Patient in a Bundle, its audit row).

With `--ceiling`, each round also runs the ceiling (bench/ceiling/): the floor's Django,
no middleware, replaying the exact statements the portal sent for one recorded card read
and one verify, with each request's own MED-ID or code, in the same transactions (audit
row, chain trigger and commits included). Its ratio is the most any rewriting of the
portal's Python could reach while keeping every rule; the gap between it and the portal is
what the Python side costs. Dispense is not replayed: its writes cannot repeat (idempotency
keys, quantities left). With `--without-flush` as well, a second ceiling replays the same
statements with commits that do not wait for the disk (synchronous_commit off in that
server only): the gap between the two ceilings is what this machine's disk flush costs.
The ceilings also replay `least`: the FHIR read by PINFL reduced to the least database work
the rules allow, one statement that reads the card if attached to the client's facility and
inserts its audit row, committed on its own. No design that keeps a chained audit row for
every read, in the read's transaction, beats its ratio on this machine; `unchained` does the
same into a copy of the trail without the chain's trigger (created in the bench database),
the bound of a design that chained the rows later in batches.

Prints requests/s, p50/p99 latency and the ratio to the floor's card read for each round,
then each kind's median ratio. Any answer other than 200/201 is counted and shown: a round
with failures measures nothing.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from patients_lookup import HOME_POLYCLINIC, ROOT, memory_kb, setup_django  # noqa: E402

FLOOR = ROOT.parent / "shared" / "perf-floor" / "run.sh"
PORT = 58100
CEILING_PORT = 58200
UNFLUSHED_CEILING_PORT = 58300
CEILING_KINDS = ("card", "verify", "fhir")
# Replayed by the ceilings: the recorded kinds and the least an audited FHIR read can send.
REPLAYED = (*CEILING_KINDS, "least", "unchained")
PRESCRIPTIONS = 2000  # spread dispensings so that row locks rarely meet
KINDS = ("card", "verify", "dispense", "mix", "fhir")
# The production process's settings: debug off, its own secrets, the cache and hosts.
PRODUCTION_ENV = {
    "DJANGO_DEBUG": "0",
    "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
    "DJANGO_SECRET_KEY": secrets.token_urlsafe(40),
    # The set-up signs prescriptions and issues the token under these, in this process.
    "PRESCRIBER_KEY_SECRET": "bench-prescriber-key-secret-of-32-characters-at-least",
    # One FHIR token for the whole run (issued in the set-up).
    "FHIR_ACCESS_TOKEN_SECONDS": "7200",
}

# wrk: each request takes the next line of PATHS (method, path, patient check) at random.
LUA = r"""
local lines = {}
for line in io.lines(os.getenv("PATHS")) do lines[#lines + 1] = line end
local auth = os.getenv("AUTH")
math.randomseed(os.time() + tonumber(tostring({}):sub(8), 16))
local function key()
  return string.format("%08x-%04x-4%03x-a%03x-%012x", math.random(0, 0xffffffff),
    math.random(0, 0xffff), math.random(0, 0xfff), math.random(0, 0xfff),
    math.random(0, 0xffffffffffff))
end
request = function()
  local method, path, check = lines[math.random(#lines)]:match("(%S+) (%S+) ?(%S*)")
  local headers = {["Authorization"] = auth, ["X-Forwarded-Proto"] = "https",
                   ["Accept-Language"] = "uz"}
  if method == "POST" then
    headers["Content-Type"] = "application/json"
    headers["Idempotency-Key"] = key()
    return wrk.format("POST", path, headers,
      '{"patient_check": "' .. check .. '", "items": [{"item": 1, "quantity": 1}]}')
  end
  return wrk.format("GET", path, headers)
end
"""


def ensure_prescriptions() -> list[tuple[str, str]]:
    """(code, patient check) of open prescriptions with plenty left to dispense."""
    from django.conf import settings
    from django.core.management import call_command

    from dmed.models import User
    from patients.models import PatientCard
    from prescriptions.models import Drug, Prescription
    from prescriptions.services import issue_prescription

    if not User.objects.filter(username="doctor").exists():
        settings.DEMO_PASSWORD = secrets.token_urlsafe(24)  # nobody signs in here
        call_command("seed_demo", verbosity=0)
    doctor = User.objects.get(username="doctor")
    open_ones = list(Prescription.objects.filter(
        prescriber=doctor, status__in=["issued", "partially_dispensed"],
        items__quantity=10_000).select_related("patient")[:PRESCRIPTIONS])
    cards = list(PatientCard.objects.filter(family_doctor=doctor).exclude(pinfl="")[:500])
    drug = Drug.objects.get(inn="Metformin")
    rng = random.Random(5)
    while len(open_ones) < PRESCRIPTIONS:
        card = rng.choice(cards)
        issued = issue_prescription(actor=doctor, patient=card.med_id, diagnosis="E11.9",
                                    acknowledge_allergies=True,
                                    items=[{"drug": drug.pk, "quantity": 10_000,
                                            "dosage": "1 tablet"}])
        issued.patient = card
        open_ones.append(issued)
    return [(p.code, p.patient.pinfl[-4:]) for p in open_ones]


def prepare(kinds: list[str], workdir: Path) -> dict[str, tuple[Path, str]]:
    """For each kind: the file of request lines and the Authorization header."""
    from dmed.api.tokens import issue_token
    from dmed.models import User
    from patients.models import PatientCard
    from prescriptions.services import create_pharmacy_api_key
    from registry.models import Facility, FacilityKind

    def lines_file(kind: str, lines: list[str]) -> Path:
        path = workdir / f"{kind}.txt"
        path.write_text("\n".join(lines) + "\n")
        return path

    prepared = {}
    if "card" in kinds:
        doctor = User.objects.get(username="doctor")
        med_ids = list(PatientCard.objects.filter(attached_facility__code=HOME_POLYCLINIC)
                       .values_list("med_id", flat=True)[:20_000])
        if not med_ids:
            raise SystemExit("No cards at the doctor's polyclinic: run bench/patients_lookup.py")
        _token, key = issue_token(doctor)
        prepared["card"] = (lines_file("card", [f"GET /api/v1/patients/{m}/" for m in med_ids]),
                            f"Token {key}")
    if {"verify", "dispense", "mix"} & set(kinds):
        pairs = ensure_prescriptions()
        pharmacy = Facility.objects.filter(kind=FacilityKind.PHARMACY).order_by("code").first()
        _key, plain = create_pharmacy_api_key(pharmacy=pharmacy, name="bench http")
        verify = [f"GET /api/v1/pharmacy/prescriptions/{code}/?patient_check={check}"
                  for code, check in pairs]
        dispense = [f"POST /api/v1/pharmacy/prescriptions/{code}/dispense/ {check}"
                    for code, check in pairs]
        mix = [line for pair in zip(verify, dispense, strict=True) for line in pair]
        for kind, lines in (("verify", verify), ("dispense", dispense), ("mix", mix)):
            prepared[kind] = (lines_file(kind, lines), f"Api-Key {plain}")
    if "fhir" in kinds:
        prepared["fhir"] = (lines_file("fhir", fhir_lines()), f"Bearer {fhir_token()}")
    return prepared


def fhir_lines() -> list[str]:
    from urllib.parse import quote

    from fhir.identifiers import PINFL
    from patients.models import PatientCard

    pinfls = (PatientCard.objects.filter(attached_facility__code=HOME_POLYCLINIC)
              .exclude(pinfl="").values_list("pinfl", flat=True)[:20_000])
    return [f"GET /fhir/Patient?identifier={quote(PINFL.system + '|' + pinfl, safe='')}"
            for pinfl in pinfls]


def fhir_token() -> str:
    """A client-credentials token, asked of the token endpoint, for a system client of the
    doctor's polyclinic (the demo polyclinic system's account) that may search patients."""
    from django.core.management import call_command
    from django.test import Client
    from oauth2_provider.models import get_application_model

    from fhir.services import register_client
    from registry.models import Facility

    call_command("demo_fhir_clients", verbosity=0)
    account = get_application_model().objects.get(client_id="demo-polyclinic-system").user
    secret = secrets.token_urlsafe(24)
    register_client(name="bench http", account=account, client_id="bench-http",
                    facility=Facility.objects.get(code=HOME_POLYCLINIC),
                    scopes=["system/Patient.rs"], client_secret=secret)
    answer = Client(HTTP_HOST="127.0.0.1", HTTP_X_FORWARDED_PROTO="https").post(
        "/o/token/", {"grant_type": "client_credentials", "client_id": "bench-http",
                      "client_secret": secret, "scope": "system/Patient.rs"})
    if answer.status_code != 200:
        raise SystemExit(f"no FHIR token: {answer.status_code} {answer.content[:200]}")
    return answer.json()["access_token"]


def _key(path: str) -> str:
    """The MED-ID, code or PINFL a request line is about: the identifier searched for, or
    the path's last segment."""
    where, _mark, query = path.partition("?")
    if query.startswith("identifier="):
        return query.rsplit("%7C", 1)[1]
    return where.rstrip("/").rsplit("/", 1)[1]


class _Recorder:
    """A connection's execute wrapper keeping each statement's text with its parameters,
    grouped by the outermost atomic block it ran in (None: a transaction of its own)."""

    def __init__(self, connection):
        self.connection = connection
        self.transactions: list[tuple[bool, list[str]]] = []
        self.block = None

    def __call__(self, execute, sql, params, many, context):
        connection = self.connection
        block = connection.atomic_blocks[0] if connection.in_atomic_block else None
        if block is None or block is not self.block:
            self.transactions.append((block is not None, []))
        self.block = block
        self.transactions[-1][1].append(connection.ops.compose_sql(sql, params))
        return execute(sql, params, many, context)


def record_statements(prepared: dict, workdir: Path) -> Path:
    """The statements one warm request of each ceiling kind sends, grouped by transaction
    (statements outside any are each their own), as bench/ceiling/urls.py replays them."""
    from django.db import connection
    from django.test import Client

    client = Client(HTTP_HOST="127.0.0.1", HTTP_X_FORWARDED_PROTO="https",
                    HTTP_ACCEPT_LANGUAGE="uz")
    recorded = {}
    for kind in CEILING_KINDS:
        lines_path, auth = prepared[kind]
        _method, path = lines_path.read_text().split("\n", 1)[0].split(" ", 1)
        key = _key(path)
        # Warm, as a running worker is: the token, key and staff record are then reused.
        client.get(path, HTTP_AUTHORIZATION=auth)
        recorder = _Recorder(connection)
        with connection.execute_wrapper(recorder):
            response = client.get(path, HTTP_AUTHORIZATION=auth)
        if response.status_code != 200:
            raise SystemExit(f"recording {kind}: {response.status_code}")
        transactions = recorder.transactions
        recorded[kind] = {"key": key, "transactions": transactions}
        print(f"recorded {kind}: {sum(len(s) for _a, s in transactions)} statements in "
              f"{len(transactions)} transactions", flush=True)
        (workdir / f"ceiling-{kind}.txt").write_text(
            "".join(f"GET /{kind}/{_key(line.split()[1])}\n"
                    for line in lines_path.read_text().splitlines()))
    recorded["least"], recorded["unchained"] = least_audited_reads(recorded["fhir"]["key"])
    for kind in ("least", "unchained"):
        (workdir / f"ceiling-{kind}.txt").write_text(
            (workdir / "ceiling-fhir.txt").read_text().replace("GET /fhir/", f"GET /{kind}/"))
    path = workdir / "ceiling.json"
    path.write_text(json.dumps(recorded))
    return path


# The FHIR read by PINFL with no more database work than the rules demand: the card if it is
# attached to the client's facility (the narrowest scope branch), and its audit row, in one
# statement that commits on its own (one round trip, one commit, the chain trigger).
LEAST_AUDITED_READ = """
WITH card AS (
    SELECT * FROM patients_patientcard
    WHERE pinfl = %(pinfl)s AND attached_facility_id = %(facility)s AND merged_into_id IS NULL),
audit AS (
    INSERT INTO dmed_auditevent (occurred_at, actor_id, actor_role, facility_code, action,
                                 object_type, object_id, patient_med_id, reason, allowed,
                                 break_glass, user_agent)
    SELECT now(), %(actor)s, %(role)s, %(facility_code)s, 'search', 'patients.card', med_id,
           med_id, %(pinfl)s, true, false, '' FROM card)
SELECT * FROM card
"""


UNCHAINED_AUDIT = "bench_unchained_auditevent"


def least_audited_reads(pinfl: str) -> tuple[dict, dict]:
    """`least` and `unchained`, replayed as the recorded kinds are. No design that writes a
    chained audit row for each read, in the read's transaction, sends less than `least`;
    `unchained` writes the row into a copy of the trail without the chain's trigger and
    check (its indexes kept): the bound of a design that chained the rows later, in batches."""
    from django.db import connection
    from oauth2_provider.models import get_application_model

    from registry.models import Facility

    account = get_application_model().objects.get(client_id="bench-http").user
    facility = Facility.objects.get(code=HOME_POLYCLINIC)
    statement = connection.ops.compose_sql(LEAST_AUDITED_READ, {
        "pinfl": pinfl, "facility": facility.pk, "actor": account.pk, "role": account.role,
        "facility_code": facility.code})
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE TABLE IF NOT EXISTS {UNCHAINED_AUDIT} "
                       "(LIKE dmed_auditevent INCLUDING ALL EXCLUDING CONSTRAINTS)")
    unchained = statement.replace("INSERT INTO dmed_auditevent", f"INSERT INTO {UNCHAINED_AUDIT}")
    return ({"key": pinfl, "transactions": [(False, [statement])]},
            {"key": pinfl, "transactions": [(False, [unchained])]})


def wrk(url: str, duration: int, env: dict | None = None, script: Path | None = None) -> dict:
    command = ["wrk", "-t2", "-c16", f"-d{duration}s", "--latency"]
    command += ["-s", str(script)] if script else []
    output = subprocess.run([*command, url], capture_output=True, text=True,  # noqa: S603
                            check=True, env={**os.environ, **(env or {})}).stdout
    return parse_wrk(output)


def parse_wrk(output: str) -> dict:
    def latency(percent: str) -> str:
        found = re.search(rf"^\s+{percent}%\s+(\S+)", output, re.M)
        return found.group(1) if found else "?"

    failed = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    return {"rps": float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1)),
            "p50": latency("50"), "p99": latency("99"),
            "failed": int(failed.group(1)) if failed else 0}


def floor_card_read(duration: int) -> dict:
    """The floor's "card by primary key" figures from its own script."""
    # Not this process's Django settings: the floor's wsgi module names its own.
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    output = subprocess.run(["/bin/bash", str(FLOOR), "1000000", str(duration)],  # noqa: S603
                            check=True, capture_output=True, text=True, env=env).stdout
    section = output.split("== card by primary key", 1)[1].split("==", 1)[0]
    return parse_wrk(section)


def start_gunicorn(module: str, port: int, cwd: Path, env: dict) -> subprocess.Popen:
    server = subprocess.Popen(  # noqa: S603
        [str(ROOT / ".venv" / "bin" / "gunicorn"), module, "-w", "2",
         "-b", f"127.0.0.1:{port}", "--log-level", "warning"], cwd=cwd, env=env)
    for _attempt in range(100):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return server
        except OSError:
            time.sleep(0.2)
    server.kill()
    raise SystemExit("gunicorn did not start")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--duration", type=int, default=15, help="seconds of each wrk run")
    parser.add_argument("--kinds", nargs="+", choices=KINDS, default=list(KINDS))
    parser.add_argument("--ceiling", action="store_true",
                        help="also replay the portal's statements in the floor's Django")
    parser.add_argument("--without-flush", action="store_true",
                        help="with --ceiling: also replay them with commits not waiting "
                             "for the disk")
    args = parser.parse_args()
    if args.ceiling and not set(CEILING_KINDS) <= set(args.kinds):
        parser.error(f"--ceiling needs the kinds {' '.join(CEILING_KINDS)}")
    if args.without_flush and not args.ceiling:
        parser.error("--without-flush needs --ceiling")
    # A token's check depends on the secret key: the set-up and the server share it. Debug
    # is on for the set-up only (seed_demo refuses production).
    os.environ.update({**PRODUCTION_ENV, "DJANGO_DEBUG": "1"})
    setup_django()
    workdir = Path(tempfile.mkdtemp(prefix="dmed-http-bench-"))
    script = workdir / "portal.lua"
    script.write_text(LUA)
    prepared = prepare(args.kinds, workdir)
    ceilings = record_statements(prepared, workdir) if args.ceiling else None
    from django.db import connections
    connections.close_all()

    ratios: dict[str, list[float]] = {kind: [] for kind in args.kinds}
    ceiling_env = {**os.environ, "CEILING_STATEMENTS": str(ceilings),
                   "DJANGO_SETTINGS_MODULE": "ceiling.settings"}
    # (label, port) of each ceiling server
    replays = ([("ceiling", CEILING_PORT)] if ceilings else []) + (
        [("unflushed", UNFLUSHED_CEILING_PORT)] if args.without_flush else [])
    servers = [start_gunicorn("ceiling.wsgi", port, ROOT / "bench",
                              {**ceiling_env, "CEILING_WITHOUT_FLUSH": "1"}
                              if label == "unflushed" else ceiling_env)
               for label, port in replays]
    for label, _port in replays:
        ratios.update({f"{label} {kind}": [] for kind in REPLAYED})
    server = start_gunicorn("dmed.wsgi", PORT, ROOT, {**os.environ, **PRODUCTION_ENV})
    servers.append(server)
    try:
        for number in range(1, args.rounds + 1):
            floor = floor_card_read(args.duration)
            print(f"round {number}: floor {floor['rps']:8.0f} req/s  p50 {floor['p50']:>8} "
                  f"p99 {floor['p99']:>8}", flush=True)
            for kind in args.kinds:
                paths, auth = prepared[kind]
                portal = wrk(f"http://127.0.0.1:{PORT}", args.duration,
                             {"PATHS": str(paths), "AUTH": auth}, script)
                ratio = portal["rps"] / floor["rps"]
                ratios[kind].append(ratio)
                print(f"         {kind:8} {portal['rps']:8.0f} req/s  p50 {portal['p50']:>8} "
                      f"p99 {portal['p99']:>8}  ratio {ratio:.3f}  "
                      f"failed {portal['failed']}", flush=True)
            for (label, port), kind in ((r, k) for r in replays for k in REPLAYED):
                replayed = wrk(f"http://127.0.0.1:{port}", args.duration,
                               {"PATHS": str(workdir / f"ceiling-{kind}.txt"), "AUTH": ""},
                               script)
                ratio = replayed["rps"] / floor["rps"]
                ratios[f"{label} {kind}"].append(ratio)
                print(f"         {label} {kind:8} {replayed['rps']:8.0f} req/s  "
                      f"p50 {replayed['p50']:>8} ratio {ratio:.3f}  "
                      f"failed {replayed['failed']}", flush=True)
        workers = Path(f"/proc/{server.pid}/task/{server.pid}/children").read_text().split()
        print("peak resident memory of the portal's gunicorn workers: " + ", ".join(
            f"{memory_kb(int(pid), 'VmHWM') / 1024:.0f} MB" for pid in workers))
    finally:
        for process in servers:
            process.send_signal(signal.SIGTERM)
            process.wait()
    for kind, values in ratios.items():
        print(f"median ratio {kind:8} {statistics.median(values):.3f} "
              f"({', '.join(f'{v:.3f}' for v in values)})")


if __name__ == "__main__":
    main()
