"""Keys: rotation re-wraps every key without re-encrypting data, and every live value stays readable;
the key files are private and hold no key in clear."""

from __future__ import annotations

import stat

import httpx
import pytest

from serment.installation import Installation, rotate_keys
from serment.store.tables import PersonRow
from tests.conftest import Accounts
from tests.people_data import people

pytestmark = pytest.mark.anyio
POPULATION = people(20, seed=3)


async def test_rotation_keeps_every_live_value_readable_and_changes_no_ciphertext(
    client: httpx.AsyncClient, accounts: Accounts, installation: Installation
) -> None:
    headers = accounts.headers("clinician")
    refs = [
        (await client.post("/api/v1/people", json=person.payload(), headers=headers)).json()["ref"]
        for person in POPULATION
    ]
    with installation.database.read() as session:
        before = {
            ref: (row.family_name, row.data_key_wrapped)
            for ref in refs
            if (row := session.get(PersonRow, ref))
        }
    old_version = installation.keys.kek_version()
    report = rotate_keys(installation)
    assert (report.old_version, report.new_version) == (old_version, old_version + 1)
    assert report.rewrapped >= 2  # the pseudonym secret and at least one epoch key
    assert not (installation.data_dir / "keys" / "kek" / f"v{old_version}.json").exists()
    for ref, person in zip(refs, POPULATION, strict=True):
        read = await client.get(f"/api/v1/people/{ref}", headers=headers)
        assert read.status_code == 200
        assert read.json()["family_name"] == person.family_name
    with installation.database.read() as session:
        after = {
            ref: (row.family_name, row.data_key_wrapped)
            for ref in refs
            if (row := session.get(PersonRow, ref))
        }
    assert after == before, "rotation must not re-encrypt data"
    again = await client.post("/api/v1/people", json=POPULATION[0].payload(), headers=headers)
    assert again.json() == {"ref": refs[0], "created": False, "strength": "nir"}, "pseudonyms must not change"


def test_the_key_directory_is_private(installation: Installation) -> None:
    keys = installation.data_dir / "keys"
    assert stat.S_IMODE(keys.stat().st_mode) == 0o700
    for path in keys.rglob("*"):
        expected = 0o700 if path.is_dir() else 0o600
        assert stat.S_IMODE(path.stat().st_mode) == expected, path
