"""The epidemiologist's pages at national scale: the dashboard and the case list (and one case, one
chain) served through the app (session, grant, guard, audit, rendering) over a SQLite installation of
10,000 to 1,000,000 people, beside the database answering the same questions in bare SQL in the same
run: the ratio is what the whole stack adds to the query that cannot be avoided.

    python benchmarks/pages.py [--sizes 10000,100000,1000000] [--runs 15] [--seed 2020]

The world is `benchmarks/exposure_world.py`'s (5 exposures a person over 8 weeks, 1% cases), bulk-loaded
as in `tracing_store.py` (minimal people rows; the pages measured here show no identity), with each case
given a report date 0 to 3 days after its onset and one of 96 départements, then every tier computed.
The tracer's queue, the clinician's and the laboratory's lists and the officer's audit searches have
their own benchmarks (`tracer_queue.py`, `clinic_pages.py`, `oversight.py`), whose results are linked
from the page this writes: benchmarks/results/pages.md. No timing is asserted anywhere.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import re
import sqlite3
import statistics
import tempfile
import time
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from fastapi.testclient import TestClient
from rich.console import Console
from rich.table import Table

from benchmarks.exposure_world import synthetic
from benchmarks.summary import Headline, record, results_dir
from benchmarks.tracing_store import load_store
from serment.access import operator
from serment.access.accounts import add_user
from serment.clock import FixedClock
from serment.installation import Installation, initialise, open_installation
from serment.settings import Settings
from serment.tracing.standings import recompute_in
from serment.web import create_app

RESULTS = results_dir() / "pages.md"
# `make bench`'s quick scale: 10,000 and 100,000 people, 5 runs a page.
QUICK_ARGS = ["--sizes", "10000,100000", "--runs", "5"]
# Each page beside the bare SQL it cannot avoid.
PAIRS = (
    ("dashboard", "reference: the curve and tiers in bare SQL"),
    ("dashboard, one département", "reference: the curve and tiers in bare SQL"),
    ("case list, page 1", "reference: a page of cases in bare SQL, page 1"),
    ("case list, page 100", "reference: a page of cases in bare SQL, page 100"),
)
NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
EPIDEMIOLOGIST, PASSWORD = "epi-bench", "benchmark password"
DEPARTMENTS = [f"{n:02d}" for n in range(1, 96) if n != 20] + ["2A", "2B"]
CSRF = re.compile(r'name="csrf" value="([^"]+)"')
HTML = {"Accept": "text/html", "Accept-Language": "fr"}
out = Console()
Timed = Callable[[], object]


def _spread_cases(installation: Installation, seed: int) -> None:
    """Report dates 0 to 3 days after onset, and a département for every case."""
    rng = random.Random(seed)
    with installation.database.write() as session:
        connection = session.connection().connection
        cases = connection.execute("SELECT ref, onset_date FROM cases").fetchall()
        updates = []
        for ref, onset in cases:
            day = date.fromisoformat(onset) + timedelta(days=rng.randint(0, 3))
            reported = min(datetime.combine(day, datetime.min.time()) + timedelta(hours=rng.randint(8, 19)),
                           NOW.replace(tzinfo=None))  # fmt: skip
            updates.append(
                (reported.isoformat(sep=" ", timespec="microseconds"), rng.choice(DEPARTMENTS), ref)
            )
        connection.executemany("UPDATE cases SET reported_at = ?, department = ? WHERE ref = ?", updates)


def _timed(call: Timed, runs: int) -> tuple[float, float]:
    """The median and the slowest of `runs` calls after one warm-up, in milliseconds."""
    call()
    spent = []
    for _ in range(runs):
        started = time.perf_counter()
        call()
        spent.append((time.perf_counter() - started) * 1000)
    return statistics.median(spent), max(spent)


def _page(client: TestClient, path: str) -> Timed:
    def get() -> object:
        response = client.get(path, headers=HTML)
        if response.status_code != 200:
            raise RuntimeError(f"{path} answered {response.status_code}: {response.text[:300]}")
        return response

    return get


def _sql(database: Path, statements: Sequence[tuple[str, tuple[object, ...]]]) -> Timed:
    connection = sqlite3.connect(database)

    def run() -> object:
        return [connection.execute(sql, parameters).fetchall() for sql, parameters in statements]

    return run


def _signed_in(installation: Installation, settings: Settings) -> TestClient:
    add_user(installation.platform, operator(), name=EPIDEMIOLOGIST, role="epidemiologist", password=PASSWORD)
    client = TestClient(create_app(settings, installation=installation), base_url="http://127.0.0.1")
    form = client.get("/sign-in", headers=HTML)
    token = CSRF.search(form.text)
    if token is None:
        raise RuntimeError("the sign-in form has no CSRF token")
    answer = client.post(
        "/sign-in", headers=HTML, follow_redirects=False,
        data={"name": EPIDEMIOLOGIST, "password": PASSWORD, "next": "/", "csrf": token.group(1)},
    )  # fmt: skip
    if answer.status_code != 303:
        raise RuntimeError(f"signing in answered {answer.status_code}")
    return client


def measure(people: int, seed: int, runs: int) -> dict[str, tuple[float, float]]:
    """Every figure at one size: name -> (median ms, slowest ms)."""
    figures: dict[str, tuple[float, float]] = {}
    world = synthetic(people, seed, NOW.date())
    with tempfile.TemporaryDirectory() as scratch:
        settings = Settings(data_dir=Path(scratch) / "data", policy="fr-2020")
        initialise(settings, clock=FixedClock(NOW))
        installation = open_installation(settings, clock=FixedClock(NOW))
        try:
            started = time.perf_counter()
            load_store(installation, world, NOW)
            _spread_cases(installation, seed)
            with installation.database.write() as session:
                recompute_in(installation.platform, session, NOW.date())
            out.log(f"{people:,} people loaded and traced in {time.perf_counter() - started:.0f} s")
            database = Path(scratch) / "data" / "serment.db"
            client = _signed_in(installation, settings)
            start, end = (NOW.date() - timedelta(days=27)).isoformat(), NOW.date().isoformat()
            case = (
                sqlite3.connect(database)
                .execute("SELECT ref FROM cases ORDER BY reported_at DESC")
                .fetchone()[0]
            )
            pages = {
                "dashboard": f"/epi/dashboard?from={start}&to={end}",
                "dashboard, one département": f"/epi/dashboard?from={start}&to={end}&area=75",
                "case list, page 1": "/epi/cases",
                "case list, page 100": "/epi/cases?page=100",
                "one case": f"/epi/cases/{case}",
            }
            for name, path in pages.items():
                figures[name] = _timed(_page(client, path), runs)
            first = datetime.combine(date.fromisoformat(start), datetime.min.time()).isoformat(sep=" ")
            after = datetime.combine(NOW.date() + timedelta(days=1), datetime.min.time()).isoformat(sep=" ")
            curve = [
                ("SELECT onset_date, count(*) FROM cases WHERE status = 'confirmed' AND onset_date "
                 "BETWEEN ? AND ? GROUP BY onset_date", (start, end)),
                ("SELECT substr(reported_at, 1, 10), count(*) FROM cases WHERE status = 'confirmed' AND "
                 "reported_at >= ? AND reported_at < ? GROUP BY 1", (first, after)),
                ("SELECT tier, count(*) FROM tiers GROUP BY tier", ()),
            ]  # fmt: skip
            listing = "SELECT ref, status, onset_date, reported_at, department FROM cases "
            listing += "ORDER BY reported_at DESC, ref DESC LIMIT 50 OFFSET ?"
            figures["reference: the curve and tiers in bare SQL"] = _timed(_sql(database, curve), runs)
            figures["reference: a page of cases in bare SQL, page 1"] = _timed(
                _sql(database, [(listing, (0,))]), runs
            )
            figures["reference: a page of cases in bare SQL, page 100"] = _timed(
                _sql(database, [(listing, (99 * 50,))]), runs
            )
        finally:
            installation.close()
    return figures


def _machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        memory = int(Path("/proc/meminfo").read_text().split()[1]) // 2**20
    except OSError:
        memory = 0
    return f"{cpu}, {os.cpu_count()} cores, {memory} GiB, Python {platform.python_version()}"


def markdown(sizes: list[int], results: dict[int, dict[str, tuple[float, float]]], command: str) -> str:
    """The page of results: every figure at every size, then the ratios to the bare SQL at the largest."""
    largest = results[sizes[-1]]
    lines = [
        "# The epidemiologist's pages at scale", "", f"`{command}`", "",
        "Through the app in-process (session, grant, guard, one audit event per view, rendering), on SQLite; "
        "median of the runs after a warm-up (slowest in brackets), in ms.", "",
        "| measure | " + " | ".join(f"{size:,} people" for size in sizes) + " |",
        "| --- | " + " | ".join("---:" for _ in sizes) + " |",
    ]  # fmt: skip
    for name in largest:
        cells = [f"{results[size][name][0]:.1f} ({results[size][name][1]:.0f})" for size in sizes]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    lines += ["", f"Ratios to the bare SQL of the same run at {sizes[-1]:,} people:", "",
              "| page | page ms | bare SQL ms | ratio |", "| --- | ---: | ---: | ---: |"]  # fmt: skip
    for page, reference in PAIRS:
        ours, theirs = largest[page][0], largest[reference][0]
        lines.append(f"| {page} | {ours:.1f} | {theirs:.2f} | **{ours / theirs:.1f}** |")
    lines += [
        "",
        "The bare SQL computes the curve and the tier counts only; the dashboard also finds the active "
        "chains (a graph walk outwards from the links between cases within the lookback), lists cluster "
        "alerts and renders an SVG, which is what the ratio measures.",
        "",
        "The other pages have their own benchmarks: [tracer_queue.md](tracer_queue.md) (the tracer's queue "
        "at a million people), [clinic_pages.md](clinic_pages.md) (the clinician's reports and the "
        "laboratory's imports) and [oversight.md](oversight.md) (the officer's audit searches).",
        "",
        f"Machine: {_machine()}. Absolute figures depend on it; the ratios are measured in the same run.",
    ]
    return "\n".join(lines) + "\n"


def main() -> None:
    """Measure each size, print the table and write the Markdown page."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--seed", type=int, default=2020)
    options = parser.parse_args()
    sizes = sorted(int(size) for size in options.sizes.split(","))
    results = {size: measure(size, options.seed, options.runs) for size in sizes}
    table = Table("measure", *(f"{size:,}" for size in sizes), title="Epidemiologist's pages, median ms")
    for name in results[sizes[-1]]:
        table.add_row(name, *(f"{results[size][name][0]:.1f}" for size in sizes))
    out.print(table)
    command = (
        f"python benchmarks/pages.py --sizes {options.sizes} --runs {options.runs} --seed {options.seed}"
    )
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(markdown(sizes, results, command), encoding="utf-8")
    largest = results[sizes[-1]]
    record("pages", [
        Headline(f"{page}, {sizes[-1]:,} people", largest[page][0], reference.removeprefix("reference: "),
                 largest[reference][0], "ms", higher_is_better=False)
        for page, reference in PAIRS
    ], options=vars(options), notes=[f"medians of {options.runs} runs at {sizes[-1]:,} people"])  # fmt: skip


if __name__ == "__main__":
    main()
