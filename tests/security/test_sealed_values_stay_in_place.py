"""Promise 1, attacked with write access to the database: a sealed value copied to another person,
another column or another key version does not open, and the record is refused whole; so do notes
copied to another case."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import update

from serment.access import Actor, Request
from serment.installation import Installation
from serment.people import RecordTampered, read_person
from serment.reporting.fhir import export_person
from serment.store.tables import CaseRow, PersonRow
from tests.conftest import Accounts
from tests.people_data import people

pytestmark = pytest.mark.anyio
ALICE, BRUNO = people(2, seed=7)
CLINICIAN = Request(Actor(name="clinician-1", role="clinician"), purpose="care")


async def _two_people(client: httpx.AsyncClient, accounts: Accounts) -> tuple[str, str]:
    refs = []
    for person in (ALICE, BRUNO):
        response = await client.post(
            "/api/v1/people", json=person.payload(), headers=accounts.headers("clinician")
        )
        refs.append(response.json()["ref"])
    return refs[0], refs[1]


def _sealed(installation: Installation, ref: str, column: str) -> bytes:
    with installation.database.read() as session:
        person = session.get(PersonRow, ref)
        assert person is not None
        value: bytes = getattr(person, column)
        return value


def _overwrite(installation: Installation, ref: str, **values: object) -> None:
    with installation.database.write() as session:
        session.execute(update(PersonRow).where(PersonRow.ref == ref).values(**values))


async def test_a_name_moved_to_another_person_does_not_open(
    client: httpx.AsyncClient, accounts: Accounts, installation: Installation
) -> None:
    alice, bruno = await _two_people(client, accounts)
    _overwrite(installation, bruno, family_name=_sealed(installation, alice, "family_name"))
    response = await client.get(f"/api/v1/people/{bruno}", headers=accounts.headers("clinician"))
    assert response.status_code == 500
    assert response.json()["title"] == "Integrity failure"
    assert f"the sealed family_name of {bruno} does not open" in response.json()["detail"]
    assert ALICE.family_name not in response.text
    assert BRUNO.family_name not in response.text


async def test_a_value_moved_to_another_column_does_not_open(
    client: httpx.AsyncClient, accounts: Accounts, installation: Installation
) -> None:
    alice, _ = await _two_people(client, accounts)
    _overwrite(installation, alice, given_names=_sealed(installation, alice, "family_name"))
    with pytest.raises(RecordTampered, match="given_names"):
        read_person(installation.platform, CLINICIAN, alice)


async def test_a_data_key_moved_to_another_person_opens_nothing(
    client: httpx.AsyncClient, accounts: Accounts, installation: Installation
) -> None:
    alice, bruno = await _two_people(client, accounts)
    _overwrite(installation, bruno, data_key_wrapped=_sealed(installation, alice, "data_key_wrapped"))
    response = await client.get(f"/api/v1/people/{bruno}", headers=accounts.headers("clinician"))
    assert response.status_code == 410
    assert ALICE.family_name not in response.text


async def test_a_changed_key_version_does_not_open(
    client: httpx.AsyncClient, accounts: Accounts, installation: Installation
) -> None:
    alice, _ = await _two_people(client, accounts)
    _overwrite(installation, alice, key_version=2)
    response = await client.get(f"/api/v1/people/{alice}", headers=accounts.headers("clinician"))
    assert response.status_code in {410, 500}
    assert ALICE.family_name not in response.text


async def test_one_flipped_bit_does_not_open(
    client: httpx.AsyncClient, accounts: Accounts, installation: Installation
) -> None:
    alice, _ = await _two_people(client, accounts)
    sealed = bytearray(_sealed(installation, alice, "nir"))
    sealed[-1] ^= 1
    _overwrite(installation, alice, nir=bytes(sealed))
    with pytest.raises(RecordTampered, match="nir"):
        read_person(installation.platform, CLINICIAN, alice)


async def test_notes_moved_to_another_case_do_not_open(
    client: httpx.AsyncClient, accounts: Accounts, installation: Installation
) -> None:
    alice, _ = await _two_people(client, accounts)
    clinician = accounts.headers("clinician")
    cases = []
    for notes in ("First episode.", "Second episode: hospitalised."):
        report = {
            "person": ALICE.payload(),
            "case": {"status": "confirmed", "onset_date": "2026-02-27", "notes": notes},
        }
        response = await client.post("/api/v1/reports", json=report, headers=clinician)
        cases.append(response.json()["case"])
    with installation.database.write() as session:
        first, second = (session.get(CaseRow, ref) for ref in cases)
        assert first is not None
        assert second is not None
        first.notes = second.notes
    patient = Request(Actor(name="alice", role="patient", person_ref=alice), purpose="self")
    with pytest.raises(RecordTampered, match=f"the sealed notes \\(cases {cases[0]}\\) of {alice}"):
        export_person(installation.platform, patient, alice)
