"""Promise 1: identities are sealed. 1,000 people go in through the API, 50 of them reported as cases
with notes on the case and on a contact's exposure that quote identifiers; then every file under the
data directory (database, WAL and SHM files, key store, logs, a backup, an audit export) is searched
for each identifier in clear."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from pydantic import SecretStr

from serment.access import operator
from serment.access.oversight import export_audit
from serment.installation import Installation, back_up_installation
from serment.logs import configure_logging
from serment.settings import Settings
from tests.conftest import Accounts
from tests.people_data import Synthetic, people
from tests.security.scanner import scan

pytestmark = pytest.mark.anyio
COUNT = 1_000
REPORTED = 50


@pytest.fixture
def logged_to_data_dir(installation: Installation) -> Iterator[Path]:
    """Logs written as JSON lines into the data directory, so that the scan covers them."""
    path = installation.data_dir / "logs" / "serment.jsonl"
    path.parent.mkdir(mode=0o700)
    with path.open("w", encoding="utf-8") as stream:
        configure_logging("debug", stream=stream)
        yield path
    configure_logging("warning")


def test_the_scanner_finds_an_identifier_in_every_encoding(tmp_path: Path) -> None:
    person = people(1)[0]
    (tmp_path / "a").write_bytes(b"xx" + person.family_name.upper().encode() + b"yy")
    (tmp_path / "b").write_bytes(person.nir.encode("utf-16-le"))
    (tmp_path / "c").write_bytes(b"sealed: \x93\x11\x08")
    found = {(hit.path.name, hit.encoding) for hit in scan(tmp_path, person.identifiers())}
    assert found == {("a", "utf-8"), ("b", "utf-16-le")}


async def test_no_identifier_is_stored_in_clear_anywhere_under_the_data_directory(
    client: httpx.AsyncClient,
    accounts: Accounts,
    installation: Installation,
    settings: Settings,
    logged_to_data_dir: Path,
) -> None:
    population: list[Synthetic] = people(COUNT)
    clinician = accounts.headers("clinician")
    refs = []
    for person in population:
        response = await client.post("/api/v1/people", json=person.payload(), headers=clinician)
        assert response.status_code == 201, response.text
        refs.append(response.json()["ref"])
    for ref in refs[:50]:
        read = await client.get(f"/api/v1/people/{ref}", headers=clinician)
        assert read.status_code == 200
        refused = await client.get(f"/api/v1/people/{ref}", headers=accounts.headers("epidemiologist"))
        assert refused.status_code == 403
    # Notes are free text: clinicians write identifiers in them, which must be sealed like the rest.
    for index, contact in zip(population[:REPORTED], population[-REPORTED:], strict=True):
        report = {
            "person": index.payload(),
            "case": {
                "status": "confirmed",
                "onset_date": "2026-02-27",
                "notes": f"Call {index.given_names} {index.family_name} on {index.phone} or {index.email}.",
            },
            "contacts": [
                {
                    "person": contact.contact_payload(),
                    "exposure": {
                        "date": "2026-02-26",
                        "setting": "household",
                        "notes": f"Lives at {contact.address_line}, NIR {contact.nir}, {contact.email}.",
                    },
                }
            ],
        }
        reported = await client.post("/api/v1/reports", json=report, headers=clinician)
        assert reported.status_code == 201, reported.text
    # A rejected report must not leave its identity anywhere either (logs included).
    bad_key = {**population[0].payload(), "nir": population[0].nir[:-2] + "00"}
    assert (await client.post("/api/v1/people", json=bad_key, headers=clinician)).status_code == 422

    backup_settings = settings.model_copy(
        update={"backup_passphrase": SecretStr("correct horse battery staple")}
    )
    back_up_installation(installation, backup_settings, installation.data_dir / "backups" / "first")
    with (installation.data_dir / "audit-export.jsonl").open("w", encoding="utf-8") as export:
        for event in export_audit(installation.platform, operator(role="dpo", purpose="audit")):
            export.write(json.dumps(event, default=str) + "\n")

    scanned = sorted(
        path.relative_to(installation.data_dir).as_posix()
        for path in installation.data_dir.rglob("*")
        if path.is_file()
    )
    if settings.database_url is None:
        assert {"serment.db", "serment.db-wal", "serment.db-shm"} <= set(scanned)
    assert "logs/serment.jsonl" in scanned
    assert "backups/first/database.enc" in scanned
    assert any(name.startswith("keys/epochs/") for name in scanned)
    assert logged_to_data_dir.stat().st_size > 0

    identifiers = [identifier for person in population for identifier in person.identifiers()]
    hits = scan(installation.data_dir, identifiers)
    assert hits == [], f"{len(hits)} identifiers in clear, first: {hits[:3]}"
