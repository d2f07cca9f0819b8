"""Minimisation through the JSON API and the reporting services: a report carrying a field the policy
does not allow for its kind is refused whole, naming the field and the policy, with nothing stored
and nothing of what was refused in the answer."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import func, select

from serment.installation import Installation
from serment.store.tables import CaseRow, ExposureRow, PersonRow, ResultRow
from tests.conftest import Accounts
from tests.people_data import people

pytestmark = pytest.mark.anyio
INDEX, HOUSEMATE, COLLEAGUE, NEIGHBOUR = people(4, seed=61)
EXPOSURE = {"date": "2026-02-26", "setting": "household"}
RESULT = {"sample_date": "2026-02-27", "test_type": "rt-pcr", "value": "positive", "loinc": "94500-6"}
CASE = {"status": "confirmed", "onset_date": "2026-02-27"}


def _counts(installation: Installation) -> tuple[int, ...]:
    with installation.database.read() as session:
        return tuple(
            session.scalar(select(func.count()).select_from(table)) or 0
            for table in (PersonRow, CaseRow, ResultRow, ExposureRow)
        )


async def test_a_contact_with_an_e_mail_refuses_the_whole_report_naming_the_field_and_the_policy(
    client: httpx.AsyncClient, accounts: Accounts, installation: Installation
) -> None:
    contacts = [
        {"person": HOUSEMATE.contact_payload(), "exposure": EXPOSURE},
        {"person": COLLEAGUE.contact_payload(), "exposure": EXPOSURE},
        {"person": {**NEIGHBOUR.contact_payload(), "email": NEIGHBOUR.email}, "exposure": EXPOSURE},
    ]
    report = {"person": INDEX.payload(), "case": CASE, "result": RESULT, "contacts": contacts}
    response = await client.post("/api/v1/reports", json=report, headers=accounts.headers("clinician"))
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["errors"] == [
        {
            "location": "body.contacts.2.person.email",
            "message": 'the policy "fr-2020" does not allow an e-mail address for a contact',
        }
    ]
    assert problem["detail"] == (
        'nothing was stored: body.contacts.2.person.email: the policy "fr-2020" does not allow an e-mail '
        "address for a contact"
    )
    assert NEIGHBOUR.email not in response.text
    assert _counts(installation) == (0, 0, 0, 0)


async def test_every_withheld_field_and_every_broken_rule_are_named_at_once(
    client: httpx.AsyncClient, accounts: Accounts, installation: Installation
) -> None:
    contact = {"person": HOUSEMATE.payload(), "exposure": {"date": "2026-03-09", "setting": "household"}}
    report = {"person": INDEX.payload(), "case": CASE, "contacts": [contact]}
    response = await client.post("/api/v1/reports", json=report, headers=accounts.headers("clinician"))
    assert response.status_code == 422
    assert [error["location"] for error in response.json()["errors"]] == [
        "body.contacts.0.exposure.date",
        "body.contacts.0.person.nir",
        "body.contacts.0.person.address",
        "body.contacts.0.person.email",
    ]
    assert _counts(installation) == (0, 0, 0, 0)


async def test_a_lab_may_not_send_the_e_mail_of_the_people_it_tested(
    client: httpx.AsyncClient, accounts: Accounts, installation: Installation
) -> None:
    results = [
        {**RESULT, "person": INDEX.payload(with_email=False)},
        {**RESULT, "person": HOUSEMATE.payload()},
    ]
    response = await client.post("/api/v1/results", json=results, headers=accounts.headers("lab"))
    assert response.status_code == 422
    assert response.json()["errors"] == [
        {
            "location": "body.1.person.email",
            "message": 'the policy "fr-2020" does not allow an e-mail address for the person of a result',
        }
    ]
    assert _counts(installation) == (0, 0, 0, 0)
    without = await client.post("/api/v1/results", json=results[:1], headers=accounts.headers("lab"))
    assert without.status_code == 201, without.text


async def test_contacts_named_later_are_held_to_the_same_rule(
    client: httpx.AsyncClient, accounts: Accounts, installation: Installation
) -> None:
    clinician = accounts.headers("clinician")
    index = (await client.post("/api/v1/people", json=INDEX.payload(), headers=clinician)).json()["ref"]
    with_nir = {**COLLEAGUE.contact_payload(), "nir": COLLEAGUE.nir}
    response = await client.post(
        f"/api/v1/people/{index}/contacts",
        json={"contacts": [{"person": with_nir, "exposure": EXPOSURE}]},
        headers=clinician,
    )
    assert response.status_code == 422
    assert response.json()["errors"] == [
        {
            "location": "body.contacts.0.person.nir",
            "message": 'the policy "fr-2020" does not allow a NIR for a contact',
        }
    ]
    assert _counts(installation) == (1, 0, 0, 0)
