"""A killed server loses nothing it acknowledged and keeps nothing in part (issue 7, item 3).

A real `serment serve` is killed with SIGKILL (no shutdown, no cleanup) at moments drawn from a seeded
random generator, and started again on the same data directory, over and over, while clients report
cases with their contacts and lab results, or while a laboratory imports files of a few thousand rows.
Afterwards every report and file the server acknowledged is stored whole, nothing is stored in part
(checked over everything the store holds, acknowledged or not), and the audit chain verifies.

Longer runs: CRASH_KILLS (kills while reporting), CRASH_IMPORT_KILLS, CRASH_IMPORT_ROWS, CRASH_SEED.
See docs/crash-safety.md."""

from __future__ import annotations

import os
import random
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from sqlalchemy.orm import Session

from serment.access import operator
from serment.access.accounts import add_user, create_token
from serment.installation import initialise, open_installation
from serment.settings import Settings
from serment.store.database import Database
from tests.crash_imports import (
    Uploader,
    Uploads,
    imported_files,
    lab_file,
    missing_acknowledged_imports,
    partly_imported,
)
from tests.crash_reports import Clients, Ledger, half_stored, missing_acknowledged
from tests.people_data import people
from tests.server_process import RestartedServer

pytestmark = pytest.mark.subprocess
SEED = int(os.environ.get("CRASH_SEED", "7"))
REPORT_KILLS = int(os.environ.get("CRASH_KILLS", "20"))
IMPORT_KILLS = int(os.environ.get("CRASH_IMPORT_KILLS", "5"))
IMPORT_ROWS = int(os.environ.get("CRASH_IMPORT_ROWS", "1000"))
CLIENTS = 3
# How long a server lives under the reporting load, once it has acknowledged a report (its first
# answers take seconds on a loaded machine: a kill before them would test nothing new), drawn
# uniformly, in seconds.
LIFE_S = (0.0, 0.6)
# People per kill the reporting clients may use up (about 40 a second of life at most on 2 cores).
PEOPLE_PER_KILL = 400


def _installation(tmp_path: Path, database_url: str | None) -> tuple[Settings, dict[str, str]]:
    """An initialised data directory (in this process: `serment init` as a process costs seconds the
    kills need) with a clinician's, a lab's and a data-protection officer's accounts and API tokens."""
    settings = Settings(data_dir=tmp_path / "data", database_url=database_url)
    initialise(settings)
    installation = open_installation(settings)
    tokens = {}
    try:
        for role in ("clinician", "lab", "dpo"):
            add_user(installation.platform, operator(), name=f"crash-{role}", role=role, organisation="Lyon")
            tokens[role] = create_token(installation.platform, operator(), name=f"crash-{role}").token
    finally:
        installation.close()
    return settings, tokens


@contextmanager
def _store(settings: Settings) -> Iterator[Session]:
    """A session on the store, from this process, while no server runs or beside one."""
    database = Database(settings.database)
    try:
        with database.read() as session:
            yield session
    finally:
        database.dispose()


def _audit_verifies(server: RestartedServer, tokens: dict[str, str]) -> str:
    """What GET /api/v1/audit/verify (`serment audit verify` over HTTP) says of the whole chain."""
    headers = {"Authorization": f"Bearer {tokens['dpo']}", "Serment-Purpose": "audit"}
    verified = httpx.get(f"{server.base_url}/api/v1/audit/verify", headers=headers, timeout=120)
    assert verified.status_code == 200, verified.text
    assert verified.json()["intact"], verified.json()["summary"]
    return str(verified.json()["summary"])


def test_reports_acknowledged_before_a_kill_are_stored_whole_and_nothing_is_half_stored(
    tmp_path: Path, database_url: str | None
) -> None:
    settings, tokens = _installation(tmp_path, database_url)
    ledger = Ledger(people(PEOPLE_PER_KILL * (REPORT_KILLS + 1), seed=SEED))
    chance = random.Random(SEED)
    kills = 0
    with RestartedServer(settings.data_dir, tmp_path / "logs", database_url) as server:
        clients = Clients(CLIENTS, server.base_url, tokens, ledger)
        clients.start()
        clients.serving.set()
        for _ in range(REPORT_KILLS):
            clients.wait_for_answers(1)
            time.sleep(chance.uniform(*LIFE_S))
            clients.serving.clear()
            server.kill()
            kills += 1
            server.start()
            clients.serving.set()
        time.sleep(LIFE_S[1])
        clients.finish()
        audit = _audit_verifies(server, tokens)
    assert ledger.unexpected == [], ledger.unexpected[:5]
    with _store(settings) as session:
        assert half_stored(session) == []
        assert missing_acknowledged(session, ledger) == []
    contacts = sum(len(receipt["contacts"]) for receipt in ledger.reports.values())
    results = sum(len(batch) for batch in ledger.results.values())
    print(
        f"\ncrash safety, reporting ({'postgresql' if database_url else 'sqlite'}): {kills} kills, "
        f"{len(ledger.reports)} case reports acknowledged ({contacts} contacts, {ledger.replayed} "
        f"answered again after a kill from their Idempotency-Key), {len(ledger.results)} batches of "
        f"results acknowledged ({results} results), {len(ledger.unanswered_results)} batches unanswered, "
        f"{ledger.interrupted} requests cut by a kill; {audit}"
    )
    assert kills >= REPORT_KILLS
    # Kills that cut no request, or a server that acknowledged nothing, would have tested nothing.
    assert ledger.interrupted > 0
    assert len(ledger.reports) > REPORT_KILLS
    assert ledger.results


def test_a_lab_file_is_imported_whole_or_not_at_all_however_often_the_server_is_killed(
    tmp_path: Path, database_url: str | None
) -> None:
    settings, tokens = _installation(tmp_path, database_url)
    population = people(IMPORT_ROWS * (IMPORT_KILLS + 2), seed=SEED)
    slices = [population[n * IMPORT_ROWS : (n + 1) * IMPORT_ROWS] for n in range(IMPORT_KILLS + 2)]
    files = [lab_file(n, rows) for n, rows in enumerate(slices)]
    uploads = Uploads(files)
    chance = random.Random(SEED)
    kills = 0
    seen_after_kills = []
    with RestartedServer(settings.data_dir, tmp_path / "logs", database_url) as server:
        uploader = Uploader(server.base_url, tokens["lab"], uploads)
        uploader.start()
        uploader.serving.set()
        # The first file goes through whole: how long an import takes here sets when the kills fall.
        _wait_for(lambda: uploads.answered(0), "the first import")
        duration = uploads.durations[0]
        for _ in range(IMPORT_KILLS):
            _wait_for(lambda: uploads.started is not None, "an upload")
            time.sleep(chance.uniform(0.05, 0.9) * duration)
            uploader.serving.clear()
            server.kill()
            kills += 1
            with _store(settings) as session:
                assert partly_imported(session, files, IMPORT_ROWS) == [], f"after kill {kills}"
                seen_after_kills.append(len(imported_files(session, files)))
            server.start()
            uploader.serving.set()
        uploader.join()
        audit = _audit_verifies(server, tokens)
    assert uploads.unexpected == [], uploads.unexpected
    with _store(settings) as session:
        assert partly_imported(session, files, IMPORT_ROWS) == []
        # Every file is there in the end: what was acknowledged, and what was sent again after a kill.
        assert imported_files(session, files) == set(range(uploads.begun))
        assert missing_acknowledged_imports(session, uploads, IMPORT_ROWS) == []
    print(
        f"\ncrash safety, imports ({'postgresql' if database_url else 'sqlite'}): {kills} kills during "
        f"imports of {uploads.begun} files of {IMPORT_ROWS:,} rows (an import took {duration:.1f} s), "
        f"{uploads.interrupted} uploads cut, {len(uploads.imported)} files acknowledged (201), "
        f"{len(uploads.recognised)} recognised as imported when sent again (200), "
        f"files imported as seen after each kill {seen_after_kills}, "
        f"{uploads.begun * IMPORT_ROWS:,} rows checked; {audit}"
    )
    assert kills >= IMPORT_KILLS
    assert uploads.interrupted > 0, "no kill fell during an import: nothing was tested"


def _wait_for(condition: Callable[[], bool], what: str, deadline_s: float = 600) -> None:
    deadline = time.monotonic() + deadline_s
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} did not happen within {deadline_s} s")
        time.sleep(0.01)
