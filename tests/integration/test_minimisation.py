"""Minimisation through the JSON API and the reporting services: a report carrying a field the policy
does not allow for its kind is refused whole, naming the field and the policy, with nothing stored
and nothing of what was refused in the answer."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import httpx
import pytest
from sqlalchemy import func, select

from serment.access import Platform, Request
from serment.installation import Installation
from serment.people import PersonDetails, person_details
from serment.policy import Policy, parse_policy
from serment.policy.loader import PRESETS
from serment.reporting import (
    CaseInput,
    CaseReport,
    ContactInput,
    ExposureInput,
    ReportInvalid,
    actor_named,
    add_contacts,
    report_case,
)
from serment.store.tables import CaseRow, ExposureRow, PersonRow, ResultRow
from tests.conftest import Accounts
from tests.people_data import Synthetic, people

pytestmark = pytest.mark.anyio
INDEX, HOUSEMATE, COLLEAGUE, NEIGHBOUR = people(4, seed=61)
EXPOSURE = {"date": "2026-02-26", "setting": "household"}
RESULT = {"sample_date": "2026-02-27", "test_type": "rt-pcr", "value": "positive", "loinc": "94500-6"}
CASE = {"status": "confirmed", "onset_date": "2026-02-27"}
TODAY = date(2026, 3, 2)


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


def _policy_without_notes() -> Policy:
    text = (PRESETS / "fr-2020.toml").read_text(encoding="utf-8")
    assert text.count(', "notes"]') == 2
    return parse_policy(text.replace(', "notes"]', "]").replace('"fr-2020"', '"no-notes"'), "no-notes.toml")


def _details(person: Synthetic) -> PersonDetails:
    return person_details(
        nir=None, family_name=person.family_name, given_names=person.given_names,
        birth_date=person.birth_date, sex=person.sex, phone=person.phone, today=TODAY,
    )  # fmt: skip


async def test_the_services_refuse_notes_a_policy_withholds_before_storing_anything(
    installation: Installation, platform: Platform, accounts: Accounts
) -> None:
    accounts.token("clinician")
    clinician = Request(actor_named(platform, "clinician-1"), purpose="care")
    strict = replace(platform, policy=_policy_without_notes())
    exposure = ExposureInput(date(2026, 2, 26), date(2026, 2, 26), "household", notes="Shares a bedroom.")
    report = CaseReport(
        _details(INDEX),
        CaseInput("confirmed", date(2026, 2, 27), False, False, notes="Hard of hearing."),
        None,
        (ContactInput(_details(HOUSEMATE), exposure),),
    )
    with pytest.raises(ReportInvalid) as refused:
        report_case(strict, clinician, report)
    assert refused.value.problems == (
        ("case.notes", 'the policy "no-notes" does not allow notes for a case'),
        ("contacts.0.exposure.notes", 'the policy "no-notes" does not allow notes for a contact\'s exposure'),
    )
    assert _counts(installation) == (0, 0, 0, 0)
    receipt = report_case(
        strict, clinician, replace(report, case=replace(report.case, notes=None), contacts=())
    )
    with pytest.raises(ReportInvalid, match=r"contacts.0.exposure.notes: the policy \"no-notes\""):
        add_contacts(strict, clinician, receipt.person, report.contacts)
    assert _counts(installation) == (1, 1, 0, 0)
