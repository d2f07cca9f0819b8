"""One fuzzing campaign: a fresh installation, seeded, served by a real process, fuzzed as each
identity. The bounded test and `make fuzz` both run this; only their budgets differ."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import httpx

from serment.web.api import OPENAPI_URL
from tests.fuzz.installation import create_accounts, identities, link_the_patient, seed
from tests.fuzz.runner import Budget, Tally, fuzz
from tests.server_process import ServerProcess, run_cli


def campaign(directory: Path, database_url: str | None, budget: Budget) -> Tally:
    """Initialise `directory` (on `database_url`, else SQLite), seed it, serve it and fuzz it."""
    data_dir = directory / "data"
    initialised = run_cli("init", "--data-dir", str(data_dir), database_url=database_url)
    if initialised.returncode != 0:
        raise RuntimeError(f"serment init failed:\n{initialised.stdout}\n{initialised.stderr}")
    tokens = create_accounts(data_dir, database_url)
    chosen = identities(data_dir, database_url, tokens)
    with ServerProcess(data_dir, database_url) as server:
        seeded = seed(server.base_url, tokens, datetime.now(UTC).date())
        link_the_patient(data_dir, database_url, seeded.ids["ref"][0])
        document = httpx.get(f"{server.base_url}{OPENAPI_URL}").raise_for_status().json()
        return fuzz(server.base_url, document, chosen, seeded, budget)
