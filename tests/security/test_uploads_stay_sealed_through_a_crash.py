"""Promise 1 through a crash: a lab file goes to a real `serment serve`, which is killed (SIGKILL: no
shutdown, no cleanup) in the middle of the upload, or once the whole file waits in its spool to be
imported; then every byte under the data directory, and the server's logs, are searched for the
identifiers of the file. The spool left behind is there, and holds none of them."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from serment.access import operator
from serment.access.accounts import add_user, create_token
from serment.installation import UPLOADS_DIR, initialise, open_installation
from serment.secrecy.spool import CHUNK, RECORD
from serment.settings import Settings
from tests.people_data import Synthetic, people
from tests.security.scanner import scan
from tests.server_process import ServerProcess

pytestmark = pytest.mark.subprocess
PEOPLE = people(2000, seed=31)
# Every column fr-2020 lets a result carry: an e-mail column would refuse the file at once.
HEADER = "nir;nom;prenom;date_naissance;sexe;adresse;code_postal;ville;telephone;date_prelevement;"
HEADER += "type_test;resultat"
DEADLINE_S = 60


def _content(population: list[Synthetic]) -> bytes:
    rows = [
        f"{p.nir};{p.family_name};{p.given_names};{p.birth_date};{p.sex};{p.address_line};69003;Lyon;"
        f"{p.phone};2026-02-27;PCR;positif"
        for p in population
    ]
    return ("\n".join([HEADER, *rows]) + "\n").encode()


def _lab_token(data_dir: Path, database_url: str | None) -> str:
    """A data directory initialised for the server, with a lab account; that account's token."""
    settings = Settings(data_dir=data_dir, database_url=database_url)
    initialise(settings)
    installation = open_installation(settings)
    try:
        add_user(installation.platform, operator(), name="biolab", role="lab", organisation="Biolab")
        return create_token(installation.platform, operator(), name="biolab").token
    finally:
        installation.close()


def _spooled_bytes(uploads: Path) -> int:
    spools = list(uploads.glob("*.upload")) if uploads.is_dir() else []
    return spools[0].stat().st_size if len(spools) == 1 else -1


def _wait_until(condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + DEADLINE_S
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} did not happen within {DEADLINE_S} s")
        time.sleep(0.01)


@pytest.mark.parametrize("moment", ["mid-upload", "whole-file-spooled"])
def test_a_server_killed_during_an_import_leaves_no_identifier_of_the_file_in_clear(
    tmp_path: Path, database_url: str | None, moment: str
) -> None:
    data_dir = tmp_path / "data"
    token = _lab_token(data_dir, database_url)
    content = _content(PEOPLE)
    half = len(content) // 2
    resume = threading.Event()
    failures: list[BaseException] = []

    def body() -> Iterator[bytes]:
        yield content[:half]
        if moment == "mid-upload":
            resume.wait(DEADLINE_S)  # the request stays open, half sent, until the server is dead
        yield content[half:]

    def upload(base_url: str) -> None:
        headers = {"Authorization": f"Bearer {token}", "Content-Type": "text/csv"}
        try:
            httpx.post(f"{base_url}/api/v1/imports", content=body(), headers=headers, timeout=DEADLINE_S)
        except httpx.TransportError as error:
            failures.append(error)

    uploads = data_dir / UPLOADS_DIR
    # Killed once the spool holds as many bytes as the full chunks of the first half, or as the whole
    # file: the sizes it would have in clear, which an encrypted spool reaches only with every chunk.
    reached = (half // CHUNK) * CHUNK if moment == "mid-upload" else len(content)
    assert (len(content) // CHUNK) * RECORD < len(content)
    with ServerProcess(data_dir, database_url) as server:
        sender = threading.Thread(target=upload, args=(server.base_url,), daemon=True)
        sender.start()
        _wait_until(lambda: _spooled_bytes(uploads) >= reached, f"spooling {reached:,} bytes")
        server.kill()
        resume.set()
        sender.join(DEADLINE_S)
    assert failures, "the import finished before the server was killed: nothing was tested"

    logs = tmp_path / "logs"
    logs.mkdir()
    (logs / "server.log").write_text(server.stdout + server.stderr, encoding="utf-8")
    identifiers = [identifier for person in PEOPLE for identifier in person.identifiers()]
    hits = scan(data_dir, identifiers) + scan(logs, identifiers)
    assert hits == [], f"{len(hits)} identifiers in clear, the first {hits[0]}"
    # What was left is the spool, as the server wrote it: every full chunk received, or the whole file.
    chunks = -(-len(content) // CHUNK)
    spooled = (half // CHUNK) * RECORD if moment == "mid-upload" else len(content) + chunks * (RECORD - CHUNK)
    assert [path.stat().st_size for path in uploads.iterdir()] == [spooled]
