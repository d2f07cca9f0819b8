"""The data-protection officer's and the patient's pages over a long audit log: every search of
/dpo/audit, the unusual-access report over a week and a month, the last verification, and a person's
access history, each timed through its use case (guard and audit event included) beside a reference
measured in the same run: counting every event of the log, a full scan.

    python benchmarks/oversight.py [--events 3000000] [--people 1000000] [--days 90] [--seed 7]

The log is bulk-loaded into a fresh SQLite installation, with placeholder hashes (no search reads
them): 230 users (tracers, clinicians, epidemiologists and the tracing service) reading, reporting,
registering and listing `--people` people over `--days` days, 97% allowed, 2% refused. Relationships
(tasks, reports) are not loaded, so the report's checks find none: each is one index probe. Writes
benchmarks/results/oversight.md. No timing is asserted anywhere.
"""

from __future__ import annotations

import argparse
import platform as host
import random
import sqlite3
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from benchmarks.summary import Headline, record, results_dir
from serment.access import Actor, Request
from serment.access.oversight import access_history, last_verification, search_audit
from serment.access.unusual import unusual_accesses
from serment.audit import AuditQuery
from serment.clock import FixedClock
from serment.installation import Installation, initialise, open_installation
from serment.settings import Settings
from serment.store.tables import AuditEventRow

RESULTS = results_dir() / "oversight.md"
# `make bench`'s quick scale: a log of 300,000 events (a tenth), loaded in seconds.
QUICK_ARGS = ["--events", "300000", "--people", "100000"]
HEADLINES = ("audit search, no filter, page 1", "audit search by person ref", "unusual-access report, 7 days")
START = datetime(2026, 1, 1, tzinfo=UTC)
ZONE = "Europe/Paris"
DPO = Request(Actor(name="dpo-bench", role="dpo", organisation="CNIL"), purpose="audit")
ACTIONS = ["read"] * 50 + ["report"] * 20 + ["register"] * 15 + ["list"] * 10 + ["route"] * 4 + ["login"]
PAGE = 51
ALPHABET = "abcdefghijklmnopqrstuvwxyz234567"
# The person whose events are searched for and whose access history is read.
WATCHED = 12345


def ref_of(number: int) -> str:
    """A person ref (26 characters of the refs' base32 alphabet) for the person `number`."""
    digits = []
    for _ in range(26):
        number, digit = divmod(number, 32)
        digits.append(ALPHABET[digit])
    return "".join(reversed(digits))


def users() -> list[tuple[str, str, str]]:
    """(account, role, purpose) of the log's users; the tracing service writes a sixth of the log."""
    return (
        [(f"tracer-{n}", "tracer", "tracing") for n in range(100)]
        + [(f"clinician-{n}", "clinician", "care") for n in range(80)]
        + [("tracing", "service", "tracing")] * 40
        + [(f"epidemiologist-{n}", "epidemiologist", "surveillance") for n in range(10)]
    )


def rows(events: int, people: int, days: int, seed: int, first_seq: int) -> Iterator[tuple[object, ...]]:
    """The synthetic events, in seq order, spread evenly over `days`."""
    rng = random.Random(seed)
    accounts = users()
    span = days * 86400
    for number in range(events):
        seq = first_seq + number
        name, role, purpose = rng.choice(accounts)
        action = rng.choice(ACTIONS)
        draw = rng.random()
        outcome = (
            "allowed" if draw < 0.97 else "refused" if draw < 0.99 else "ok" if draw < 0.999 else "failed"
        )
        at = (START + timedelta(seconds=span * number / events)).strftime("%Y-%m-%d %H:%M:%S.%f")
        subject = None if action == "login" else ref_of(rng.randrange(people))
        yield (seq, at, name, role, "Org", purpose, action, subject, outcome, None, None, None,
               f"p{seq:063d}", f"h{seq:063d}")  # fmt: skip


def load(installation: Installation, events: int, people: int, days: int, seed: int) -> float:
    """Bulk-load the log after the installation's own events; returns the seconds it took."""
    with installation.database.read() as session:
        first_seq = (session.scalar(select(func.max(AuditEventRow.seq))) or 0) + 1
    started = time.perf_counter()
    connection = sqlite3.connect(installation.data_dir / "serment.db")
    with connection:
        # The one person whose access history is read: the guard wants them to exist (no identity).
        stamp = START.strftime("%Y-%m-%d %H:%M:%S.%f")
        connection.execute(
            "INSERT INTO people (ref, strength, key_version, epoch_month, last_event_at, created_at,"
            " updated_at) VALUES (?, 'nir', 1, '2026-01', ?, ?, ?)",
            (ref_of(WATCHED), stamp, stamp, stamp),
        )
        connection.executemany(
            "INSERT INTO audit_events (seq, at, actor, role, organisation, purpose, action, subject, outcome,"
            " reason, request_id, detail, prev_hash, hash) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            rows(events, people, days, seed, first_seq),
        )
    connection.close()
    return time.perf_counter() - started


def timed(action: Callable[[], object], repeat: int = 3) -> float:
    """The best of `repeat` runs of `action`, in milliseconds."""
    best = float("inf")
    for _ in range(repeat):
        started = time.perf_counter()
        action()
        best = min(best, time.perf_counter() - started)
    return best * 1000


def measure(installation: Installation, days: int) -> list[tuple[str, float]]:
    """Every page's query, timed through its use case."""
    platform = installation.platform
    end = (START + timedelta(days=days)).date()
    middle = START + timedelta(days=days // 2)

    def search(page: int = 1, **filters: Any) -> Callable[[], object]:
        query = AuditQuery(**filters)
        return lambda: search_audit(platform, DPO, query, limit=PAGE, offset=(page - 1) * 50)

    def report(first: date, last: date) -> Callable[[], object]:
        return lambda: unusual_accesses(platform, DPO, first, last, ZONE, limit=PAGE)

    week = {"since": middle, "until": middle + timedelta(days=7)}
    cases: dict[str, Callable[[], object]] = {
        "audit search, no filter, page 1": search(),
        "audit search, no filter, page 20": search(page=20),
        "audit search by account (a tracer)": search(actor="tracer-3"),
        "audit search by account (the tracing service)": search(actor="tracing"),
        "audit search by person ref": search(subject=ref_of(WATCHED)),
        "audit search by outcome refused": search(outcome="refused"),
        "audit search by outcome failed (0.1%)": search(outcome="failed"),
        "audit search by action never logged (erase)": search(action="erase"),
        "audit search by purpose never logged (self)": search(purpose="self"),
        "audit search, one day mid-log": search(since=middle, until=middle + timedelta(days=1)),
        "audit search, one week mid-log, refused": search(outcome="refused", **week),
        "audit search, one account over a week": search(actor="tracer-3", **week),
        "last verification (none recorded)": lambda: last_verification(platform, DPO),
        "a person's access history": lambda: access_history(platform, DPO, ref_of(WATCHED), limit=50),
        "unusual-access report, 7 days": report(end - timedelta(days=6), end),
        "unusual-access report, 30 days": report(end - timedelta(days=29), end),
    }
    return [(name, timed(action)) for name, action in cases.items()]


def reference(installation: Installation) -> float:
    """Counting every event: a full scan of the log, the floor any unindexed search would pay."""

    def count() -> object:
        with installation.database.read() as session:
            return session.scalar(select(func.count()).select_from(AuditEventRow))

    return timed(count)


def report_markdown(
    args: argparse.Namespace, loaded: float, full_scan: float, figures: list[tuple[str, float]]
) -> str:
    """The results as Markdown."""
    lines = [
        "# The data-protection officer's pages over a long audit log",
        "",
        f"`python benchmarks/oversight.py --events {args.events} --people {args.people} --days {args.days}"
        f" --seed {args.seed}` on {host.machine()}, Python {sys.version.split()[0]}, SQLite "
        f"{sqlite3.sqlite_version}; {args.events:,} events loaded in {loaded:.0f} s.",
        "",
        f"Reference, measured in the same run: counting every event (a full scan) takes {full_scan:,.0f} ms.",
        "Each figure is the best of three runs of the use case the page calls, its guard and its own audit",
        "event included; pages ask for 51 rows (50 shown, one to know whether a next page exists).",
        "",
        "| query | ms | / full scan |",
        "| --- | ---: | ---: |",
    ]
    lines += [f"| {name} | {ms:,.1f} | {ms / full_scan:.3f} |" for name, ms in figures]
    return "\n".join(lines) + "\n"


def main() -> None:
    """Load, measure, write the results."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=3_000_000)
    parser.add_argument("--people", type=int, default=1_000_000)
    parser.add_argument("--days", type=int, default=90)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        settings = Settings(data_dir=Path(scratch) / "data")
        clock = FixedClock(START + timedelta(days=args.days))
        initialise(settings, clock=clock)
        installation = open_installation(settings, clock=clock)
        try:
            loaded = load(installation, args.events, args.people, args.days, args.seed)
            full_scan = reference(installation)
            figures = measure(installation, args.days)
        finally:
            installation.close()
    text = report_markdown(args, loaded, full_scan, figures)
    RESULTS.write_text(text, encoding="utf-8")
    print(text)
    found = dict(figures)
    scan = "counting every event (a full scan)"
    record("oversight", [Headline(name, found[name], scan, full_scan, "ms", higher_is_better=False)
                         for name in HEADLINES],
           options=vars(args), notes=[f"{args.events:,} audit events over {args.days} days"])  # fmt: skip


if __name__ == "__main__":
    main()
