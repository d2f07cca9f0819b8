"""The synthetic France at national scale: people per second of `generate_population` and exposures per
second of the `exposures` stream at 10,000, 100,000 and 1,000,000 people, each size in a process of its
own (its peak RSS is its own), beside references measured in the same process: a plain Python loop
making tuples of the same shape from `random.Random` (the floor of any Python generator), and DuckDB
materialising as many rows of a comparable shape from `range()` and `random()` (a vectorised engine).

    python benchmarks/generator.py [--sizes 10000,100000,1000000] [--days 7] [--seed 7]

Absolute figures depend on the machine; the ratios say what realism costs: the population keeps NIRs
and identities unique, households plausible and places by commune; the stream samples distinct pairs
per place and day. Writes benchmarks/results/generator.md. No timing is asserted anywhere.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import resource
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import duckdb

from benchmarks.summary import Headline, record, results_dir
from serment.demo.exposures import SETTINGS, exposures
from serment.demo.outbreak import simulate_outbreak
from serment.demo.population import generate_population

ROOT = Path(__file__).resolve().parent.parent
RESULTS = results_dir() / "generator.md"
# `make bench`'s quick scale: the two smaller sizes, well under a minute.
QUICK_ARGS = ["--sizes", "10000,100000"]
START = date(2026, 3, 2)  # a Monday
OUTBREAK_DAYS = 60
_NAMES = tuple(f"Nom{number}" for number in range(400))
_SETTINGS = tuple(SETTINGS)


def _peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def serment_once(people: int, days: int, seed: int) -> dict[str, float]:
    """Generate the population, stream its exposures, simulate its outbreak; seconds, counts, memory."""
    started = time.perf_counter()
    population = generate_population(people, seed, start=START)
    population_s = time.perf_counter() - started
    population_mib = _peak_mib()
    started = time.perf_counter()
    counts = Counter(exposure.setting for exposure in exposures(population, START, days, seed))
    exposures_s = time.perf_counter() - started
    stream_mib = _peak_mib()
    started = time.perf_counter()
    outbreak = simulate_outbreak(population, days=OUTBREAK_DAYS, seed=seed, start=START)
    outbreak_s = time.perf_counter() - started
    return {
        "people": people,
        "households": len(population.households),
        "places": len(population.places),
        "population_s": population_s,
        "population_mib": population_mib,
        "exposures": sum(counts.values()),
        **{f"exposures_{setting}": counts[setting] for setting in SETTINGS},
        "exposures_s": exposures_s,
        "stream_mib": stream_mib,
        "outbreak_s": outbreak_s,
        "infected": len(outbreak.infected),
    }


def plain_people(count: int, seed: int) -> float:
    """Seconds for a loop to make `count` tuples shaped like a Person, from random draws."""
    rng = random.Random(seed)
    started = time.perf_counter()
    made = []
    for index in range(count):
        born = date.fromordinal(715_000 + rng.randrange(32_000))
        made.append((
            index, rng.choice(_NAMES), rng.choice(_NAMES), born, rng.choice("FM"),
            f"{rng.randrange(10**13):013d}{rng.randrange(97):02d}", f"+33 6 {rng.randrange(10**8):08d}",
            f"{rng.choice(_NAMES).lower()}{index}@example.org", index // 2, None, None,
        ))  # fmt: skip
    return time.perf_counter() - started


def plain_exposures(count: int, people: int, days: int, seed: int) -> float:
    """Seconds for a generator to yield `count` tuples shaped like an Exposure, from random draws,
    counted by setting as Serment's stream is."""

    def stream() -> Iterator[tuple[int, int, date, date, str, None]]:
        rng = random.Random(seed)
        dates = [START + timedelta(days=offset) for offset in range(days)]
        for _ in range(count):
            day = dates[rng.randrange(days)]
            yield rng.randrange(people), rng.randrange(people), day, day, rng.choice(_SETTINGS), None

    started = time.perf_counter()
    Counter(exposure[4] for exposure in stream())
    return time.perf_counter() - started


def duckdb_people(count: int) -> float:
    """Seconds for DuckDB to materialise `count` person-shaped rows from range() and random()."""
    connection = duckdb.connect()
    started = time.perf_counter()
    connection.execute(
        "create table people as select range as index, "
        "'Nom' || (random() * 400)::int as family_name, 'Prenom' || (random() * 400)::int as given_names, "
        "date '1936-01-01' + (random() * 32000)::int as birth_date, "
        "case when random() < 0.5 then 'F' else 'M' end as sex, "
        "lpad(((random() * 1e15)::bigint)::varchar, 15, '0') as nir, "
        "'+33 6 ' || lpad(((random() * 1e8)::bigint)::varchar, 8, '0') as phone, "
        "'nom' || range || '@example.org' as email, range // 2 as household, "
        "null::varchar as workplace, null::varchar as school from range(?)",
        [count],
    )
    seconds = time.perf_counter() - started
    connection.close()
    return seconds


def duckdb_exposures(count: int, people: int, days: int) -> float:
    """Seconds for DuckDB to materialise `count` exposure-shaped rows from range() and random()."""
    connection = duckdb.connect()
    started = time.perf_counter()
    connection.execute(
        "create table exposures as select (random() * ?)::int as person, (random() * ?)::int as contact, "
        "date '2026-03-02' + (range % ?)::int as date_from, date_from as date_to, "
        "['household', 'work', 'school', 'venue', 'transport'][1 + floor(random() * 5)::int] as setting, "
        "case when random() < 0.6 then 'work-' || lpad(((random() * 1e5)::int)::varchar, 6, '0') end "
        "as place_id from range(?)",
        [people - 1, people - 1, days, count],
    )
    seconds = time.perf_counter() - started
    connection.close()
    return seconds


def one_size(people: int, days: int, seed: int) -> dict[str, float]:
    """Serment's figures for `people`, then the references for the same counts (RSS taken before them)."""
    figures = serment_once(people, days, seed)
    count = int(figures["exposures"])
    return figures | {
        "plain_people_s": plain_people(people, seed),
        "duckdb_people_s": duckdb_people(people),
        "plain_exposures_s": plain_exposures(count, people, days, seed),
        "duckdb_exposures_s": duckdb_exposures(count, people, days),
    }


def _in_own_process(people: int, days: int, seed: int) -> dict[str, float]:
    answer = subprocess.run(
        [sys.executable, __file__, "--one", str(people), "--days", str(days), "--seed", str(seed)],
        check=True, capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(ROOT)},
    )  # fmt: skip
    figures: dict[str, float] = json.loads(answer.stdout.strip().splitlines()[-1])
    return figures


def machine() -> str:
    """The processor, cores, memory and Python of this machine, for reading the figures."""
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        memory_kib = next(
            int(line.split()[1]) for line in Path("/proc/meminfo").read_text().splitlines()
            if line.startswith("MemTotal")
        )  # fmt: skip
        memory = f"{memory_kib / 1024 / 1024:.0f} GiB"
    except (OSError, StopIteration):
        memory = "unknown memory"
    return f"{cpu}, {os.cpu_count()} cores, {memory}, Python {platform.python_version()}"


def report(runs: list[dict[str, float]], command: str, days: int) -> str:
    """The Markdown page of the runs."""
    lines = [
        "# Synthetic France generator benchmark",
        "",
        f"`{command}`",
        "",
        "Each size in a process of its own; peak RSS is that process's (`resource.getrusage`), taken "
        "before the references run. References in the same process: a plain Python loop making tuples "
        "of the same shape from `random.Random`, and DuckDB materialising as many rows of a comparable "
        "shape from `range()` and `random()`. Ratio: Serment's rate over the reference's.",
        "",
        "## People: `generate_population`",
        "",
        "| people | households | places | s | people/s | plain loop people/s | ratio | DuckDB people/s "
        "| ratio | peak RSS MiB | outbreak of 60 days, s |",
        "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for run in runs:
        people = run["people"]
        ours, plain, columnar = (
            people / run[key] for key in ("population_s", "plain_people_s", "duckdb_people_s")
        )
        lines.append(
            f"| {people:,.0f} | {run['households']:,.0f} | {run['places']:,.0f} | {run['population_s']:.2f} "
            f"| {ours:,.0f} | {plain:,.0f} | **{ours / plain:.3f}** | {columnar:,.0f} "
            f"| {ours / columnar:.4f} | {run['population_mib']:.0f} | {run['outbreak_s']:.2f} |"
        )
    lines += [
        "",
        f"## Exposures: `exposures(population, start, {days}, seed)`, from Monday {START}",
        "",
        "| people | exposures | household | work | school | venue | transport | s | exposures/s "
        "| plain loop exposures/s | ratio | DuckDB exposures/s | ratio | peak RSS MiB after the stream |",
        "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for run in runs:
        count = run["exposures"]
        ours, plain, columnar = (
            count / run[key] for key in ("exposures_s", "plain_exposures_s", "duckdb_exposures_s")
        )
        settings = " | ".join(f"{run[f'exposures_{setting}']:,.0f}" for setting in SETTINGS)
        lines.append(
            f"| {run['people']:,.0f} | {count:,.0f} | {settings} | {run['exposures_s']:.2f} | {ours:,.0f} "
            f"| {plain:,.0f} | **{ours / plain:.3f}** | {columnar:,.0f} | {ours / columnar:.4f} "
            f"| {run['stream_mib']:.0f} |"
        )
    largest = runs[-1]
    lines += [
        "",
        f"At {largest['people']:,.0f} people: the population and {largest['exposures']:,.0f} exposures in "
        f"{largest['population_s'] + largest['exposures_s']:.0f} s. Streaming them raised the peak memory "
        f"by {largest['stream_mib'] - largest['population_mib']:.0f} MiB over the population's.",
        "",
        f"Machine: {machine()}. Absolute figures depend on it.",
        "",
    ]
    return "\n".join(lines)


def main() -> None:
    """Parse the options, measure each size in its own process, print and write the Markdown page."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--days", type=int, default=7)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.one is not None:
        print(json.dumps(one_size(options.one, options.days, options.seed)))
        return
    sizes = [int(size) for size in options.sizes.split(",")]
    runs = [_in_own_process(people, options.days, options.seed) for people in sizes]
    command = (
        f"python benchmarks/generator.py --sizes {options.sizes} --days {options.days} --seed {options.seed}"
    )
    page = report(runs, command, options.days)
    print(page)
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(page, encoding="utf-8")
    record("generator", headlines(runs[-1]), options=vars(options), notes=[
        f"{runs[-1]['people']:,.0f} people, {runs[-1]['exposures']:,.0f} exposures over {options.days} days"
    ])  # fmt: skip


def headlines(run: dict[str, float]) -> list[Headline]:
    """People and exposures per second at the largest size, beside a plain loop and DuckDB."""
    people, count = run["people"], run["exposures"]
    return [
        Headline("people per second, `generate_population`", people / run["population_s"],
                 "a plain Python loop making tuples", people / run["plain_people_s"], "people/s",
                 higher_is_better=True),
        Headline("people per second, `generate_population`", people / run["population_s"],
                 "DuckDB materialising rows", people / run["duckdb_people_s"], "people/s",
                 higher_is_better=True),
        Headline("exposures per second, `exposures` stream", count / run["exposures_s"],
                 "a plain Python loop making tuples", count / run["plain_exposures_s"], "exposures/s",
                 higher_is_better=True),
    ]  # fmt: skip


if __name__ == "__main__":
    main()
