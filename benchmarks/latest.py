"""benchmarks/results/latest.md: the machine, then one table of every benchmark's headlines with the
ratio to its reference first in mind, and every failed benchmark with the end of its output.

Pure rendering from the summaries (benchmarks/summary.py) and the machine's facts, so that it is
tested without running a benchmark; benchmarks/run.py gathers both."""

from __future__ import annotations

import math
import os
import platform
import sqlite3
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from benchmarks.summary import Headline, Summary

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Outcome:
    """One benchmark's run: its summary, or why there is none (the end of its output)."""

    name: str
    seconds: float
    summary: Summary | None = None
    error: str = ""


@dataclass(frozen=True)
class Machine:
    """What the figures depend on, written above them."""

    cpu: str
    cores: int
    memory_gib: float
    system: str
    python: str
    versions: tuple[tuple[str, str], ...]
    commit: str
    load: tuple[float, float]


def machine(load_before: float, versions: Sequence[tuple[str, str]] = ()) -> Machine:
    """This machine's facts; `load_before` is the 1-minute load average when the run began."""
    return Machine(
        cpu=_cpu(),
        cores=os.cpu_count() or 0,
        memory_gib=_memory_gib(),
        system=f"{platform.system()} {platform.release()}",
        python=platform.python_version(),
        versions=(("SQLite", sqlite3.sqlite_version), *versions),
        commit=_commit(),
        load=(load_before, os.getloadavg()[0]),
    )


def _cpu() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _memory_gib() -> float:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                return int(line.split()[1]) / 2**20
    except OSError:
        pass
    return math.nan


def _commit() -> str:
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short=12", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no", "--", "serment", "benchmarks"],
            cwd=ROOT, capture_output=True, text=True, check=True,
        ).stdout.strip()  # fmt: skip
    except (OSError, subprocess.CalledProcessError):
        return "unknown (not a git checkout)"
    return f"{head} (with uncommitted changes)" if dirty else head


def figure(value: float, unit: str = "") -> str:
    """A figure with as many digits as a reader needs: 40,771, 362, 69.1, 4.26, 0.187."""
    if math.isnan(value):
        return "n/a"
    size = abs(value)
    text = (
        f"{value:,.0f}" if size >= 100 else f"{value:.1f}" if size >= 10 else f"{value:.2f}"
        if size >= 1 else f"{value:.3g}"
    )  # fmt: skip
    return f"{text} {unit}".rstrip()


def reading(headline: Headline) -> str:
    """The ratio in words: '20x slower', '1.4x faster', 'on a par' for a speed; '96.5% of it' for a
    quality measured against a perfect reference (where 'on a par' would hide a 3% loss)."""
    ratio = headline.ratio
    if math.isnan(ratio) or ratio <= 0:
        return "no ratio"
    if not _is_speed(headline.unit):
        return f"{ratio:.1%} of it" if ratio <= 1 else f"{_times(ratio)} better"
    if 0.95 <= ratio <= 1.05:
        return "on a par"
    return f"{_times(ratio)} faster" if ratio > 1 else f"{_times(1 / ratio)} slower"


def _times(factor: float) -> str:
    return f"{factor:,.0f}x" if factor >= 10 else f"{factor:.1f}x"


def _is_speed(unit: str) -> bool:
    return unit in {"ms", "s", "µs"} or unit.endswith("/s")


def render(outcomes: Sequence[Outcome], host: Machine, scale: str, command: str) -> str:
    """The whole page."""
    lines = [
        "# Benchmarks: the latest run",
        "",
        f"`{command}` (scale **{scale}**), {datetime.now(UTC).strftime('%Y-%m-%d %H:%M UTC')}, "
        f"commit {host.commit}.",
        "",
        *_machine_lines(host),
        "",
        "**Ratio** = Serment's speed (or quality) relative to the reference measured in the same run: "
        "above 1 Serment does better, below 1 worse (0.05 reads 20x slower). It is the headline: the "
        "absolute figures depend on the machine and on what else ran on it.",
        "",
        "| benchmark | measure | reference | Serment | reference figure | ratio |",
        "| --- | --- | --- | ---: | ---: | ---: |",
    ]
    for outcome in outcomes:
        lines += _rows(outcome)
    lines += _notes(outcomes, host)
    lines += _failures(outcomes)
    return "\n".join(lines) + "\n"


def _machine_lines(host: Machine) -> list[str]:
    versions = ", ".join(f"{name} {version}" for name, version in host.versions)
    return [
        f"Machine: {host.cpu}, {host.cores} cores, {host.memory_gib:.0f} GiB, {host.system}; "
        f"Python {host.python}; {versions}.",
        "",
        f"Load average (1 min) {host.load[0]:.1f} when the run began, {host.load[1]:.1f} when it ended, "
        f"on {host.cores} cores.",
    ]


def _rows(outcome: Outcome) -> list[str]:
    if outcome.summary is None:
        return [f"| {outcome.name} | **failed** (see below) | | | | |"]
    return [
        f"| {outcome.name} | {headline.measure} | {headline.reference_name} "
        f"| {figure(headline.serment, headline.unit)} | {figure(headline.reference, headline.unit)} "
        f"| **{figure(headline.ratio)}** ({reading(headline)}) |"
        for headline in outcome.summary.headlines
    ]


def _notes(outcomes: Sequence[Outcome], host: Machine) -> list[str]:
    lines = ["", "## Notes", ""]
    if max(host.load) > host.cores:
        lines.append(
            f"- The load average exceeded the {host.cores} cores: other work shared the machine during "
            "the run, so absolute figures (and ratios whose two sides ran at different moments) are "
            "disturbed."
        )
    for outcome in outcomes:
        lines.append(f"- {outcome.name}: {outcome.seconds:,.0f} s{_how(outcome)}.")
    total = sum(outcome.seconds for outcome in outcomes)
    lines.append(f"- In all: {total / 60:,.1f} minutes.")
    return lines


def _how(outcome: Outcome) -> str:
    if outcome.summary is None:
        return ", failed"
    command = " ".join([f"python -m benchmarks.{outcome.name}", *outcome.summary.arguments])
    return f", `{command}`" + "".join(f"; {note}" for note in outcome.summary.notes)


def _failures(outcomes: Sequence[Outcome]) -> list[str]:
    failed = [outcome for outcome in outcomes if outcome.summary is None]
    if not failed:
        return []
    lines = ["", "## Failed", ""]
    for outcome in failed:
        lines += [f"### {outcome.name}", "", "```", outcome.error.rstrip(), "```", ""]
    return lines[:-1]
