"""The tracer's pages at national scale: a tracer's queue, today's follow-ups and one task, read from
a SQLite installation of a million people, against the same tracer in an installation of ten
thousand (the reference, measured in the same run) and against the API's `list_tasks`.

The people are minimal `people` rows (as in `tracing_store.py`), except the measured tracer's
contacts, registered through the vault with sealed identities, since each page opens the identity
of every contact it shows. Around them: the tasks of 200 other tracers (a tenth of the people
called, four calls in five closed), so that the partial index of open tasks has to find one
tracer's among many.

    python benchmarks/tracer_queue.py [--people 1000000] [--reference 10000] [--mine 1000]
"""

from __future__ import annotations

import argparse
import itertools
import random
import re
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from fastapi.testclient import TestClient
from rich.console import Console
from rich.table import Table
from sqlalchemy import insert, text
from sqlalchemy.orm import Session

from benchmarks.generator import machine
from benchmarks.summary import Headline, record, results_dir
from serment.access import Actor, Platform, Request, operator
from serment.access.accounts import add_user
from serment.clock import FixedClock
from serment.installation import Installation, initialise, open_installation
from serment.people import person_details, register_person
from serment.settings import Settings
from serment.store.tables import TierRow, TracingTaskRow
from serment.tracing.queues import list_tasks
from serment.tracing.teams import add_team
from serment.tracing.worklist import follow_ups, my_queue, open_task
from serment.web import create_app

NOW = datetime(2026, 3, 2, 8, 30, tzinfo=UTC)
TRACER = "tracer-0"
PASSWORD = "benchmark password"  # noqa: S105 (the benchmark tracer's, in a scratch installation)
REQUEST = Request(Actor(TRACER, "tracer", "Team"), purpose="tracing")
CLINIC = Request(Actor("bench-clinic", "clinician", "Clinic"), purpose="care")
RESULTS = results_dir() / "tracer_queue.md"
# `make bench`'s quick scale: 100,000 people beside 10,000, the same tracer's 1,000 open tasks.
QUICK_ARGS = ["--people", "100000"]
HEADLINES = ("the queue's query alone (a page of ids, and the count)", "my_queue, page 1",
             "GET /tracer/queue (whole page)")  # fmt: skip
# The statements `my_queue` runs before it reads the contacts, as SQLite gets them.
QUEUE_PAGE = text(
    "SELECT id FROM tracing_tasks WHERE tracer = :tracer AND closed_at IS NULL "
    "ORDER BY priority DESC, due_at, id LIMIT 50"
)
QUEUE_COUNT = text("SELECT count(*) FROM tracing_tasks WHERE tracer = :tracer AND closed_at IS NULL")
BATCH = 50_000
REPEATS = 15
console = Console(stderr=True)
out = Console()


@dataclass
class Run:
    """The figures at one size: milliseconds per measure (median of REPEATS), and the query plan."""

    people: int
    tasks: int = 0
    open_tasks: int = 0
    ms: dict[str, float] = field(default_factory=dict)
    plan: str = ""


def build(installation: Installation, people: int, mine: int, seed: int) -> tuple[int, int]:
    """The tracer, their `mine` contacts with identities and open calls (and ten closed calls each),
    then minimal people up to `people` and the other tracers' tasks; the number of tasks, open ones."""
    platform = installation.platform
    add_team(platform, operator(), "Team", ["*"])
    add_user(platform, operator(), name=TRACER, role="tracer", organisation="Team", password=PASSWORD)
    chooser = random.Random(seed)
    # Each contact once, even if the vault took two of them for one person.
    refs = list(dict.fromkeys(_register(platform, number) for number in range(mine)))
    rows = [_task(chooser, ref, TRACER, closed=False) for ref in refs]
    rows += [_task(chooser, ref, TRACER, closed=True) for ref in refs for _ in range(10)]
    others = people - mine
    called = max(others // 10, 1)
    stamp = NOW.replace(tzinfo=None).isoformat(sep=" ", timespec="microseconds")
    with installation.database.write() as session:
        _bulk(
            session,
            "people (ref, strength, key_version, epoch_month, last_event_at, created_at, updated_at)",
            ((_ref(p), "demographic", 1, "2026-03", stamp, stamp, stamp) for p in range(others)),
        )
        session.execute(insert(TierRow), [_tier(ref) for ref in refs])
        for person in range(called):
            tracer = f"tracer-{1 + person % 200}"
            rows.append(_task(chooser, _ref(person), tracer, closed=chooser.random() < 0.8))
        for start in range(0, len(rows), BATCH):
            session.execute(insert(TracingTaskRow), rows[start : start + BATCH])
    return len(rows), sum(1 for row in rows if row["closed_at"] is None)


def measure(people: int, mine: int, seed: int) -> Run:
    """Build an installation of `people` and time each read of the tracer's pages."""
    run = Run(people)
    with tempfile.TemporaryDirectory() as scratch:
        settings = Settings(data_dir=Path(scratch) / "data", policy="fr-2020")
        initialise(settings, clock=FixedClock(NOW))
        installation = open_installation(settings, clock=FixedClock(NOW))
        try:
            started = time.perf_counter()
            run.tasks, run.open_tasks = build(installation, people, mine, seed)
            console.log(
                f"{people:,} people, {run.tasks:,} tasks built in {time.perf_counter() - started:.1f} s"
            )
            _time_use_cases(installation.platform, run)
            _time_pages(settings, installation, run)
            run.plan = _plan(installation)
        finally:
            installation.close()
    return run


def _time_use_cases(platform: Platform, run: Run) -> None:
    first = my_queue(platform, REQUEST).tasks[0].id

    def query_alone() -> None:
        with platform.database.read() as session:
            session.execute(QUEUE_PAGE, {"tracer": TRACER}).all()
            session.execute(QUEUE_COUNT, {"tracer": TRACER}).one()

    measures: dict[str, Callable[[], object]] = {
        "the queue's query alone (a page of ids, and the count)": query_alone,
        "my_queue, page 1": lambda: my_queue(platform, REQUEST),
        "my_queue, page 20": lambda: my_queue(platform, REQUEST, offset=950),
        "my_queue, follow-ups only": lambda: my_queue(platform, REQUEST, show="follow_up"),
        "follow_ups of today": lambda: follow_ups(platform, REQUEST),
        "open_task": lambda: open_task(platform, REQUEST, first),
        "list_tasks (the API's, due first), page 1": lambda: list_tasks(platform, REQUEST),
    }
    for name, call in measures.items():
        run.ms[name] = _median(call)


def _time_pages(settings: Settings, installation: Installation, run: Run) -> None:
    with TestClient(create_app(settings, installation=installation), base_url="http://bench") as browser:
        form = browser.get("/sign-in", headers={"Accept": "text/html"})
        token = _found(r'name="csrf" value="([^"]+)"', form.text)
        data = {"name": TRACER, "password": PASSWORD, "next": "/", "csrf": token}
        browser.post("/sign-in", data=data, headers={"Accept": "text/html"}, follow_redirects=False)
        queue = browser.get("/tracer/queue", headers={"Accept": "text/html"})
        task = _found(r'href="(/tracer/tasks/[a-z2-7]{26})"', queue.text)
        for name, path in (("GET /tracer/queue (whole page)", "/tracer/queue"),
                           ("GET /tracer/queue?page=20", "/tracer/queue?page=20"),
                           ("GET /tracer/follow-ups", "/tracer/follow-ups"),
                           ("GET /tracer/tasks/{id}", task)):  # fmt: skip
            run.ms[name] = _median(lambda path=path: browser.get(path, headers={"Accept": "text/html"}))


def _found(pattern: str, html: str) -> str:
    found = re.search(pattern, html)
    if found is None:
        raise RuntimeError(f"the page has no {pattern}: {html[:300]}")
    return found.group(1)


def _plan(installation: Installation) -> str:
    with installation.database.read() as session:
        found = session.execute(text(f"EXPLAIN QUERY PLAN {QUEUE_PAGE.text}"), {"tracer": TRACER})
        return "; ".join(str(row[-1]) for row in found)


def _median(call: Callable[[], object]) -> float:
    call()
    times = []
    for _ in range(REPEATS):
        started = time.perf_counter()
        call()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def _register(platform: Platform, number: int) -> str:
    details = person_details(
        nir=None, family_name=f"Contact-{_letters(number)}", given_names="Camille",
        birth_date=(date(1940, 1, 1) + timedelta(days=7 * number)).isoformat(), sex="FM"[number % 2],
        phone=f"+336{number:08d}", today=NOW.date(),
    )  # fmt: skip
    return register_person(platform, CLINIC, details).ref


def _task(chooser: random.Random, ref: str, tracer: str, *, closed: bool) -> dict[str, object]:
    created = NOW - timedelta(hours=chooser.randrange(1, 24 * 10))
    follow_up = chooser.random() < 0.3
    return {
        "id": _new_id(chooser), "person_ref": ref, "kind": "follow_up" if follow_up else "call", "tier": 1,
        "exposure_date": date(2026, 2, 26), "setting": "household", "region": None, "team": "Team",
        "tracer": tracer, "priority": 50 + chooser.randrange(0, 10), "due_at": created + timedelta(hours=24),
        "day": NOW.date() if follow_up else None, "status": "reached" if closed else "to_call",
        "attempts": 1 if closed else 0, "consent": None, "outcome": None, "created_at": created,
        "updated_at": created, "closed_at": created + timedelta(hours=2) if closed else None,
    }  # fmt: skip


def _tier(ref: str) -> dict[str, object]:
    return {
        "person_ref": ref, "tier": 1, "last_exposure": date(2026, 2, 26), "place": "home",
        "quarantine_start": date(2026, 2, 26), "quarantine_until": date(2026, 3, 5),
        "tests_due": "2026-02-26,2026-03-05", "cleared": False, "since": date(2026, 2, 27),
    }  # fmt: skip


def _new_id(chooser: random.Random) -> str:
    return "".join(chooser.choice("abcdefghijklmnopqrstuvwxyz234567") for _ in range(26))


def _ref(person: int) -> str:
    return f"{person:026d}"


def _letters(number: int) -> str:
    word = ""
    for _ in range(4):
        number, digit = divmod(number, 26)
        word += "abcdefghijklmnopqrstuvwxyz"[digit]
    return word.capitalize()


def _bulk(session: Session, into: str, rows: Iterator[tuple[object, ...]]) -> None:
    marks = ", ".join(["?"] * (into.count(",") + 1))
    cursor = session.connection().connection.cursor()
    while batch := list(itertools.islice(rows, BATCH)):
        cursor.executemany(f"INSERT INTO {into} VALUES ({marks})", batch)  # noqa: S608 - constant names


def markdown(large: Run, small: Run, command: str, mine: int) -> str:
    """The results page."""
    lines = [
        "# The tracer's pages at scale", "", f"`{command}`", "",
        (__doc__ or "").split("\n\n")[1].replace("\n", " "), "",
        f"The measured tracer has {mine:,} open tasks (a page is 50) and {10 * mine:,} closed ones. "
        f"Each figure is the median of {REPEATS} runs after one warm-up; every read is audited (one event "
        "for the list, one per contact shown) and opens each contact's sealed identity.", "",
        f"| measure | {small.people:,} people ({small.tasks:,} tasks) ms | "
        f"{large.people:,} people ({large.tasks:,} tasks) ms | ratio |",
        "| --- | ---: | ---: | ---: |",
    ]  # fmt: skip
    for name, value in large.ms.items():
        lines.append(f"| {name} | {small.ms[name]:.1f} | **{value:.1f}** | {value / small.ms[name]:.2f} |")
    ratio = large.ms["my_queue, page 1"] / large.ms["list_tasks (the API's, due first), page 1"]
    lines += [
        "", f"`my_queue` / `list_tasks` at {large.people:,} people: {ratio:.2f}.", "",
        f"SQLite's plan for the queue's page: `{large.plan}`.", "",
        "A page's time is its 50 contacts (the guard, an audit event and the unsealing of each "
        "identity), not finding them: the query alone takes the same fraction of a millisecond at both "
        "sizes. On a machine shared with other work the other figures vary by a few tens of "
        "milliseconds from run to run, at either size.", "",
        f"Machine: {machine()}. Absolute figures depend on it; the ratios are measured in the same run.", "",
    ]  # fmt: skip
    return "\n".join(lines)


def main() -> None:
    """Measure both sizes, print the table and write the Markdown page."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--people", type=int, default=1_000_000)
    parser.add_argument("--reference", type=int, default=10_000)
    parser.add_argument("--mine", type=int, default=1_000)
    parser.add_argument("--seed", type=int, default=2020)
    options = parser.parse_args()
    small = measure(options.reference, options.mine, options.seed)
    large = measure(options.people, options.mine, options.seed)
    table = Table("measure", f"{small.people:,} ms", f"{large.people:,} ms", "ratio", title="Tracer pages")
    for name, value in large.ms.items():
        table.add_row(name, f"{small.ms[name]:.1f}", f"{value:.1f}", f"{value / small.ms[name]:.2f}")
    out.print(table)
    out.print(f"plan: {large.plan}")
    command = (
        f"python benchmarks/tracer_queue.py --people {options.people} --reference {options.reference} "
        f"--mine {options.mine} --seed {options.seed}"
    )
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(markdown(large, small, command, options.mine), encoding="utf-8")
    record("tracer_queue", headlines(large, small), options=vars(options),
           notes=[f"the measured tracer has {options.mine:,} open tasks"])  # fmt: skip


def headlines(large: Run, small: Run) -> list[Headline]:
    """The tracer's pages at scale beside the same tracer's in a small installation, and `my_queue`
    beside the API's `list_tasks`."""
    at = f"the same tracer among {small.people:,} people"
    lines = [
        Headline(
            f"{name}, {large.people:,} people",
            large.ms[name],
            at,
            small.ms[name],
            "ms",
            higher_is_better=False,
        )
        for name in HEADLINES
    ]
    list_tasks_page = "list_tasks (the API's, due first), page 1"
    lines.append(
        Headline(
            f"my_queue, page 1, {large.people:,} people",
            large.ms["my_queue, page 1"],
            "the API's list_tasks, page 1",
            large.ms[list_tasks_page],
            "ms",
            higher_is_better=False,
        )
    )
    return lines


if __name__ == "__main__":
    main()
