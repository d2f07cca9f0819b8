"""`make fuzz`: a long campaign, `python -m tests.fuzz --examples N --seconds S [--seed K]`.

Prints the cases run and the failures per identity; exits 1 on any failure."""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.conftest import postgres_base_url, postgres_schema
from tests.fuzz.campaign import campaign
from tests.fuzz.runner import Budget


def main() -> int:
    """Run one campaign on SQLite (or the database SERMENT_TEST_DATABASE_URL names) and report it."""
    parser = argparse.ArgumentParser(prog="python -m tests.fuzz", description=__doc__)
    parser.add_argument("--examples", type=int, default=int(os.environ.get("FUZZ_EXAMPLES", "50")))
    parser.add_argument("--seconds", type=int, default=int(os.environ.get("FUZZ_SECONDS", "600")))
    parser.add_argument("--seed", type=int, default=int(os.environ.get("FUZZ_SEED", "2020")))
    parser.add_argument("--random", action="store_true", help="explore new inputs instead of replaying")
    arguments = parser.parse_args()
    budget = Budget(
        examples=arguments.examples,
        seed=arguments.seed,
        seconds=arguments.seconds,
        deterministic=not arguments.random,
    )
    with tempfile.TemporaryDirectory(prefix="serment-fuzz-") as directory, _database() as database_url:
        tally = campaign(Path(directory), database_url, budget)
    print(tally.summary())
    return 1 if tally.total_failures else 0


@contextmanager
def _database() -> Iterator[str | None]:
    """None for SQLite; on PostgreSQL, a schema of this run's own, dropped afterwards."""
    base = postgres_base_url()
    if base is None:
        yield None
        return
    with postgres_schema(base, "fuzz") as url:
        yield url


if __name__ == "__main__":
    sys.exit(main())
