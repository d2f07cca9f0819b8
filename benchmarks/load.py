"""Load: a mixed day of an outbreak against a real `serment serve` loaded with a demo population,
driven by locust used as a library, with the server's memory sampled every second.

    python benchmarks/load.py [--seconds 120] [--users 16] [--people 5000] [--days 30]
                              [--postgresql URL] [--output DIR]

Clinicians report cases with contacts, labs send results (and now and then a CSV file), tracers list
their tasks, record call outcomes and open their queue page, epidemiologists read chains, clusters,
tiers, cases and the dashboard page. The reference, measured in the same run with the same locust
users, is GET /health of the same server. Writes DIR/load.md and DIR/load.json (default
benchmarks/results/). Run it as a script: locust monkey-patches the process with gevent on import.
"""

from __future__ import annotations

import argparse
import csv
import io
import itertools
import os
import platform
import random
import re
import secrets
import shlex
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections import Counter
from contextlib import closing
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import urlencode

import gevent
import locust
import psutil
from locust.contrib.fasthttp import FastHttpUser, ResponseContextManager
from locust.env import Environment
from locust.stats import StatsEntry

from benchmarks.load_report import Kind, Memory, Outcome, render
from benchmarks.summary import Headline, record, results_dir
from serment.demo.population import Population, generate_population
from serment.policy import load_policy

ROOT = Path(__file__).resolve().parent.parent
# `make bench` (quick): two minutes of mixed load on a 3,000-person demo; the defaults (full) hold ten.
QUICK_ARGS = ["--seconds", "120", "--people", "3000"]
PASSWORD = "load-benchmark-password"  # noqa: S105 (the demo accounts of a throwaway installation)
TODAY = datetime.now(UTC).date()
CONTACTS_PER_REPORT = 3
ROWS_PER_FILE = 10
POLICY = load_policy("fr-2020")
# The server runs fr-2020, which refuses some fields on a contact and on a result's person.
CONTACT_FIELDS = POLICY.may_carry("contact", "person")
RESULT_FIELDS = POLICY.may_carry("result", "person")
ACCOUNTS = {"clinician": "clinicien", "lab": "labo", "tracer": "traceur", "traceuse": "traceuse",
            "epidemiologist": "epidemio"}  # fmt: skip
CSRF = re.compile(r'name="csrf" value="([^"]+)"')
# What a real user meets and is not an error: a task another session of the same tracer just closed.
EXPECTED_4XX = {"outcome": {404, 409}}


@dataclass
class Plan:
    """What the users share: tokens, the people they report, and the 4xx they met as expected."""

    tokens: dict[str, str]
    population: Population
    expected: Counter[tuple[str, int]] = field(default_factory=Counter)
    _next: itertools.count[int] = field(default_factory=itertools.count)

    def people(self, count: int, fields: frozenset[str] | None = None) -> list[dict[str, object]]:
        """The next `count` people's identities (cycling: a person reported twice is found again)."""
        everyone = self.population.people
        chosen = [everyone[next(self._next) % len(everyone)] for _ in range(count)]
        payloads = [p.identity_payload(self.population.households[p.household]) for p in chosen]
        if fields is None:
            return payloads
        return [{name: value for name, value in one.items() if name in fields} for one in payloads]


def report_body(plan: Plan) -> dict[str, object]:
    """A confirmed case with a positive PCR and its household contacts."""
    person, *contacts = plan.people(1) + plan.people(CONTACTS_PER_REPORT, CONTACT_FIELDS)
    exposed = (TODAY - timedelta(days=random.randint(2, 5))).isoformat()
    return {
        "person": person,
        "case": {"status": "confirmed", "onset_date": (TODAY - timedelta(days=1)).isoformat()},
        "result": {"sample_date": TODAY.isoformat(), "test_type": "rt-pcr", "value": "positive"},
        "contacts": [
            {
                "person": contact,
                "exposure": {"date": exposed, "setting": random.choice(["household", "work"])},
            }
            for contact in contacts
        ],
    }


def results_body(plan: Plan) -> list[dict[str, object]]:
    """One to three results, mostly negative, as a lab's system sends them."""
    return [
        {
            "person": person,
            "sample_date": (TODAY - timedelta(days=1)).isoformat(),
            "test_type": random.choice(["rt-pcr", "antigen"]),
            "value": "positive" if random.random() < 0.1 else "negative",
        }
        for person in plan.people(random.randint(1, 3), RESULT_FIELDS)
    ]


def results_file(plan: Plan) -> bytes:
    """A lab's CSV export of ROWS_PER_FILE results (docs/imports.md)."""
    columns = ["nir", "family_name", "given_names", "birth_date", "sex", "phone", "sample_date",
               "test_type", "value"]  # fmt: skip
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(columns)
    for person in plan.people(ROWS_PER_FILE, RESULT_FIELDS):
        row = {**person, "sample_date": TODAY.isoformat(), "test_type": "rt-pcr", "value": "negative"}
        writer.writerow([row.get(column, "") for column in columns])
    return out.getvalue().encode()


def settle(plan: Plan, kind: str, response: ResponseContextManager) -> None:
    """Mark the answer: 2xx succeeds, an expected 4xx succeeds and is counted, anything else fails."""
    status = response.status_code
    if 200 <= status < 300:
        response.success()
    elif status in EXPECTED_4XX.get(kind, set()):
        plan.expected[(kind, status)] += 1
        response.success()
    else:
        response.failure(f"HTTP {status}: {(response.text or '')[:120]}")


class Role(FastHttpUser):
    """A user of the platform with an API token; `plan` is set before the run."""

    abstract = True
    plan: ClassVar[Plan]
    account: ClassVar[str] = ""

    def on_start(self) -> None:
        self.headers = {"Authorization": f"Bearer {self.plan.tokens[self.account]}"}

    def call(self, kind: str, method: str, path: str, **options: Any) -> Any:
        """One API request, named by its kind in the statistics; the JSON answer or None."""
        headers = {**self.headers, **options.pop("headers", {})}
        with self.client.request(method, path, name=kind, headers=headers, catch_response=True,
                                 **options) as response:  # fmt: skip
            settle(self.plan, kind, response)
            return response.json() if response.status_code == 200 else None

    def sign_in(self, name: str) -> None:
        """Open a web session as a browser does: the form's CSRF token, then the password."""
        form = self.client.get("/sign-in", name="sign-in form")
        found = CSRF.search(form.text or "")
        fields = {"name": name, "password": PASSWORD, "next": "/", "csrf": found.group(1) if found else ""}
        with self.client.post(
            "/sign-in", data=urlencode(fields), name="sign-in", allow_redirects=False, catch_response=True,
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        ) as answer:  # fmt: skip
            if answer.status_code != 303:
                answer.failure(f"sign-in answered {answer.status_code}")

    def page(self, kind: str, path: str) -> None:
        """An HTML page of the signed-in session."""
        with self.client.get(path, name=kind, headers={"Accept": "text/html"}, catch_response=True) as page:
            settle(self.plan, kind, page)


class Clinician(Role):
    """A GP or hospital declaring confirmed cases with their contacts: the day's busiest writers."""

    weight = 4
    account = ACCOUNTS["clinician"]

    @locust.task
    def report(self) -> None:
        self.call("report", "POST", "/api/v1/reports", json=report_body(self.plan))


class Lab(Role):
    """A laboratory sending results one request at a time, and a file now and then."""

    weight = 4
    account = ACCOUNTS["lab"]

    @locust.task(12)
    def result(self) -> None:
        self.call("result", "POST", "/api/v1/results", json=results_body(self.plan))

    @locust.task(1)
    def import_file(self) -> None:
        self.call("import", "POST", "/api/v1/imports", data=results_file(self.plan),
                  headers={"Content-Type": "text/csv"})  # fmt: skip


class Tracer(Role):
    """A tracer working through their calls: list, record an outcome, look at the queue page."""

    weight = 3
    turn: ClassVar[itertools.count[int]] = itertools.count()

    def on_start(self) -> None:
        # The demo's two tracers share the calls round robin: half the users act for each.
        self.account = [ACCOUNTS["tracer"], ACCOUNTS["traceuse"]][next(Tracer.turn) % 2]
        super().on_start()
        self.sign_in(self.account)
        self.open: list[str] = []

    @locust.task(3)
    def list_tasks(self) -> None:
        listed = self.call("tasks", "GET", "/api/v1/tracing/tasks?limit=50")
        self.open = [item["id"] for item in (listed or {}).get("items", [])]

    @locust.task(4)
    def outcome(self) -> None:
        if not self.open:
            self.list_tasks()
            return
        task = self.open.pop(random.randrange(len(self.open)))
        reached = random.random() < 0.7
        body = {"result": "reached", "consent": True} if reached else {"result": "no_answer"}
        self.call("outcome", "POST", f"/api/v1/tracing/tasks/{task}/outcome", json=body)

    @locust.task(1)
    def queue(self) -> None:
        self.page("queue page", "/tracer/queue")


class Epidemiologist(Role):
    """An epidemiologist refreshing dashboards: fewer requests, each reading much."""

    weight = 1
    account = ACCOUNTS["epidemiologist"]

    def on_start(self) -> None:
        super().on_start()
        self.sign_in(self.account)

    @locust.task
    def chains(self) -> None:
        self.call("chains", "GET", "/api/v1/tracing/chains?limit=50")

    @locust.task
    def clusters(self) -> None:
        self.call("clusters", "GET", "/api/v1/tracing/clusters")

    @locust.task
    def tiers(self) -> None:
        self.call("tiers", "GET", "/api/v1/tracing/tiers")

    @locust.task
    def cases(self) -> None:
        self.call("cases", "GET", "/api/v1/cases?limit=100")

    @locust.task
    def dashboard(self) -> None:
        self.page("dashboard page", "/epi/dashboard")


class Health(Role):
    """The reference: the same harness asking the cheapest question the server answers."""

    account = ACCOUNTS["epidemiologist"]

    @locust.task
    def health(self) -> None:
        self.call("health", "GET", "/health")


MIX: list[type[Role]] = [Clinician, Lab, Tracer, Epidemiologist]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _environment(database_url: str | None) -> dict[str, str]:
    chosen = {k: v for k, v in os.environ.items() if not k.startswith("SERMENT_")}
    chosen.update(SERMENT_DEMO_PASSWORD=PASSWORD, SERMENT_LOG_LEVEL="warning")
    if database_url:
        chosen["SERMENT_DATABASE_URL"] = database_url
    return chosen


def load_demo(data_dir: Path, environment: dict[str, str], people: int, days: int) -> dict[str, str]:
    """`serment demo --no-serve`: the outbreak and every role's account; the API tokens it prints
    (fresh, valid a day), by account name, with `serment token create` for any it did not print."""
    demo = subprocess.run(
        [sys.executable, "-m", "serment", "demo", "--data-dir", str(data_dir), "--no-serve",
         "--people", str(people), "--days", str(days)],
        env=environment, capture_output=True, text=True, check=False, timeout=3600,
    )  # fmt: skip
    if demo.returncode != 0:
        raise SystemExit(f"serment demo failed:\n{demo.stdout[-2000:]}\n{demo.stderr[-2000:]}")
    printed = dict(re.findall(r"export SERMENT_TOKEN_(\w+)=(srm_\S+)", demo.stdout))
    tokens = {}
    for role, account in ACCOUNTS.items():
        tokens[account] = printed.get(role.upper()) or _token(data_dir, environment, account)
    return tokens


def _token(data_dir: Path, environment: dict[str, str], account: str) -> str:
    issued = subprocess.run(
        [sys.executable, "-m", "serment", "token", "create", account, "--days", "1",
         "--data-dir", str(data_dir)],
        env=environment, capture_output=True, text=True, check=True,
    )  # fmt: skip
    return re.findall(r"srm_\S+", issued.stdout)[-1]


class Server:
    """`serment serve` as its own process, its output kept in files beside the data directory."""

    def __init__(self, data_dir: Path, environment: dict[str, str]) -> None:
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._log = (data_dir.parent / "serve.log").open("w")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "serment", "serve", "--data-dir", str(data_dir), "--port", str(self.port)],
            env=environment, stdout=self._log, stderr=subprocess.STDOUT,
        )  # fmt: skip
        self._wait()

    def _wait(self) -> None:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit(f"serment serve exited with {self.process.returncode}")
            try:
                with urllib.request.urlopen(f"{self.url}/health", timeout=5):  # noqa: S310 (our own http URL)
                    return
            except OSError:
                time.sleep(0.2)
        raise SystemExit("serment serve did not answer /health")

    def rss_mb(self) -> float:
        return float(psutil.Process(self.process.pid).memory_info().rss) / 2**20

    def stop(self) -> None:
        self.process.send_signal(signal.SIGTERM)
        self.process.wait(timeout=60)
        self._log.close()


class Sampler:
    """The server's RSS every second, in a greenlet beside the locust users."""

    def __init__(self, server: Server) -> None:
        self.samples: list[tuple[float, float]] = []
        self._server = server
        self._greenlet = gevent.spawn(self._run)

    def _run(self) -> None:
        while True:
            self.samples.append((time.monotonic(), self._server.rss_mb()))
            gevent.sleep(1.0)

    def stop(self) -> Memory:
        self._greenlet.kill()
        self.samples.append((time.monotonic(), self._server.rss_mb()))
        return Memory(self.samples)


def _kind(entry: StatsEntry, plan: Plan, seconds: float) -> Kind:
    return Kind(
        name=entry.name, method=entry.method or "", requests=entry.num_requests, errors=entry.num_failures,
        expected_4xx={status: n for (kind, status), n in plan.expected.items() if kind == entry.name},
        seconds=seconds, p50_ms=entry.get_response_time_percentile(0.5),
        p95_ms=entry.get_response_time_percentile(0.95), p99_ms=entry.get_response_time_percentile(0.99),
    )  # fmt: skip


@dataclass
class Phase:
    """What one locust run measured after its warm-up."""

    kinds: list[Kind]
    total: Kind
    failures: list[tuple[str, str, int]]
    memory: Memory | None
    cpu_warning: bool
    users: dict[str, int]


def run_phase(
    users: list[type[Role]], url: str, count: int, *, warmup: float, seconds: float, server: Server | None
) -> Phase:
    """Spawn `count` users, let them warm up, reset the statistics, measure `seconds`, stop."""
    plan = Role.plan
    environment = Environment(user_classes=list(users), host=url)
    runner = environment.create_local_runner()
    runner.start(count, spawn_rate=max(count, 1))
    gevent.sleep(warmup)
    environment.stats.reset_all()
    plan.expected.clear()
    sampler = Sampler(server) if server else None
    begun = time.monotonic()
    gevent.sleep(seconds)
    elapsed = time.monotonic() - begun
    memory = sampler.stop() if sampler else None
    stats = environment.stats
    measured = [_kind(entry, plan, elapsed) for entry in stats.entries.values() if entry.num_requests]
    kinds = sorted(measured, key=lambda kind: -kind.requests)
    failures = [(error.name, str(error.error), error.occurrences) for error in stats.errors.values()]
    phase = Phase(
        kinds, _kind(stats.total, plan, elapsed), failures, memory, runner.cpu_warning_emitted,
        dict(runner.user_classes_count),
    )  # fmt: skip
    runner.quit()
    return phase


def _restarted(arguments: argparse.Namespace, data_dir: Path, environment: dict[str, str]) -> Memory | None:
    """A fresh server on the data the run left, loaded the same way for the warm-up and a few seconds
    more: the memory the data alone costs, to tell a leak from growth that follows the data."""
    server = Server(data_dir, environment)
    try:
        phase = run_phase(
            MIX, server.url, arguments.users, warmup=arguments.warmup,
            seconds=min(60.0, max(5.0, arguments.seconds / 5)), server=server,
        )  # fmt: skip
    finally:
        server.stop()
    return phase.memory


def _database_mb(data_dir: Path, database_url: str | None) -> float | None:
    """The SQLite database's size in MB (its pages, as a reader sees them through the WAL); None on
    PostgreSQL."""
    if database_url is not None:
        return None
    with closing(sqlite3.connect(f"file:{data_dir / 'serment.db'}?mode=ro", uri=True)) as database:
        pages = database.execute("PRAGMA page_count").fetchone()[0]
        size = database.execute("PRAGMA page_size").fetchone()[0]
    return float(pages * size) / 2**20


def _database(admin_url: str) -> tuple[str, str]:
    """A fresh PostgreSQL database on the server of `admin_url`: its URL and name."""
    import psycopg  # noqa: PLC0415 (only a PostgreSQL run needs it)
    from sqlalchemy.engine import make_url  # noqa: PLC0415

    name = f"serment_load_{secrets.token_hex(4)}"
    base = make_url(admin_url)
    with psycopg.connect(base.set(drivername="postgresql").render_as_string(False), autocommit=True) as db:
        db.execute(f'CREATE DATABASE "{name}"')
    return base.set(drivername="postgresql+psycopg", database=name).render_as_string(False), name


def _drop(admin_url: str, name: str) -> None:
    import psycopg  # noqa: PLC0415
    from sqlalchemy.engine import make_url  # noqa: PLC0415

    conninfo = make_url(admin_url).set(drivername="postgresql").render_as_string(False)
    with psycopg.connect(conninfo, autocommit=True) as db:
        db.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _machine() -> str:
    cpu = next(
        (line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
         if line.startswith("model name")),
        platform.processor(),
    )  # fmt: skip
    memory = psutil.virtual_memory().total // 2**30
    return f"{cpu}, {os.cpu_count()} cores, {memory} GiB, Python {platform.python_version()}"


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seconds", type=float, default=600.0, help="measured duration of the mixed load")
    parser.add_argument("--warmup", type=float, default=15.0, help="seconds of load before measuring")
    parser.add_argument("--reference-seconds", type=float, default=20.0, help="measured GET /health")
    parser.add_argument("--users", type=int, default=16, help="concurrent locust users")
    parser.add_argument(
        "--think", type=float, default=0.0, help="each user waits 0 to THINK s between requests"
    )
    parser.add_argument("--people", type=int, default=5000, help="people in the demo population")
    parser.add_argument("--days", type=int, default=30, help="days of the demo outbreak")
    parser.add_argument(
        "--postgresql", metavar="URL", help="a PostgreSQL server that may host a fresh database"
    )
    parser.add_argument(
        "--output",
        type=Path,
        default=None,
        help="where load.md and load.json go (default: the results folder)",
    )
    return parser.parse_args()


def main() -> None:
    arguments = _arguments()
    for user in [*MIX, Health]:
        user.wait_time = locust.between(0, arguments.think)
    database_url = name = None
    if arguments.postgresql:
        database_url, name = _database(arguments.postgresql)
    try:
        with tempfile.TemporaryDirectory(prefix="serment-load-") as scratch:
            outcome = measure(arguments, Path(scratch) / "data", database_url)
    finally:
        if name and arguments.postgresql:
            _drop(arguments.postgresql, name)
    output = arguments.output or results_dir()
    output.mkdir(parents=True, exist_ok=True)
    page = render(outcome)
    (output / "load.md").write_text(page, encoding="utf-8")
    record(
        "load",
        _headlines(outcome),
        notes=_notes(outcome),
        output=output / "load.json",
        options=vars(arguments),
    )
    print(page)
    sys.exit(1 if outcome.errors else 0)


def measure(arguments: argparse.Namespace, data_dir: Path, database_url: str | None) -> Outcome:
    """Load the demo, serve it, measure the reference then the mixed load."""
    environment = _environment(database_url)
    started = time.monotonic()
    tokens = load_demo(data_dir, environment, arguments.people, arguments.days)
    print(f"demo of {arguments.people:,} people loaded in {time.monotonic() - started:.0f} s", flush=True)
    # People of another seed than the demo's (2020): most reports name someone new.
    fresh = min(20_000, 4 * arguments.people)
    Role.plan = Plan(tokens, generate_population(fresh, 7, start=TODAY - timedelta(days=60)))
    data_before = _database_mb(data_dir, database_url)
    server = Server(data_dir, environment)
    try:
        reference = run_phase(
            [Health],
            server.url,
            arguments.users,
            warmup=3.0,
            seconds=arguments.reference_seconds,
            server=None,
        )
        print(f"reference: {reference.total.per_second:.1f} GET /health per second", flush=True)
        mixed = run_phase(
            MIX,
            server.url,
            arguments.users,
            warmup=arguments.warmup,
            seconds=arguments.seconds,
            server=server,
        )
    finally:
        server.stop()
    if mixed.memory is None:
        raise SystemExit("the mixed phase sampled no memory")
    restarted = _restarted(arguments, data_dir, environment)
    data_after = _database_mb(data_dir, database_url)
    command = shlex.join(["python", "benchmarks/load.py", *sys.argv[1:]])
    return Outcome(
        command=command, backend="PostgreSQL" if database_url else "SQLite", people=arguments.people,
        days=arguments.days, users=arguments.users, wait=(0.0, arguments.think), seconds=arguments.seconds,
        kinds=mixed.kinds, total=mixed.total, reference=reference.total, memory=mixed.memory,
        failures=mixed.failures + reference.failures, machine=_machine(), restarted=restarted,
        data_mb=None if data_before is None or data_after is None else (data_before, data_after),
        notes=[
            "users by role: " + ", ".join(f"{role} {count}" for role, count in mixed.users.items()),
            *(["locust warned that its own CPU use passed 90%: the harness, not only the server, bounded "
               "the rates"] if mixed.cpu_warning or reference.cpu_warning else []),
        ],
    )  # fmt: skip


def _headlines(outcome: Outcome) -> list[Headline]:
    return [
        Headline(
            measure="requests per second under mixed load", serment=outcome.per_second,
            reference_name="GET /health, same server, same locust users",
            reference=outcome.reference.per_second,
            unit="req/s", higher_is_better=True,
        )
    ]  # fmt: skip


def _notes(outcome: Outcome) -> list[str]:
    memory = outcome.memory
    return [
        f"{outcome.backend}, demo of {outcome.people:,} people, {outcome.users} users, {outcome.seconds:g} s",
        f"reports/s {outcome.per_second_of('report'):.1f}, results/s {outcome.per_second_of('result'):.1f}, "
        f"outcomes/s {outcome.per_second_of('outcome'):.1f}",
        f"p50/p95/p99 {outcome.total.p50_ms:.0f}/{outcome.total.p95_ms:.0f}/{outcome.total.p99_ms:.0f} ms; "
        f"errors {outcome.errors} of {outcome.requests}",
        f"RSS {memory.start_mb:.0f} -> {memory.end_mb:.0f} MB (max {memory.max_mb:.0f}), "
        f"{memory.slope_mb_per_min:+.2f} MB/min over the second half: "
        f"{'flat' if memory.flat else 'NOT flat'}",
    ]


if __name__ == "__main__":
    main()
