"""Reporting through the JSON API: a case report with its contacts in one transaction, idempotent
retries, lab results, contacts named later, the surveillance case list, and every bad input
answered precisely with nothing stored."""

from __future__ import annotations

import json

import httpx
import pytest
from sqlalchemy import func, select

from serment.installation import Installation
from serment.store.tables import CaseRow, ExposureRow, PersonRow, ResultRow
from tests.conftest import Accounts
from tests.people_data import people

pytestmark = pytest.mark.anyio
INDEX, HOUSEMATE, COLLEAGUE, OTHER = people(4, seed=21)
EXPOSURE = {"date": "2026-02-26", "setting": "household"}
LATE = {"date": "2026-03-05", "setting": "household"}
AT_WORK = {"date_from": "2026-02-24", "date_to": "2026-02-26", "setting": "work", "place_id": "work-7"}
FUTURE_ONSET = {"status": "confirmed", "onset_date": "2026-03-09"}
VAGUE = {"date": "yesterday", "setting": "household"}
SHOUTED = HOUSEMATE.family_name.upper()
BAD_KEY = {**INDEX.payload(), "nir": INDEX.nir[:-2] + "00"}
RESULT = {
    "sample_date": "2026-02-27",
    "result_date": "2026-02-28",
    "test_type": "rt-pcr",
    "value": "positive",
    "loinc": "94500-6",
}


def _report(**changes: object) -> dict[str, object]:
    report: dict[str, object] = {
        "person": INDEX.payload(),
        "case": {"status": "confirmed", "onset_date": "2026-02-27", "hospitalised": False},
        "result": RESULT,
        "contacts": [
            {"person": HOUSEMATE.contact_payload(), "exposure": EXPOSURE},
            {"person": COLLEAGUE.contact_payload(), "exposure": AT_WORK},
        ],
    }  # fmt: skip
    report.update(changes)
    return report


def _counts(installation: Installation) -> dict[str, int]:
    with installation.database.read() as session:
        return {
            table.__tablename__: session.scalar(select(func.count()).select_from(table)) or 0
            for table in (PersonRow, CaseRow, ResultRow, ExposureRow)
        }


async def test_a_case_report_stores_the_person_case_result_and_contacts_in_one_go(
    client: httpx.AsyncClient, accounts: Accounts, installation: Installation
) -> None:
    response = await client.post("/api/v1/reports", json=_report(), headers=accounts.headers("clinician"))
    assert response.status_code == 201, response.text
    receipt = response.json()
    assert len(receipt["contacts"]) == 2
    assert receipt["result"] is not None
    assert _counts(installation) == {"people": 3, "cases": 1, "results": 1, "exposures": 2}
    with installation.database.read() as session:
        case = session.get(CaseRow, receipt["case"])
        work = session.scalars(select(ExposureRow).where(ExposureRow.setting == "work")).one()
    assert case is not None
    assert (case.person_ref, case.status, str(case.onset_date)) == (
        receipt["person"],
        "confirmed",
        "2026-02-27",
    )
    assert (work.person_ref, work.contact_ref, work.place_id) == (
        receipt["person"],
        receipt["contacts"][1],
        "work-7",
    )
    assert (str(work.date_from), str(work.date_to)) == ("2026-02-24", "2026-02-26")
    again = await client.post(
        "/api/v1/people", json=HOUSEMATE.payload(), headers=accounts.headers("clinician")
    )
    assert again.json()["ref"] == receipt["contacts"][0], (
        "a contact is the same person as when registered alone"
    )


async def test_a_retried_report_with_its_idempotency_key_is_stored_once(
    client: httpx.AsyncClient, accounts: Accounts, installation: Installation
) -> None:
    headers = {**accounts.headers("clinician"), "Idempotency-Key": "gp-cabinet-42/2026-03-02/0001"}
    first = await client.post("/api/v1/reports", json=_report(), headers=headers)
    retried = await client.post("/api/v1/reports", json=_report(), headers=headers)
    assert first.status_code == retried.status_code == 201
    assert retried.json() == first.json()
    assert retried.headers["idempotent-replayed"] == "true"
    assert _counts(installation)["cases"] == 1
    different = await client.post("/api/v1/reports", json=_report(contacts=[]), headers=headers)
    assert different.status_code == 422
    assert "already used for a different request" in different.json()["detail"]
    assert _counts(installation)["cases"] == 1


@pytest.mark.parametrize(
    ("change", "location", "message"),
    [
        ({"case": FUTURE_ONSET}, "body.case.onset_date", "in the future"),
        ({"case": {"status": "confirmed"}}, "body.case.onset_date", "or set asymptomatic to true"),
        ({"case": {"status": "cured", "onset_date": "2026-02-27"}}, "body.case.status", ""),
        ({"contacts": [{"person": HOUSEMATE.contact_payload(), "exposure": LATE}]},
         "body.contacts.0.exposure.date", "is after the report"),
        ({"contacts": [{"person": INDEX.contact_payload(), "exposure": EXPOSURE}]},
         "body.contacts.0.person", "the contact is the person being reported"),
        ({"contacts": [{"person": HOUSEMATE.contact_payload(), "exposure": EXPOSURE},
                       {"person": {**HOUSEMATE.contact_payload(), "family_name": SHOUTED},
                        "exposure": EXPOSURE}]},
         "body.contacts.1.person", "the same person as contacts.0"),
        ({"person": BAD_KEY}, "body.person.nir", "invalid control key"),
        ({"person": {**INDEX.payload(), "birth_date": "2030-01-01"}}, "body.person.birth_date", ""),
        ({"result": {**RESULT, "result_date": "2026-02-20"}}, "body.result.result_date", "before the sample"),
        ({"symptoms": ["fever"]}, "body.symptoms", "Extra inputs are not permitted"),
        ({"contacts": [{"person": HOUSEMATE.contact_payload(), "exposure": VAGUE}]},
         "body.contacts.0.exposure.date", ""),
    ],
)  # fmt: skip
async def test_a_bad_report_names_the_problem_and_stores_nothing(
    client: httpx.AsyncClient,
    accounts: Accounts,
    installation: Installation,
    change: dict[str, object],
    location: str,
    message: str,
) -> None:
    before = _counts(installation)
    response = await client.post(
        "/api/v1/reports", json=_report(**change), headers=accounts.headers("clinician")
    )
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert location in [error["location"] for error in problem["errors"]], problem
    assert message in problem["detail"]
    assert _counts(installation) == before


async def test_malformed_and_oversized_bodies_are_refused(
    client: httpx.AsyncClient, accounts: Accounts
) -> None:
    headers = {**accounts.headers("clinician"), "content-type": "application/json"}
    malformed = await client.post("/api/v1/reports", content=b'{"person": ', headers=headers)
    assert malformed.status_code == 400
    huge = json.dumps(_report(notes="x" * (3 * 1024 * 1024))).encode()
    too_large = await client.post("/api/v1/reports", content=huge, headers=headers)
    assert too_large.status_code == 413
    assert too_large.headers["content-type"] == "application/problem+json"

    async def chunks():  # type: ignore[no-untyped-def]
        for _ in range(3):
            yield b" " * (1024 * 1024)

    streamed = await client.post("/api/v1/reports", content=chunks(), headers=headers)
    assert streamed.status_code == 413


async def test_a_lab_sends_one_or_many_results(
    client: httpx.AsyncClient, accounts: Accounts, installation: Installation
) -> None:
    lab = accounts.headers("lab")
    one = await client.post(
        "/api/v1/results", json={**RESULT, "person": INDEX.payload(with_email=False)}, headers=lab
    )
    assert one.status_code == 201, one.text
    many = await client.post(
        "/api/v1/results",
        json=[
            {**RESULT, "person": HOUSEMATE.payload(with_email=False)},
            {**RESULT, "value": "negative", "person": OTHER.payload(with_email=False)},
        ],
        headers=lab,
    )
    assert many.status_code == 201
    assert len(many.json()) == 2
    with installation.database.read() as session:
        labs = set(session.scalars(select(ResultRow.lab)))
    assert labs == {"Lab Org"}
    bad = await client.post(
        "/api/v1/results",
        json=[
            {**RESULT, "person": COLLEAGUE.payload(with_email=False)},
            {**RESULT, "sample_date": "2026-04-01", "person": OTHER.payload(with_email=False)},
        ],
        headers=lab,
    )
    assert bad.status_code == 422
    assert [error["location"] for error in bad.json()["errors"]] == [
        "body.1.sample_date",
        "body.1.result_date",
    ]
    assert _counts(installation)["results"] == 3, "all or nothing"


async def test_contacts_named_later_are_added_to_a_person(
    client: httpx.AsyncClient, accounts: Accounts, installation: Installation
) -> None:
    receipt = (
        await client.post("/api/v1/reports", json=_report(), headers=accounts.headers("clinician"))
    ).json()
    housemate = receipt["contacts"][0]
    added = await client.post(
        f"/api/v1/people/{housemate}/contacts",
        json={"contacts": [{"person": OTHER.contact_payload(),
                            "exposure": {"date": "2026-02-28", "setting": "venue", "place_id": "bar-12"}}]},
        headers=accounts.headers("clinician"),
    )  # fmt: skip
    assert added.status_code == 201, added.text
    with installation.database.read() as session:
        exposure = session.scalars(select(ExposureRow).where(ExposureRow.place_id == "bar-12")).one()
    assert (exposure.person_ref, exposure.contact_ref) == (housemate, added.json()["contacts"][0])
    refused = await client.post(
        f"/api/v1/people/{housemate}/contacts",
        json={"contacts": [{"person": OTHER.contact_payload(), "exposure": EXPOSURE}]},
        headers=accounts.headers("tracer"),
    )
    assert refused.status_code == 403
    assert refused.json()["detail"] == "this person is not assigned to tracer-1"


async def test_surveillance_lists_cases_without_identities(
    client: httpx.AsyncClient, accounts: Accounts
) -> None:
    clinician = accounts.headers("clinician")
    await client.post("/api/v1/reports", json=_report(), headers=clinician)
    await client.post(
        "/api/v1/reports",
        json={"person": OTHER.payload(), "case": {"status": "suspected", "asymptomatic": True}},
        headers=clinician,
    )
    epidemiologist = accounts.headers("epidemiologist")
    listed = await client.get("/api/v1/cases", headers=epidemiologist)
    assert listed.status_code == 200
    page = listed.json()
    assert page["total"] == 2
    for person in (INDEX, OTHER):
        for identifier in person.identifiers():
            assert identifier not in listed.text
    assert set(page["items"][0]) == {
        "case", "person", "status", "onset_date", "asymptomatic", "hospitalised", "outcome", "reported_at",
    }  # fmt: skip
    confirmed = await client.get(
        "/api/v1/cases?status=confirmed&from=2026-03-01&to=2026-03-02", headers=epidemiologist
    )
    assert confirmed.json()["total"] == 1
    none_yet = await client.get("/api/v1/cases?from=2026-03-03", headers=epidemiologist)
    assert none_yet.json() == {"total": 0, "items": []}
    assert (await client.get("/api/v1/cases", headers=clinician)).status_code == 403
    assert (await client.get("/api/v1/cases?status=cured", headers=epidemiologist)).status_code == 422


@pytest.mark.parametrize(
    "query", ["/api/v1/cases?to=0", "/api/v1/cases?from=1741000000", "/api/v1/tracing/tiers?at=20260302",
              "/api/v1/tracing/chains?at=2026-3-2", "/api/v1/tracing/chains?at=yesterday"],
)  # fmt: skip
async def test_a_date_in_a_query_is_written_yyyy_mm_dd_or_refused(
    client: httpx.AsyncClient, accounts: Accounts, query: str
) -> None:
    # Found by fuzzing: "?to=0" was read as a Unix timestamp (1 January 1970) and answered 200.
    answer = await client.get(query, headers=accounts.headers("epidemiologist"))
    assert answer.status_code == 422
    assert answer.headers["content-type"].startswith("application/problem+json")
    assert "YYYY-MM-DD" in answer.text
