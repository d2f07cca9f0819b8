"""Promises 1, 2 and 6 for duplicate detection, attacked: a thief holding the database finds no
identifier in the blocking keys or the review queue and cannot recompute a key without the
pseudonym secret; erasure and the purge leave no key of the person behind."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, date, datetime

import httpx
import pytest
from sqlalchemy import or_, select

from serment.clock import FixedClock
from serment.installation import Installation, purge_installation
from serment.people import person_details
from serment.people.linkage import profile_of
from serment.people.matching import blocking_texts, name_texts
from serment.store.tables import DuplicatePairRow, PersonKeyRow, PersonRow
from tests.conftest import Accounts
from tests.people_data import Synthetic, people
from tests.security.scanner import scan

pytestmark = pytest.mark.anyio
POPULATION = people(30, seed=77)
LEVELS = {
    "exact",
    "similar",
    "partial",
    "different",
    "swapped",
    "typo",
    "same",
    "unknown",
    "postal_code",
    "missing",
}


def _texts(person: Synthetic) -> list[str]:
    details = person_details(
        nir=None, family_name=person.family_name, given_names=person.given_names,
        birth_date=person.birth_date, sex=person.sex, today=date(2026, 3, 2),
    )  # fmt: skip
    profile = profile_of(details)
    return [*blocking_texts(profile), *name_texts(profile)]


def _doubtful(person: Synthetic) -> dict[str, object]:
    body = person.payload(with_nir=False)
    body.pop("address")
    return {**body, "family_name": "Quesnel-Dauvergne"}


async def _register(client: httpx.AsyncClient, accounts: Accounts, body: dict[str, object]) -> str:
    response = await client.post("/api/v1/people", json=body, headers=accounts.headers("clinician"))
    assert response.status_code in {200, 201}, response.text
    ref: str = response.json()["ref"]
    return ref


def _keys_of(installation: Installation, *refs: str) -> list[str]:
    with installation.database.read() as session:
        return list(session.scalars(select(PersonKeyRow.key).where(PersonKeyRow.person_ref.in_(refs))))


async def test_the_keys_and_the_queue_hold_nothing_a_thief_can_read_or_recompute(
    client: httpx.AsyncClient, accounts: Accounts, installation: Installation
) -> None:
    for person in POPULATION:
        await _register(client, accounts, person.payload())
    for person in POPULATION[:5]:
        await _register(client, accounts, _doubtful(person))
    with installation.database.read() as session:
        keys = set(session.scalars(select(PersonKeyRow.key)))
        pairs = session.scalars(select(DuplicatePairRow)).all()
        core = {
            pseudonym
            for row in session.execute(select(PersonRow.nir_pseudonym, PersonRow.demographic_pseudonym))
            for pseudonym in row
        }
    assert len(pairs) == 5
    for pair in pairs:
        assert set(json.loads(pair.levels).values()) <= LEVELS
    assert all(len(key) == 64 and set(key) <= set("0123456789abcdef") for key in keys)

    texts = [text for person in POPULATION for text in _texts(person)]
    pseudonymiser = installation.platform.pseudonymiser
    # With the secret the keys are found again: the checks below are not void.
    assert {pseudonymiser.pseudonym("linkage", text) for text in texts} <= keys
    # Without it, a plain hash of a guessed text, or the text under another domain, finds nothing.
    guesses = {hashlib.sha256(text.encode()).hexdigest() for text in texts}
    guesses |= {pseudonymiser.pseudonym("core", text) for text in texts}
    assert keys.isdisjoint(guesses)
    assert keys.isdisjoint(core)

    identifiers = [identifier for person in POPULATION for identifier in person.identifiers()]
    assert scan(installation.data_dir, identifiers) == []


async def test_erasure_leaves_no_key_and_no_open_pair_of_the_person(
    client: httpx.AsyncClient, accounts: Accounts, installation: Installation
) -> None:
    person, neighbour = POPULATION[0], POPULATION[1]
    kept = await _register(client, accounts, person.payload())
    doubtful = await _register(client, accounts, _doubtful(person))
    other = await _register(client, accounts, neighbour.payload())
    assert len(_keys_of(installation, kept)) >= 5
    erased = await client.delete(f"/api/v1/people/{doubtful}", headers=accounts.headers("dpo"))
    assert erased.status_code == 204
    assert _keys_of(installation, doubtful) == []
    with installation.database.read() as session:
        mentioned = session.scalars(
            select(DuplicatePairRow).where(
                or_(DuplicatePairRow.first_ref == doubtful, DuplicatePairRow.second_ref == doubtful)
            )
        ).all()
    assert mentioned == []
    assert _keys_of(installation, kept) != []
    assert _keys_of(installation, other) != []


async def test_the_purge_leaves_no_key_of_an_expired_person(
    client: httpx.AsyncClient, accounts: Accounts, installation: Installation, clock: FixedClock
) -> None:
    clock.set(datetime(2026, 1, 10, 9, 0, tzinfo=UTC))
    old = await _register(client, accounts, POPULATION[2].payload())
    old_doubtful = await _register(client, accounts, _doubtful(POPULATION[2]))
    clock.set(datetime(2026, 5, 20, 9, 0, tzinfo=UTC))
    recent = await _register(client, accounts, POPULATION[3].payload())
    assert _keys_of(installation, old, old_doubtful) != []

    clock.set(datetime(2026, 6, 15, tzinfo=UTC))
    report = purge_installation(installation)
    assert report.expired_people == 2
    assert _keys_of(installation, old, old_doubtful) == []
    assert _keys_of(installation, recent) != []
    with installation.database.read() as session:
        assert session.scalars(select(DuplicatePairRow)).all() == []
