"""benchmarks/load.py, briefly, as a script: a tiny demo under a mixed load, every request answered as
a real user expects, and its page and summary written where asked. No timing is checked: the figures
belong to the benchmark's own run, not to the suite. Once per suite run, on PostgreSQL when the suite
has one (the script makes a database of its own there), else on SQLite: twice would double its cost."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPOSITORY, postgres_base_url
from tests.server_process import environment

pytestmark = pytest.mark.subprocess

# Twelve users: one round of the roles' weights (4, 4, 3, 1), so that every role has one.
SMOKE = ["--seconds", "6", "--warmup", "2", "--reference-seconds", "2", "--users", "12",
         "--people", "150", "--days", "7"]  # fmt: skip


def test_a_short_mixed_load_completes_without_errors_and_writes_its_results(tmp_path: Path) -> None:
    backend = ["--postgresql", base] if (base := postgres_base_url()) else []
    run = subprocess.run(
        [sys.executable, "benchmarks/load.py", *SMOKE, *backend, "--output", str(tmp_path)],
        cwd=REPOSITORY, env=environment(), capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert run.returncode == 0, f"{run.stdout[-3000:]}\n{run.stderr[-3000:]}"

    page = (tmp_path / "load.md").read_text(encoding="utf-8")
    assert "Errors: 0 of" in page
    for kind in ("POST report", "POST result", "GET tasks", "GET dashboard page", "GET tiers"):
        assert f"| {kind} |" in page, f"no {kind} was measured"
    assert "## Memory of the server process" in page
    summary = json.loads((tmp_path / "load.json").read_text(encoding="utf-8"))
    (headline,) = summary["headlines"]
    assert headline["unit"] == "req/s"
    assert headline["serment"] > 0
    assert headline["reference"] > 0
