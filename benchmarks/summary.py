"""What a benchmark hands to `make bench`: its headline figures, Serment's beside the reference it is
compared with in the same run, written as benchmarks/results/<name>.json next to its Markdown page.

Every ratio follows one convention, so that a table of benchmarks reads the same way down its column:
**the ratio is Serment's speed (or quality) relative to the reference; above 1 Serment does better,
below 1 it does worse.** For a figure where higher is better (records per second, recall) it is
serment / reference; for one where lower is better (milliseconds) it is reference / serment. A ratio
of 0.05 therefore reads "20 times slower than the reference", whatever the unit.

A benchmark calls `record(...)` once, at the end of its run:

    record("tracing", [Headline("full recomputation, 1,000,000 people", 69.1, "igraph bfs", 362.1,
                                "ms", higher_is_better=False)], notes=["vn-2020 policy"])

The runner (benchmarks/run.py) sets SERMENT_BENCH_RESULTS to the directory of its scale, so that the
quick scale never overwrites the pages of the documented sizes; run by hand, a benchmark writes into
benchmarks/results/.
"""

from __future__ import annotations

import json
import math
import os
import sys
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).resolve().parent / "results"
RESULTS_VARIABLE = "SERMENT_BENCH_RESULTS"
SCALE_VARIABLE = "SERMENT_BENCH_SCALE"


@dataclass(frozen=True)
class Headline:
    """One figure of Serment's beside the same figure of the reference, measured in the same run."""

    measure: str
    serment: float
    reference_name: str
    reference: float
    unit: str
    higher_is_better: bool

    @property
    def ratio(self) -> float:
        """Serment's speed (or quality) relative to the reference: above 1 better, below 1 worse."""
        if self.higher_is_better:
            return _divide(self.serment, self.reference)
        return _divide(self.reference, self.serment)


@dataclass(frozen=True)
class Summary:
    """A benchmark's JSON file, read back by the runner."""

    name: str
    headlines: tuple[Headline, ...]
    notes: tuple[str, ...] = ()
    when: str = ""
    scale: str = ""
    arguments: tuple[str, ...] = ()
    options: Mapping[str, Any] = field(default_factory=dict)


def _divide(numerator: float, denominator: float) -> float:
    # A reference too fast to time (0 ms) gives no ratio rather than a division error mid-run.
    return numerator / denominator if denominator else math.nan


def results_dir() -> Path:
    """Where pages and summaries go: the runner's directory for its scale, else benchmarks/results."""
    chosen = os.environ.get(RESULTS_VARIABLE)
    return Path(chosen) if chosen else RESULTS


def record(
    name: str,
    headlines: Sequence[Headline],
    *,
    notes: Sequence[str] = (),
    output: Path | None = None,
    options: Mapping[str, Any] | None = None,
) -> Path:
    """Write the benchmark's headlines to `output` (default: <results dir>/<name>.json); its path.

    `options` are the benchmark's parsed options (e.g. `vars(argparse_namespace)`), kept so that a
    figure can be traced to the sizes that produced it; the command-line arguments are kept anyway."""
    if not headlines:
        raise ValueError(f"benchmark {name!r} recorded no headline: give at least one figure")
    path = output if output is not None else results_dir() / f"{name}.json"
    document = {
        "name": name,
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "scale": os.environ.get(SCALE_VARIABLE, "manual"),
        "arguments": sys.argv[1:],
        "options": {key: _plain(value) for key, value in (options or {}).items()},
        "headlines": [asdict(headline) | {"ratio": headline.ratio} for headline in headlines],
        "notes": list(notes),
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return path


def _plain(value: object) -> object:
    # Options hold paths and the like: JSON keeps their text.
    return value if isinstance(value, str | int | float | bool | type(None)) else str(value)


def load_summary(path: Path) -> Summary:
    """A summary written by `record`, read back; ValueError names the file when it is not one."""
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
        headlines = tuple(
            Headline(
                measure=str(item["measure"]),
                serment=float(item["serment"]),
                reference_name=str(item["reference_name"]),
                reference=float(item["reference"]),
                unit=str(item["unit"]),
                higher_is_better=bool(item["higher_is_better"]),
            )
            for item in document["headlines"]
        )
        return Summary(
            name=str(document["name"]),
            headlines=headlines,
            notes=tuple(str(note) for note in document.get("notes", ())),
            when=str(document.get("when", "")),
            scale=str(document.get("scale", "")),
            arguments=tuple(str(argument) for argument in document.get("arguments", ())),
            options=dict(document.get("options", {})),
        )
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise ValueError(f"{path} is not a benchmark summary: {error}") from error
