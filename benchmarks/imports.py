"""Lab file import throughput: `import_results` over a CSV of N valid rows into a fresh installation
(SQLite), read from an encrypted upload spool as the HTTP route reads it, beside DuckDB reading the
same CSV, measured in the same run; the peak memory of importing N and 4N rows, each in a process of
its own, to show that it stays flat; and what the spool's encryption costs, up to a file of
--read-rows rows (a million by default) read as an import reads it.

    python benchmarks/imports.py [--rows 20000] [--read-rows 1000000] [--seed 2020]

Absolute figures depend on the machine; DuckDB only reads (no identity checks, pseudonyms,
sealing, guard or audit), so the ratio says what those cost per row. Writes
benchmarks/results/imports.md. No timing is asserted anywhere.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb

from benchmarks.summary import Headline, record, results_dir
from serment.access import Request
from serment.access.accounts import add_user
from serment.access.actors import operator
from serment.demo.population import generate_population
from serment.installation import initialise, open_installation
from serment.policy import load_policy
from serment.reporting import actor_named, import_results
from serment.reporting.labfiles import LabFile, open_lab_file, read_rows
from serment.secrecy import Spool
from serment.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
RESULTS = results_dir() / "imports.md"
# `make bench`'s quick scale: 1,000 and 4,000 rows imported, a file of 20,000 read through the spool.
QUICK_ARGS = ["--rows", "1000", "--read-rows", "20000"]
# Every column fr-2020 lets a result carry (not the e-mail, which refuses the file).
COLUMNS = [
    "nir", "family_name", "given_names", "birth_date", "sex", "address_line", "postal_code", "city",
    "phone", "sample_date", "result_date", "test_type", "value", "lab", "sample_id",
]  # fmt: skip


def write_csv(path: Path, rows: int, seed: int) -> None:
    """A lab file of `rows` valid results, one per synthetic person."""
    today = datetime.now(UTC).date()
    population = generate_population(rows, seed, start=today)
    sample = today - timedelta(days=2)
    with path.open("w", encoding="utf-8", newline="") as file:
        writer = csv.writer(file, delimiter=";")
        writer.writerow(COLUMNS)
        for person in population.people:
            home = population.households[person.household]
            writer.writerow([
                person.nir or "", person.family_name, person.given_names,
                person.birth_date.strftime("%d/%m/%Y"), person.sex, home.address_line, home.postal_code,
                home.city, person.phone or "",
                sample.isoformat(), (sample + timedelta(days=1)).isoformat(), "PCR",
                "positif" if person.index % 7 == 0 else "négatif", "Biogroup Lyon", f"S{person.index:08d}",
            ])  # fmt: skip


def spool(path: Path, directory: Path) -> Spool:
    """`path` written into a new spool in `directory` in 64 KiB pieces, as an HTTP body arrives."""
    spooled = Spool.create(directory)
    with path.open("rb") as file:
        while piece := file.read(64 * 1024):
            spooled.write(piece)
    spooled.finish()
    return spooled


def import_once(path: Path) -> dict[str, float]:
    """Spool `path` and import it into a fresh installation, as the HTTP route does; the figures."""
    with tempfile.TemporaryDirectory() as scratch:
        settings = Settings(data_dir=Path(scratch) / "data")
        initialise(settings)
        installation = open_installation(settings)
        try:
            add_user(installation.platform, operator(), name="bench-lab", role="lab", organisation="Biogroup")
            request = Request(actor_named(installation.platform, "bench-lab"), purpose="care")
            started = time.perf_counter()
            with spool(path, settings.data_dir / "uploads") as spooled:
                report = import_results(installation.platform, request, spooled)
            seconds = time.perf_counter() - started
        finally:
            installation.close()
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {"rows": report.rows, "stored": report.stored, "seconds": seconds, "peak_mib": peak_kib / 1024}


def read_as_an_import(file: LabFile) -> float:
    """Seconds to read `file` as an import does, without the database: its hash, then every row twice."""
    started = time.perf_counter()
    digest = hashlib.sha256()
    with open_lab_file(file) as stream:
        while piece := stream.read(1024 * 1024):
            digest.update(piece)
    for _ in range(2):
        for _ in read_rows(file, load_policy("fr-2020")):
            pass
    return time.perf_counter() - started


def read_once(path: Path, runs: int = 3) -> dict[str, float]:
    """The file read as an import reads it, in clear, then spooled and read through the spool; the
    best of `runs` alternating runs of each, the difference being small beside a shared machine's noise."""
    clear, written, through = [], [], []
    with tempfile.TemporaryDirectory() as scratch:
        for _ in range(runs):
            clear.append(read_as_an_import(path))
            started = time.perf_counter()
            with spool(path, Path(scratch)) as spooled:
                written.append(time.perf_counter() - started)
                through.append(read_as_an_import(spooled))
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {
        "clear": min(clear),
        "written": min(written),
        "through": min(through),
        "peak_mib": peak_kib / 1024,
    }


def duckdb_once(path: Path) -> float:
    """Seconds DuckDB takes to read the CSV and aggregate it."""
    started = time.perf_counter()
    connection = duckdb.connect()
    connection.execute(
        "select count(*), count(distinct nir), min(sample_date), max(result_date) "
        "from read_csv(?, delim=';', header=true, all_varchar=true)",
        [str(path)],
    ).fetchall()
    connection.close()
    return time.perf_counter() - started


def _in_own_process(path: Path, *mode: str) -> dict[str, float]:
    # Each size in a fresh process, so that its peak RSS is its own (the file is written beforehand).
    answer = subprocess.run(
        [sys.executable, __file__, *(mode or ["--one"]), str(path)],
        check=True, capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(ROOT)},
    )  # fmt: skip
    figures: dict[str, float] = json.loads(answer.stdout.strip().splitlines()[-1])
    return figures


def _machine() -> str:
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


def main() -> None:
    """Parse the options, measure, print the Markdown table and write it to benchmarks/results."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=20_000)
    parser.add_argument("--read-rows", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=2020)
    parser.add_argument("--one", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--read", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--write", type=Path, help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.write is not None:
        write_csv(options.write, options.rows, options.seed)
        print(json.dumps({"bytes": options.write.stat().st_size}))
        return
    if options.one is not None:
        figures = import_once(options.one) | {"duckdb_seconds": duckdb_once(options.one)}
        print(json.dumps(figures))
        return
    if options.read is not None:
        print(json.dumps(read_once(options.read)))
        return
    runs, reads = [], []
    with tempfile.TemporaryDirectory() as scratch:
        for rows in sorted({options.rows, 4 * options.rows, options.read_rows}):
            path = Path(scratch) / f"results-{rows}.csv"
            # Written by a process of its own too: Linux keeps a process's peak RSS across fork and
            # exec, so a parent that had made a million people would lend its peak to every child.
            _in_own_process(path, "--rows", str(rows), "--seed", str(options.seed), "--write")
            if rows in (options.rows, 4 * options.rows):
                runs.append(_in_own_process(path) | {"bytes": path.stat().st_size})
            reads.append(_in_own_process(path, "--read") | {"rows": rows, "bytes": path.stat().st_size})
            path.unlink()
    lines = [
        "# Lab file import benchmark",
        "",
        f"`python benchmarks/imports.py --rows {options.rows} --read-rows {options.read_rows} "
        f"--seed {options.seed}`",
        "",
        "`import_results` over a `;`-separated CSV of valid rows (one synthetic person each, with NIR, "
        "address, phone and e-mail) into a fresh SQLite installation, all or nothing, read from an "
        "encrypted upload spool as `POST /api/v1/imports` reads it (the time includes spooling), "
        "beside DuckDB reading and aggregating the same CSV, in the same process. Each size runs in a "
        "process of its own, the file written beforehand; peak RSS is that process's "
        "(`resource.getrusage`), DuckDB included.",
        "",
        "| rows | file MiB | Serment s | Serment rows/s | DuckDB s | DuckDB rows/s | ratio | peak RSS MiB |",
        "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for run in runs:
        ours = run["stored"] / run["seconds"]
        theirs = run["rows"] / run["duckdb_seconds"]
        lines.append(
            f"| {run['rows']:,.0f} | {run['bytes'] / 2**20:.1f} | {run['seconds']:.1f} | {ours:,.0f} | "
            f"{run['duckdb_seconds']:.3f} | {theirs:,.0f} | **{ours / theirs:.4f}** | {run['peak_mib']:.0f} |"
        )
    lines += [
        "",
        "Each imported row checks the identity, registers the person (pseudonyms, a data key, sealed "
        "fields), passes the guard twice and appends two audit events, and records its sample key; "
        "DuckDB only parses. Memory: rows are read one at a time; every 500 rows the batch's audit "
        "events are written and the session emptied. What still grows with the rows is the list of "
        "allowed accesses the platform keeps per transaction (to audit a failure), about 0.3 KiB a row.",
        "",
        "## The upload spool",
        "",
        "What the spool's encryption costs: the file read as an import reads it (its SHA-256, then "
        "every row parsed twice, no database), in clear, then written into a spool in 64 KiB pieces "
        "and read through it; best of three alternating runs of each. Each size in a process of its "
        "own; peak RSS is that process's.",
        "",
        "| rows | file MiB | read in clear s | spool write s | read through spool s | "
        "encryption s | of an import at the rate above | peak RSS MiB |",
        "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    rate = runs[-1]["stored"] / runs[-1]["seconds"]
    for read in reads:
        cost = read["written"] + read["through"] - read["clear"]
        lines.append(
            f"| {read['rows']:,.0f} | {read['bytes'] / 2**20:.1f} | {read['clear']:.2f} | "
            f"{read['written']:.2f} | {read['through']:.2f} | {cost:.2f} | "
            f"{cost / (read['rows'] / rate):.3%} | {read['peak_mib']:.0f} |"
        )
    lines += [
        "",
        "Encryption: spool write plus read through the spool, minus the read in clear; below zero, it "
        "costs less than the noise of the machine.",
        "",
        f"Machine: {_machine()}. Absolute figures depend on it.",
        "",
    ]
    table = "\n".join(lines)
    print(table)
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(table, encoding="utf-8")
    record("imports", headlines(runs[0], reads[-1]), options=vars(options), notes=[
        f"{runs[0]['rows']:,.0f} rows imported; the spool read over {reads[-1]['rows']:,.0f} rows"
    ])  # fmt: skip


def headlines(run: dict[str, float], read: dict[str, float]) -> list[Headline]:
    """Rows imported per second beside DuckDB's reading, and reading through the spool beside in clear."""
    return [
        Headline("lab file import (`import_results`, spooled)", run["stored"] / run["seconds"],
                 "DuckDB reading and aggregating the same CSV", run["rows"] / run["duckdb_seconds"],
                 "rows/s", higher_is_better=True),
        Headline(f"a file of {read['rows']:,.0f} rows written to the encrypted spool and read through it",
                 read["written"] + read["through"], "the same file read in clear", read["clear"], "s",
                 higher_is_better=False),
    ]  # fmt: skip


if __name__ == "__main__":
    main()
