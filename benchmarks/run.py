"""`make bench`: every benchmark of benchmarks/, each in a process of its own, then
benchmarks/results/latest.md from the summaries they record (benchmarks/summary.py).

    python -m benchmarks.run [--scale quick|full] [--only NAME,NAME] [--list]

A benchmark is a module of benchmarks/ that declares, at its top level, the arguments of its quick
scale as a literal list of strings:

    QUICK_ARGS = ["--people", "20000", "--runs", "5"]

and calls `record(...)` at the end of its run. The full scale runs it with no argument: its defaults
are the documented sizes. Helpers (no QUICK_ARGS) are not run. Modules are found by reading their
source, never by importing them, so that a helper with side effects at import stays quiet.

The quick scale writes its pages and summaries into benchmarks/results/quick/, so that it never
overwrites the pages of the documented sizes in benchmarks/results/; latest.md is written in
benchmarks/results/ either way. The runner exits with 1 when a benchmark failed.
"""

from __future__ import annotations

import argparse
import ast
import os
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from benchmarks.latest import Outcome, machine, render
from benchmarks.summary import RESULTS, RESULTS_VARIABLE, SCALE_VARIABLE, load_summary

BENCHMARKS = Path(__file__).resolve().parent
ROOT = BENCHMARKS.parent
SCALES = ("quick", "full")
TAIL_LINES = 25
console = Console(stderr=True)


@dataclass(frozen=True)
class Benchmark:
    """A module of benchmarks/ that the runner runs."""

    name: str
    quick_args: tuple[str, ...]

    def arguments(self, scale: str) -> tuple[str, ...]:
        return self.quick_args if scale == "quick" else ()


def discover(folder: Path = BENCHMARKS) -> list[Benchmark]:
    """The modules of `folder` that declare QUICK_ARGS, by name."""
    found = []
    for path in sorted(folder.glob("*.py")):
        quick = quick_args(path.read_text(encoding="utf-8"), path)
        if quick is not None:
            found.append(Benchmark(path.stem, quick))
    return found


def quick_args(source: str, path: Path) -> tuple[str, ...] | None:
    """The QUICK_ARGS a module's source declares at its top level, or None when it declares none."""
    for node in ast.parse(source, filename=str(path)).body:
        target, value = _assignment(node)
        if target == "QUICK_ARGS" and value is not None:
            arguments = ast.literal_eval(value)
            if not isinstance(arguments, list | tuple) or not all(isinstance(a, str) for a in arguments):
                raise ValueError(f"{path}: QUICK_ARGS must be a list of strings, like ['--people', '1000']")
            return tuple(arguments)
    return None


def _assignment(node: ast.stmt) -> tuple[str | None, ast.expr | None]:
    if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
        return node.targets[0].id, node.value
    if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
        return node.target.id, node.value
    return None, None


def results_for(scale: str) -> Path:
    """Where a scale's pages and summaries go."""
    return RESULTS / "quick" if scale == "quick" else RESULTS


def run_one(benchmark: Benchmark, scale: str, results: Path) -> Outcome:
    """Run `benchmark` in a process of its own; its summary, or the end of its output if it failed."""
    summary_path = results / f"{benchmark.name}.json"
    summary_path.unlink(missing_ok=True)
    log = results / "logs" / f"{benchmark.name}.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    environment = {**os.environ, RESULTS_VARIABLE: str(results), SCALE_VARIABLE: scale}
    environment["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
    command = [sys.executable, "-m", f"benchmarks.{benchmark.name}", *benchmark.arguments(scale)]
    started = time.perf_counter()
    with log.open("w", encoding="utf-8") as output:
        finished = subprocess.run(
            command, check=False, cwd=ROOT, env=environment, stdout=output, stderr=subprocess.STDOUT
        )
    seconds = time.perf_counter() - started
    tail = _tail(log)
    if finished.returncode != 0:
        return Outcome(benchmark.name, seconds, error=f"exit status {finished.returncode}\n{tail}")
    try:
        return Outcome(benchmark.name, seconds, summary=load_summary(summary_path))
    except ValueError as error:
        return Outcome(benchmark.name, seconds, error=f"it exited 0 but recorded no summary: {error}\n{tail}")


def _tail(log: Path) -> str:
    lines = log.read_text(encoding="utf-8", errors="replace").splitlines()
    return "\n".join(lines[-TAIL_LINES:])


def run_all(benchmarks: Sequence[Benchmark], scale: str, results: Path) -> list[Outcome]:
    """Each benchmark in turn, with a progress display of which one runs and for how long."""
    outcomes = []
    columns = (SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn())
    with Progress(*columns, console=console) as progress:
        overall = progress.add_task(f"{scale} benchmarks", total=len(benchmarks))
        for benchmark in benchmarks:
            current = progress.add_task(f"  {benchmark.name} {' '.join(benchmark.arguments(scale))}", total=1)
            outcome = run_one(benchmark, scale, results)
            progress.update(current, completed=1)
            progress.update(overall, advance=1)
            progress.console.print(
                f"{'[green]done' if outcome.summary else '[red]FAILED'}[/] {benchmark.name} "
                f"in {outcome.seconds:,.0f} s"
            )
            outcomes.append(outcome)
    return outcomes


def _versions() -> list[tuple[str, str]]:
    """The versions of the engines the benchmarks use beside SQLite."""
    found = []
    for module, label in (("duckdb", "DuckDB"), ("igraph", "igraph"), ("numpy", "numpy")):
        try:
            found.append((label, str(__import__(module).__version__)))
        except ImportError:
            continue
    found += _postgresql()
    return found


def _postgresql() -> list[tuple[str, str]]:
    """PostgreSQL's version when SERMENT_TEST_DATABASE_URL names a server (reporting.py then uses it)."""
    url = os.environ.get("SERMENT_TEST_DATABASE_URL")
    if not url:
        return []
    import psycopg  # noqa: PLC0415 - only when PostgreSQL takes part
    from sqlalchemy.engine import make_url  # noqa: PLC0415

    conninfo = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    try:
        with psycopg.connect(conninfo) as connection:
            row = connection.execute("SHOW server_version").fetchone()
    except psycopg.Error:
        return [("PostgreSQL", "unreachable")]
    return [("PostgreSQL", str(row[0]) if row else "unknown")]


def main(argv: list[str] | None = None) -> int:
    """Parse the options, run the benchmarks, write latest.md; 1 when one failed."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--scale", choices=SCALES, default="quick")
    parser.add_argument("--only", default="", help="comma-separated names of the benchmarks to run")
    parser.add_argument("--list", action="store_true", help="list the benchmarks and their quick arguments")
    options = parser.parse_args(argv)
    benchmarks = discover()
    if options.list:
        for benchmark in benchmarks:
            print(f"{benchmark.name}: {' '.join(benchmark.quick_args)}")
        return 0
    if options.only:
        wanted = set(options.only.split(","))
        unknown = wanted - {benchmark.name for benchmark in benchmarks}
        if unknown:
            parser.error(f"no benchmark named {', '.join(sorted(unknown))}; --list shows them")
        benchmarks = [benchmark for benchmark in benchmarks if benchmark.name in wanted]
    results = results_for(options.scale)
    load_before = os.getloadavg()[0]
    outcomes = run_all(benchmarks, options.scale, results)
    command = "make bench" + ("" if options.scale == "quick" else f" SCALE={options.scale}")
    if options.only:
        command = f"python -m benchmarks.run --scale {options.scale} --only {options.only}"
    page = render(outcomes, machine(load_before, _versions()), options.scale, command)
    latest = RESULTS / "latest.md"
    latest.write_text(page, encoding="utf-8")
    failed = [outcome.name for outcome in outcomes if outcome.summary is None]
    console.print(f"wrote {latest.relative_to(ROOT)}" + (f"; failed: {', '.join(failed)}" if failed else ""))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
