"""Tiers at national scale: a full recomputation by `serment.tracing.arrays` beside python-igraph's
breadth-first search over the same graph, in the same run; the incremental update after one new
positive, in memory and through the store; peak memory; the scaling curve.

    python benchmarks/tracing.py [--sizes 10000,30000,100000,300000,1000000] [--store 100000,1000000]
                                 [--positives 200] [--policy vn-2020] [--seed 2020]

The world is synthetic and seeded (numpy): households whose members are exposed over the whole window,
one-day exposures within workplaces and schools, and random mixing; 5 exposures a person, their days
spread over 8 weeks so that the 14-day lookback matters; 1% of people are cases, their onsets over 4
weeks; 5% have a negative test in the last 2 weeks. `serment/demo` makes a richer France, but at a
million people it takes 46 s and 6.7 million exposures a week, so that neither the count nor the spread
of days could be chosen.

igraph walks the exposures that count at T (the lookback applied beforehand, in its favour) from a
super-source joined to every case: `bfs` walks the whole component, `neighborhood(order=depth + 1)` only
as deep as the tiers. Ours applies the lookback, infectious windows and clearing as it spreads. The store
runs hold minimal `people` rows (no identity, no key: the exposures' foreign keys need the rows only),
bulk-inserted, on SQLite. Writes benchmarks/results/tracing.md. No timing is asserted anywhere.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

import igraph
import numpy as np
import numpy.typing as npt
from rich.console import Console
from rich.table import Table

from benchmarks.exposure_world import World, new_positives, synthetic
from benchmarks.summary import Headline, record, results_dir
from benchmarks.tracing_store import StoreRun, measure_store
from serment.policy import load_policy
from serment.policy.tracing import TracingRules
from serment.tracing.arrays import (
    NONE,
    ArrayGraph,
    ExposureArrays,
    exposures_from,
    tier_arrays,
    tiers_at_fast,
)  # fmt: skip
from serment.tracing.tiers import Contact, Facts, Standing, tiers_at, update_tiers

ROOT = Path(__file__).resolve().parent.parent
RESULTS = results_dir() / "tracing.md"
# `make bench`'s quick scale: up to 300,000 people in memory, 10,000 through the store.
QUICK_ARGS = ["--sizes", "10000,100000,300000", "--store", "10000", "--positives", "50"]
NOW = datetime(2026, 3, 2, 8, 30, tzinfo=UTC)
AT = NOW.date()
REPEATS = 5
PARTS = ("indptr", "other", "first", "last", "cases", "negatives")
console = Console(stderr=True)
out = Console(width=180)


@dataclass
class Scale:
    """The in-memory figures at one size."""

    people: int
    exposures: int
    counted: int
    by_tier: list[int] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)
    update_ms: list[float] = field(default_factory=list)
    equal: bool = False
    rss: tuple[float, float] = (0.0, 0.0)


def measure_in_memory(
    world: World, policy: str, positives: list[tuple[int, date]]
) -> tuple[Scale, ArrayGraph[int]]:
    """Full recomputation beside igraph, peak memory, and the update after each new positive."""
    rules = load_policy(policy).tracing
    started = time.perf_counter()
    arrays = exposures_from(range(world.people), world.a, world.b, world.date_from, world.date_to)
    arrays_s = time.perf_counter() - started
    today = AT.toordinal()
    day = np.minimum(world.date_to, today)
    counts = (day >= world.date_from) & (day >= today - rules.lookback_days) & (world.a != world.b)
    scale = Scale(world.people, len(world.a), int(counts.sum()))
    scale.seconds = {"arrays": arrays_s, **_beside_igraph(world, arrays, counts, rules)}
    tiers = tier_arrays(AT, rules, arrays, world.cases, world.negatives)
    started = time.perf_counter()
    standings = tiers.standings(arrays.people)
    scale.seconds["standings"] = time.perf_counter() - started
    scale.by_tier = np.bincount(tiers.tier[tiers.tier >= 0], minlength=rules.depth + 1).tolist()
    scale.rss = _peak_in_own_process(arrays, world, policy)
    scale.seconds |= _from_contacts(world, rules, standings)
    memory = ArrayGraph(arrays, world.cases.copy(), world.negatives, standings)
    for person, onset in positives:
        started = time.perf_counter()
        memory.mark_case(person, onset)
        memory.store(update_tiers(AT, rules, memory, {person}))
        scale.update_ms.append((time.perf_counter() - started) * 1000)
    again = tier_arrays(AT, rules, arrays, memory.cases, world.negatives).standings(arrays.people)
    scale.equal = again == memory.standings and not scale.seconds["differ"]
    return scale, memory


def _from_contacts(world: World, rules: TracingRules, standings: dict[int, Standing]) -> dict[str, float]:
    """Seconds of the plain engine and of `tiers_at_fast` over the exposures as `Contact` objects, as a
    store gives them (1.0 more when `tiers_at_fast` disagrees with either, which would void the run)."""
    days = {day: date.fromordinal(day) for day in np.unique(np.concatenate((world.date_from, world.date_to)))}
    columns = (world.a.tolist(), world.b.tolist(), world.date_from.tolist(), world.date_to.tolist())
    contacts = [Contact(a, b, days[since], days[until]) for a, b, since, until in zip(*columns, strict=True)]
    facts = Facts(
        {int(p): date.fromordinal(int(world.cases[p])) for p in np.flatnonzero(world.cases != NONE)},
        {int(p): date.fromordinal(int(world.negatives[p])) for p in np.flatnonzero(world.negatives != NONE)},
    )
    started = time.perf_counter()
    plain = tiers_at(AT, rules, facts, contacts)
    plain_s = time.perf_counter() - started
    started = time.perf_counter()
    fast = tiers_at_fast(AT, rules, facts, contacts)
    fast_s = time.perf_counter() - started
    return {"plain": plain_s, "fast": fast_s, "differ": float(not plain == fast == standings)}


def _beside_igraph(
    world: World, arrays: ExposureArrays[int], counts: npt.NDArray[np.bool_], rules: TracingRules
) -> dict[str, float]:
    """Seconds: igraph's graph built once, then the median of alternating runs of ours and igraph's."""
    started = time.perf_counter()
    cases = np.flatnonzero(world.cases != NONE)
    edges = np.concatenate((
        np.column_stack((world.a[counts], world.b[counts])),
        np.column_stack((np.full(len(cases), world.people), cases)),
    ))  # fmt: skip
    graph = igraph.Graph(n=world.people + 1, edges=edges.tolist())
    seconds = {"igraph_build": time.perf_counter() - started}
    works = {
        "ours": lambda: tier_arrays(AT, rules, arrays, world.cases, world.negatives),
        "bfs": lambda: graph.bfs(world.people),
        "neighborhood": lambda: graph.neighborhood(world.people, order=rules.depth + 1),
    }
    runs: dict[str, list[float]] = {name: [] for name in works}
    for _ in range(REPEATS):
        for name, work in works.items():
            started = time.perf_counter()
            work()
            runs[name].append(time.perf_counter() - started)
    return seconds | {name: statistics.median(times) for name, times in runs.items()}


def _peak_in_own_process(arrays: ExposureArrays[int], world: World, policy: str) -> tuple[float, float]:
    """RSS before and peak RSS after one full recomputation, in a fresh process that loads the arrays."""
    parts = {"indptr": arrays.indptr, "other": arrays.other, "first": arrays.first, "last": arrays.last}
    with tempfile.TemporaryDirectory() as scratch:
        for name, values in (parts | {"cases": world.cases, "negatives": world.negatives}).items():
            np.save(Path(scratch) / f"{name}.npy", values)
        answer = subprocess.run(
            [sys.executable, __file__, "--probe", scratch, "--policy", policy],
            check=True, capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(ROOT)},
        )  # fmt: skip
    before, peak = json.loads(answer.stdout)
    return before, peak


def probe(scratch: str, policy: str) -> None:
    """The child of `_peak_in_own_process`: load the arrays, read the RSS, recompute once, read the peak."""
    parts = {name: np.load(Path(scratch) / f"{name}.npy") for name in PARTS}
    people = len(parts["indptr"]) - 1
    arrays = ExposureArrays(range(people), {}, parts["indptr"], parts["other"], parts["first"], parts["last"])
    rules = load_policy(policy).tracing
    before = _status("VmRSS")
    # The process's own high-water mark: getrusage's maxrss would keep the parent's from the fork.
    Path("/proc/self/clear_refs").write_text("5")
    tier_arrays(AT, rules, arrays, parts["cases"], parts["negatives"])
    print(json.dumps([before, _status("VmHWM")]))


def _status(field: str) -> float:
    """A memory figure of this process, in MiB, from /proc/self/status."""
    lines = Path("/proc/self/status").read_text().splitlines()
    return next(int(line.split()[1]) for line in lines if line.startswith(f"{field}:")) / 1024


def _percentile(values: list[float], share: float) -> float:
    return float(np.percentile(values, share)) if values else float("nan")


def machine() -> str:
    """The processor, cores, memory and Python of this machine, for reading the figures."""
    cpu = platform.processor() or platform.machine()
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    memory = next(
        int(line.split()[1]) for line in Path("/proc/meminfo").read_text().splitlines()
        if line.startswith("MemTotal")
    )  # fmt: skip
    return (
        f"{cpu}, {os.cpu_count()} cores, {memory / 2**20:.0f} GiB, Python {platform.python_version()}, "
        f"numpy {np.__version__}, igraph {igraph.__version__}"
    )


Section = tuple[str, list[str], list[list[str]]]


def sections(scales: list[Scale], stores: list[StoreRun], positives: int, policy: str) -> list[Section]:
    """The tables of the report: the largest size in full, then the scaling curve and the store runs."""
    top = scales[-1]
    s = top.seconds
    p50, p99 = _percentile(top.update_ms, 50), _percentile(top.update_ms, 99)
    headline = [
        ["exposures held as arrays, both directions (`exposures_from`)", f"{s['arrays']:.2f} s"],
        ["igraph graph of the exposures counting at T, and a super-source", f"{s['igraph_build']:.2f} s"],
        ["**full recomputation, `tier_arrays`** (median of 5)", f"**{1000 * s['ours']:.0f} ms**"],
        ["igraph `bfs` from the super-source (median of 5)", f"{1000 * s['bfs']:.0f} ms"],
        ["**ratio ours / igraph bfs** (goal <= 1)", f"**{s['ours'] / s['bfs']:.2f}**"],
        [f"igraph `neighborhood(order={len(top.by_tier)})`, as deep as the tiers",
         f"{1000 * s['neighborhood']:.0f} ms"],
        ["ratio ours / igraph neighborhood", f"{s['ours'] / s['neighborhood']:.2f}"],
        [f"the {sum(top.by_tier):,} standings as a dict (the rest of `tiers_at_fast`)",
         f"{1000 * s['standings']:.0f} ms"],
        ["ratio (ours + dict) / igraph bfs", f"{(s['ours'] + s['standings']) / s['bfs']:.2f}"],
        ["RSS with the arrays loaded; peak after a recomputation",
         f"{top.rss[0]:.0f} MiB; {top.rss[1]:.0f} MiB"],
        [f"update after a new positive, in memory: p50; p99 of {positives}",
         f"{p50:.2f} ms; **{p99:.2f} ms**"],
        [f"plain `tiers_at` over the {top.exposures:,} exposures as `Contact` objects",
         f"{s['plain']:.1f} s"],
        ["`tiers_at_fast` over the same objects (arrays built from them)", f"{s['fast']:.1f} s"],
        ["both agree; after the new positives, the updated tiers equal a full recomputation",
         "yes" if top.equal else "**NO**"],
    ]  # fmt: skip
    scaling = [
        [f"{x.people:,}", f"{x.exposures:,}", f"{x.counted:,}", " / ".join(f"{n:,}" for n in x.by_tier),
         f"{x.seconds['arrays']:.2f}", f"{1000 * x.seconds['ours']:.1f}", f"{1000 * x.seconds['bfs']:.1f}",
         f"**{x.seconds['ours'] / x.seconds['bfs']:.2f}**", f"{1000 * x.seconds['neighborhood']:.1f}",
         f"{x.rss[1] - x.rss[0]:.0f}", f"{x.seconds['plain']:.2f}", f"{x.seconds['fast']:.2f}",
         f"{_percentile(x.update_ms, 50):.2f}",
         f"{_percentile(x.update_ms, 99):.2f}"]
        for x in scales
    ]  # fmt: skip
    store = [
        [f"{r.people:,}", f"{r.seconds['load']:.0f}", f"{r.database_mib:,.0f}",
         f"{r.seconds['recompute']:.1f}", f"{r.seconds['recompute_again']:.1f}",
         f"{_percentile(r.listener_ms, 50):.1f}", f"**{_percentile(r.listener_ms, 99):.1f}**",
         f"{_percentile(r.transaction_ms, 50):.1f}", f"{_percentile(r.transaction_ms, 99):.1f}",
         "yes" if r.equal else "**NO**"]
        for r in stores
    ]  # fmt: skip
    return [
        (f"At {top.people:,} people, {top.exposures:,} exposures ({top.counted:,} counting at T), {policy}",
         ["measure", "value"], headline),
        ("Scaling, in memory",
         ["people", "exposures", "counting at T", "by tier", "arrays s", "ours ms", "igraph bfs ms", "ratio",
          "igraph neighborhood ms", "peak RSS over arrays MiB", "`tiers_at` s", "`tiers_at_fast` s",
          "update p50 ms", "update p99 ms"], scaling),
        (f"Through the store (SQLite): {positives} new positives, each in a transaction of its own",
         ["people", "load s", "database MiB", "`recompute_in` s", "again, tiers stored s",
          "listener p50 ms", "listener p99 ms", "transaction p50 ms", "transaction p99 ms",
          "stored tiers equal memory's"], store),
    ]  # fmt: skip


def markdown(tables: list[Section], command: str) -> str:
    """The Markdown page of the tables."""
    lines = [
        "# Tracing benchmark",
        "",
        f"`{command}`",
        "",
        (__doc__ or "").split("\n\n")[2].replace("\n", " "),
        "",
    ]
    for title, headers, rows in tables:
        lines += [f"## {title}", "", "| " + " | ".join(headers) + " |"]
        lines.append("| --- |" + " ---: |" * (len(headers) - 1))
        lines += ["| " + " | ".join(row) + " |" for row in rows] + [""]
    lines += [
        "The update is `update_tiers` with `changed={person}` after marking them a case; in the store, the "
        "listeners are all the platform's (tiers and plans, tracer tasks, cluster alerts), run in the "
        "transaction that adds the case and its positive test, and the "
        "transaction's time includes those writes and the commit (WAL, synchronous=FULL). Percentiles by "
        "linear interpolation.",
        "",
        f"Machine: {machine()}. Absolute figures depend on it; the ratios are measured in the same run.",
        "",
    ]
    return "\n".join(lines)


def main() -> None:
    """Parse the options, measure each size, print the tables and write the Markdown page."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--sizes", default="10000,30000,100000,300000,1000000")
    parser.add_argument("--store", default="100000,1000000", help="sizes also measured through the store")
    parser.add_argument("--positives", type=int, default=200)
    parser.add_argument("--policy", default="vn-2020")
    parser.add_argument("--seed", type=int, default=2020)
    parser.add_argument("--probe", help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.probe:
        probe(options.probe, options.policy)
        return
    sizes = sorted(int(size) for size in options.sizes.split(","))
    through_store = {int(size) for size in options.store.split(",") if size}
    scales, stores = [], []
    for people in sizes:
        world = synthetic(people, options.seed, AT)
        positives = new_positives(world, options.positives, options.seed, AT)
        scale, memory = measure_in_memory(world, options.policy, positives)
        scales.append(scale)
        console.log(f"{people:,} people: full {1000 * scale.seconds['ours']:.1f} ms, "
                    f"update p99 {_percentile(scale.update_ms, 99):.2f} ms")  # fmt: skip
        if people in through_store:
            stores.append(measure_store(world, options.policy, positives, memory, NOW))
            console.log(f"{people:,} people through the store: {stores[-1].seconds}")
    command = (
        f"python benchmarks/tracing.py --sizes {options.sizes} --store {options.store} "
        f"--positives {options.positives} --policy {options.policy} --seed {options.seed}"
    )
    tables = sections(scales, stores, options.positives, options.policy)
    for title, headers, rows in tables:
        table = Table(*(header.replace("*", "").replace("`", "") for header in headers), title=title)
        for row in rows:
            table.add_row(*(cell.replace("*", "").replace("`", "") for cell in row))
        out.print(table)
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(markdown(tables, command), encoding="utf-8")
    record("tracing", headlines(scales[-1]), options=vars(options),
           notes=[f"{options.policy}; medians of {REPEATS}"])  # fmt: skip


def headlines(top: Scale) -> list[Headline]:
    """A full recomputation of the tiers at the largest size beside igraph's two walks."""
    ours = 1000 * top.seconds["ours"]
    measure = f"full recomputation of the tiers, `tier_arrays`, {top.people:,} people"
    return [
        Headline(measure, ours, "igraph `bfs` from a super-source", 1000 * top.seconds["bfs"], "ms",
                 higher_is_better=False),
        Headline(measure, ours, "igraph `neighborhood`, as deep as the tiers",
                 1000 * top.seconds["neighborhood"], "ms", higher_is_better=False),
    ]  # fmt: skip


if __name__ == "__main__":
    main()
