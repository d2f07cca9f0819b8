"""What the data-protection officer's and the patient's page tests share: a clinician's report of a
case with a result and two contacts, sent through the JSON API as a clinic would send it."""

from __future__ import annotations

import re
from dataclasses import dataclass

import httpx

from tests.conftest import Accounts
from tests.people_data import Synthetic, people

INDEX, ANNE, BRUNO, CLARA = people(4, seed=606)
EVERYONE = (INDEX, ANNE, BRUNO, CLARA)
CASE = {"status": "confirmed", "onset_date": "2026-02-27"}
RESULT = {
    "sample_date": "2026-02-28",
    "test_type": "rt-pcr",
    "value": "positive",
    "lab": "Laboratoire Part-Dieu",
}
AT_HOME = {"date": "2026-02-26", "setting": "household"}
_CELLS = re.compile(r"<[^>]+>")


@dataclass(frozen=True)
class Reported:
    """The refs a report created: the index case's person and their contacts' people."""

    index: str
    contacts: list[str]


async def report(
    client: httpx.AsyncClient, accounts: Accounts, *, clinician: str = "clinician-1"
) -> Reported:
    """INDEX reported as a confirmed case with a positive result, and ANNE and BRUNO as contacts."""
    body = {
        "person": INDEX.payload(),
        "case": CASE,
        "result": RESULT,
        "contacts": [{"person": person.contact_payload(), "exposure": AT_HOME} for person in (ANNE, BRUNO)],
    }
    answer = await client.post(
        "/api/v1/reports", json=body, headers=accounts.headers("clinician", name=clinician)
    )
    assert answer.status_code == 201, answer.text
    receipt = answer.json()
    return Reported(receipt["person"], receipt["contacts"])


async def register(client: httpx.AsyncClient, accounts: Accounts, person: Synthetic) -> str:
    """`person` registered by a clinician (who reports nothing about them)."""
    answer = await client.post("/api/v1/people", json=person.payload(), headers=accounts.headers("clinician"))
    assert answer.status_code in {200, 201}, answer.text
    return str(answer.json()["ref"])


def identifiers(*persons: Synthetic) -> list[str]:
    """What must never appear on a data-protection officer's page."""
    return [
        value for person in persons for value in (person.nir, person.family_name, person.phone, person.email)
    ]


def text_of(html: str) -> str:
    """The page's text without its tags, whitespace collapsed: what a reader sees."""
    return " ".join(_CELLS.sub(" ", html).split())
