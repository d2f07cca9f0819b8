"""Reporting throughput: Serment's POST /api/v1/reports (5 contacts each) against a running server,
beside a reference app that writes the same rows with plain SQLAlchemy (no pseudonyms, sealing,
guard or audit), measured in the same run, on SQLite and, when given, PostgreSQL.

    python benchmarks/reporting.py [--seconds 8] [--concurrency 1,4,8] [--postgresql URL]

Goal: Serment sustains at least half the reference's reports per second. Absolute figures depend
on the machine; the ratio is the headline. Writes benchmarks/results/reporting.md.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import re
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import psycopg
from sqlalchemy.engine import make_url

from benchmarks.summary import Headline, record, results_dir
from serment.demo.population import Population, generate_population
from serment.policy import load_policy

ROOT = Path(__file__).resolve().parent.parent
RESULTS = results_dir() / "reporting.md"
# `make bench`'s quick scale: 3 s a point, one worker and four (PostgreSQL too when
# SERMENT_TEST_DATABASE_URL names a server).
QUICK_ARGS = ["--seconds", "3", "--concurrency", "1,4"]
CONTACTS_PER_REPORT = 5
# The server runs fr-2020, which refuses a contact's NIR, address and e-mail: send what it allows.
CONTACT_FIELDS = load_policy("fr-2020").may_carry("contact", "person")
TODAY = datetime.now(UTC).date()


@dataclass(frozen=True)
class Run:
    """One measured load: which target, how many workers, what came out."""

    target: str
    concurrency: int
    reports: int
    errors: int
    seconds: float
    latencies_ms: list[float]

    @property
    def per_second(self) -> float:
        return self.reports / self.seconds

    def percentile(self, share: float) -> float:
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else float("nan")


def _median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _wait(url: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"the server exited: {process.returncode}")
        try:
            if httpx.get(url).status_code < 500:
                return
        except httpx.TransportError:
            time.sleep(0.1)
    raise SystemExit(f"{url} did not answer")


def _reports(population: Population, count: int) -> list[dict[str, object]]:
    people = population.people
    reports = []
    for number in range(count):
        group = [
            people[(number * (CONTACTS_PER_REPORT + 1) + k) % len(people)]
            for k in range(CONTACTS_PER_REPORT + 1)
        ]
        index, *contacts = group
        reports.append(
            {
                "person": index.identity_payload(population.households[index.household]),
                "case": {"status": "confirmed", "onset_date": (TODAY - timedelta(days=2)).isoformat()},
                "contacts": [
                    {
                        "person": {
                            name: value
                            for name, value in c.identity_payload(population.households[c.household]).items()
                            if name in CONTACT_FIELDS
                        },
                        "exposure": {"date": (TODAY - timedelta(days=3)).isoformat(), "setting": "household"},
                    }
                    for c in contacts
                ],
            }
        )
    return reports


async def _load(
    url: str, headers: dict[str, str], bodies: list[dict[str, object]], workers: int, seconds: float
) -> tuple[int, int, list[float], float]:
    latencies: list[float] = []
    counts = {"ok": 0, "errors": 0}
    queue = iter(bodies)
    stop = time.monotonic() + seconds

    async def worker(client: httpx.AsyncClient) -> None:
        while time.monotonic() < stop:
            body = next(queue, None)
            if body is None:
                return
            started = time.perf_counter()
            response = await client.post(url, json=body, headers=headers)
            latencies.append((time.perf_counter() - started) * 1000)
            counts["ok" if response.status_code < 300 else "errors"] += 1

    begun = time.monotonic()
    async with httpx.AsyncClient(timeout=60) as client:
        await asyncio.gather(*(worker(client) for _ in range(workers)))
    return counts["ok"], counts["errors"], latencies, time.monotonic() - begun


def _serment(work: Path, database_url: str | None) -> tuple[subprocess.Popen[bytes], str, dict[str, str]]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("SERMENT_")}
    if database_url:
        environment["SERMENT_DATABASE_URL"] = database_url
    serment = [sys.executable, "-m", "serment"]
    data_dir = str(work / "data")
    for arguments in (["init"], ["user", "add", "bench-gp", "--role", "clinician", "--org", "Cabinet"]):
        subprocess.run(
            [*serment, *arguments, "--data-dir", data_dir], env=environment, check=True, capture_output=True
        )
    issued = subprocess.run(
        [*serment, "token", "create", "bench-gp", "--data-dir", data_dir],
        env=environment,
        check=True,
        capture_output=True,
        text=True,
    )
    token = re.findall(r"srm_\S+", issued.stdout)[-1]
    port = _free_port()
    environment["SERMENT_LOG_LEVEL"] = "warning"
    server = subprocess.Popen(
        [*serment, "serve", "--data-dir", data_dir, "--port", str(port)],
        env=environment,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    _wait(f"http://127.0.0.1:{port}/health", server)
    return server, f"http://127.0.0.1:{port}/api/v1/reports", {"Authorization": f"Bearer {token}"}


def _reference(work: Path, database_url: str | None) -> tuple[subprocess.Popen[bytes], str]:
    environment = dict(
        os.environ, REFERENCE_DATABASE_URL=database_url or f"sqlite:///{work / 'reference.db'}"
    )
    port = _free_port()
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "benchmarks.reference_app:app",
            "--port",
            str(port),
            "--log-level",
            "warning",
            "--no-access-log",
        ],
        env=environment,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    _wait(f"http://127.0.0.1:{port}/docs", server)
    return server, f"http://127.0.0.1:{port}/reference/reports"


def _stop(server: subprocess.Popen[bytes]) -> None:
    server.send_signal(signal.SIGTERM)
    server.wait(timeout=30)


def _fresh_databases(admin_url: str) -> tuple[str, str, list[str]]:
    names = [f"serment_bench_{secrets.token_hex(4)}", f"serment_ref_{secrets.token_hex(4)}"]
    conninfo = make_url(admin_url).set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(conninfo, autocommit=True) as connection:
        for name in names:
            connection.execute(f'CREATE DATABASE "{name}"')
    base = make_url(admin_url).set(drivername="postgresql+psycopg")
    urls = [base.set(database=name).render_as_string(hide_password=False) for name in names]
    return urls[0], urls[1], names


def _drop(admin_url: str, names: list[str]) -> None:
    conninfo = make_url(admin_url).set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(conninfo, autocommit=True) as connection:
        for name in names:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def measure(backend: str, admin_url: str | None, concurrency: list[int], seconds: float) -> list[Run]:
    """Serment and the reference, on one backend, at each concurrency."""
    population = generate_population(60_000, 7, start=TODAY - timedelta(days=30))
    bodies = _reports(population, 10_000)
    runs = []
    with tempfile.TemporaryDirectory() as scratch:
        work = Path(scratch)
        serment_url = reference_url = None
        names: list[str] = []
        if backend == "postgresql" and admin_url:
            serment_url, reference_url, names = _fresh_databases(admin_url)
        serment, serment_endpoint, headers = _serment(work, serment_url)
        reference, reference_endpoint = _reference(work, reference_url)
        try:
            offset = 0
            for workers in concurrency:
                for target, url, auth in (
                    ("serment", serment_endpoint, headers),
                    ("reference", reference_endpoint, {}),
                ):
                    ok, errors, latencies, elapsed = asyncio.run(
                        _load(url, auth, bodies[offset:], workers, seconds)
                    )
                    runs.append(Run(f"{target}", workers, ok, errors, elapsed, latencies))
                    print(
                        f"{backend:10} {target:9} c={workers:<2} {ok / elapsed:8.1f} reports/s  "
                        f"p50 {_median(latencies):7.1f} ms  errors {errors}"
                    )
                offset += max(run.reports for run in runs[-2:]) + 10
        finally:
            _stop(serment)
            _stop(reference)
            if names and admin_url:
                _drop(admin_url, names)
    return runs


def _machine() -> str:
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    memory = next(
        (
            int(line.split()[1]) // 1024 // 1024
            for line in Path("/proc/meminfo").read_text().splitlines()
            if line.startswith("MemTotal")
        ),
        0,
    )
    return f"{cpu}, {os.cpu_count()} cores, {memory} GiB, Python {platform.python_version()}"


def render(results: dict[str, list[Run]], seconds: float) -> str:
    """The Markdown report."""
    lines = [
        "# Reporting benchmark",
        "",
        f"POST /api/v1/reports with {CONTACTS_PER_REPORT} contacts each, {seconds:g} s per point, against a "
        "running `serment serve`, beside a reference app writing the same rows with plain SQLAlchemy "
        "(no pseudonyms, sealing, guard or audit) on the same database engine, in the same run.",
        "",
        "| database | workers | Serment reports/s | p50 ms | p99 ms "
        "| reference reports/s | p50 ms | p99 ms | ratio |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for backend, runs in results.items():
        for serment, reference in zip(runs[::2], runs[1::2], strict=True):
            lines.append(
                f"| {backend} | {serment.concurrency} | {serment.per_second:,.1f} "
                f"| {serment.percentile(0.5):.1f} | {serment.percentile(0.99):.1f} "
                f"| {reference.per_second:,.1f} | {reference.percentile(0.5):.1f} | "
                f"{reference.percentile(0.99):.1f} | **{serment.per_second / reference.per_second:.2f}** |"
            )
    lines += [
        "",
        "Goal: a ratio of at least 0.5. Each Serment report registers 6 people (pseudonyms, a data key, "
        "9 sealed fields each), checks the guard and appends about 9 audit events, in one transaction.",
        "",
        f"Machine: {_machine()}. Load generator, servers and database share it; "
        "absolute figures depend on it.",
    ]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--concurrency", default="1,4,8")
    parser.add_argument(
        "--postgresql",
        default=os.environ.get("SERMENT_TEST_DATABASE_URL"),
        help="a PostgreSQL URL whose server may host two fresh databases",
    )
    arguments = parser.parse_args()
    concurrency = [int(value) for value in arguments.concurrency.split(",")]
    results = {"sqlite": measure("sqlite", None, concurrency, arguments.seconds)}
    if arguments.postgresql:
        results["postgresql"] = measure("postgresql", arguments.postgresql, concurrency, arguments.seconds)
    report = render(results, arguments.seconds)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(report, encoding="utf-8")
    print(report)
    record(
        "reporting",
        headlines(results),
        options=vars(arguments) | {"postgresql": bool(arguments.postgresql)},
        notes=[f"{arguments.seconds:g} s a point; load generator, servers and database share the machine"],
    )


def headlines(results: dict[str, list[Run]]) -> list[Headline]:
    """Reports per second on each database and at each concurrency, beside the plain-SQLAlchemy app."""
    return [
        Headline(
            f"POST /api/v1/reports, {backend}, {_workers(serment.concurrency)}",
            serment.per_second,
            "a plain SQLAlchemy app writing the same rows",
            reference.per_second,
            "reports/s",
            higher_is_better=True,
        )
        for backend, runs in results.items()
        for serment, reference in zip(runs[::2], runs[1::2], strict=True)
    ]


def _workers(count: int) -> str:
    return f"{count} worker" + ("s" if count > 1 else "")


if __name__ == "__main__":
    main()
