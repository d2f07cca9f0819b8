"""The bounded fuzzing run of `make test`: every operation of the OpenAPI document, as every role
with each of its purposes and without one, against a real server; no failure of any check."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.fuzz.campaign import campaign
from tests.fuzz.runner import Budget

pytestmark = pytest.mark.subprocess

# Small and replayed: a fixed seed and derandomized generation, so that CI never depends on luck.
BOUNDED = Budget(examples=1, seed=2020, coverage=False)


def test_no_input_breaks_the_api_as_any_role(tmp_path: Path, database_url: str | None) -> None:
    tally = campaign(tmp_path, database_url, BOUNDED)
    print(tally.summary())  # shown with -s: the figures for the record
    # Every identity fuzzed every operation: a run that reached a fraction of them would prove little.
    assert len(tally.cases) >= 17, tally.summary()
    assert tally.total_cases >= len(tally.cases) * len(tally.operations), tally.summary()
    assert tally.total_failures == 0, tally.summary()
