"""Machine-readable headlines of a benchmark, written beside its Markdown page so that `make bench` can
gather every benchmark's ratio into one table without parsing prose.

A minimal version made for the load benchmark; the full one comes from the `make bench` work."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"


@dataclass(frozen=True)
class Headline:
    """One figure of Serment beside the reference measured in the same run."""

    measure: str
    serment: float
    reference_name: str
    reference: float
    unit: str
    higher_is_better: bool

    @property
    def ratio(self) -> float:
        """Serment over the reference: the figure that travels between machines."""
        return self.serment / self.reference if self.reference else float("nan")


def record(
    name: str, headlines: list[Headline], notes: list[str] | None = None, directory: Path | None = None
) -> Path:
    """Write `<directory>/<name>.json` (default benchmarks/results/) and return its path."""
    target = (directory or RESULTS) / f"{name}.json"
    target.parent.mkdir(parents=True, exist_ok=True)
    body = {
        "benchmark": name,
        "headlines": [{**asdict(headline), "ratio": headline.ratio} for headline in headlines],
        "notes": notes or [],
    }
    target.write_text(json.dumps(body, indent=2) + "\n", encoding="utf-8")
    return target
