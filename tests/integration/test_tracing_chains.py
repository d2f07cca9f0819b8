"""Chains and cluster alerts through HTTP: case reports whose contacts are later reported as cases build
a chain epidemiologists see by pseudonymous case refs, and cases sharing a place raise an alert they
investigate and close."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

import httpx
import pytest
from sqlalchemy import select

from serment.access import Actor, Platform, Request
from serment.installation import Installation
from serment.store.tables import AuditEventRow
from serment.tracing.chains import chain_graph, list_chains
from serment.tracing.clusters import ClusterError, change_cluster_status, list_clusters
from tests.conftest import Accounts
from tests.people_data import Synthetic, people

pytestmark = pytest.mark.anyio
PROBLEM = "application/problem+json"
SURVEILLANCE = {"purpose": "surveillance"}
ANNE, BRUNO, CELIA, DENIS, EMMA, FABIEN = people(6, seed=55)
Exposure = tuple[Synthetic, str, str, str | None]


async def report(
    client: httpx.AsyncClient,
    accounts: Accounts,
    person: Synthetic,
    onset: str | None,
    contacts: Sequence[Exposure] = (),
) -> dict[str, str]:
    """Report `person` as a confirmed case (asymptomatic when `onset` is None), with contacts as
    (person, exposure date, setting, place id); returns the person's ref and the case's ref."""
    case = (
        {"status": "confirmed", "onset_date": onset}
        if onset
        else {"status": "confirmed", "asymptomatic": True}
    )
    body = {
        "person": person.payload(),
        "case": case,
        "contacts": [
            {
                "person": contact.contact_payload(),
                "exposure": {"date": day, "setting": setting, "place_id": place},
            }
            for contact, day, setting, place in contacts
        ],
    }
    response = await client.post("/api/v1/reports", json=body, headers=accounts.headers("clinician"))
    assert response.status_code == 201, response.text
    receipt = response.json()
    return {"person": receipt["person"], "case": receipt["case"]}


async def epidemiologist(
    client: httpx.AsyncClient, accounts: Accounts, method: str, path: str, **kwargs: object
) -> httpx.Response:
    """A call by an epidemiologist, for surveillance."""
    headers = accounts.headers("epidemiologist", **SURVEILLANCE)  # type: ignore[arg-type]
    return await client.request(method, f"/api/v1/tracing{path}", headers=headers, **kwargs)  # type: ignore[arg-type]


async def _outbreak(client: httpx.AsyncClient, accounts: Accounts) -> dict[str, dict[str, str]]:
    """Anne (onset 20 Feb) names Bruno and Célia; both fall ill on the 23rd, Célia having met Bruno at
    school on the 22nd; Bruno names Denis, ill on the 27th; Fabien, positive without symptoms and
    known only by today's report, names Denis. Emma is a case on her own, reported twice."""
    cases = {"anne": await report(client, accounts, ANNE, "2026-02-20", [
        (BRUNO, "2026-02-19", "household", None), (CELIA, "2026-02-21", "work", "factory-3"),
    ])}  # fmt: skip
    cases["bruno"] = await report(
        client, accounts, BRUNO, "2026-02-23", [(DENIS, "2026-02-24", "household", None)]
    )
    cases["celia"] = await report(
        client, accounts, CELIA, "2026-02-23", [(BRUNO, "2026-02-22", "school", None)]
    )
    cases["denis"] = await report(client, accounts, DENIS, "2026-02-27")
    cases["fabien"] = await report(client, accounts, FABIEN, None, [(DENIS, "2026-02-28", "venue", "bar-9")])
    cases["emma"] = await report(client, accounts, EMMA, "2026-02-25")
    cases["emma_again"] = await report(client, accounts, EMMA, "2026-02-28")
    return cases


async def test_contacts_reported_as_cases_build_a_chain_seen_by_case_refs_only(
    client: httpx.AsyncClient, accounts: Accounts
) -> None:
    cases = await _outbreak(client, accounts)
    case = {name: refs["case"] for name, refs in cases.items()}
    listed = await epidemiologist(client, accounts, "GET", "/chains")
    assert listed.status_code == 200, listed.text
    body = listed.json()
    assert (body["at"], body["total"]) == ("2026-03-02", 1)
    assert body["items"] == [
        {
            "id": case["anne"], "size": 5, "generations": 3, "first_start": "2026-02-20",
            "last_start": "2026-03-02", "duration_days": 10, "active": True,
            "settings": ["household", "school", "venue", "work"], "last_exposure": "2026-02-28",
            "undirected": 2,
        }
    ]  # fmt: skip
    graph = await epidemiologist(client, accounts, "GET", f"/chains/{case['anne']}/graph")
    assert graph.status_code == 200, graph.text
    drawn = graph.json()
    assert (drawn["id"], drawn["at"]) == (case["anne"], "2026-03-02")
    assert [
        (node["case"], node["start"], node["start_known"], node["generation"]) for node in drawn["nodes"]
    ] == [
        (case["anne"], "2026-02-20", True, 1),
        *sorted([(case["bruno"], "2026-02-23", True, 2), (case["celia"], "2026-02-23", True, 2)]),
        (case["denis"], "2026-02-27", True, 3),
        (case["fabien"], "2026-03-02", False, 1),
    ]
    bruno_celia = tuple(sorted((case["bruno"], case["celia"])))
    assert [
        (edge["from"], edge["to"], edge["date"], edge["setting"], edge["directed"]) for edge in drawn["edges"]
    ] == [
        (case["anne"], case["bruno"], "2026-02-19", "household", True),
        (case["anne"], case["celia"], "2026-02-21", "work", True),
        (*bruno_celia, "2026-02-22", "school", False),
        (case["bruno"], case["denis"], "2026-02-24", "household", True),
        (case["denis"], case["fabien"], "2026-02-28", "venue", False),
    ]
    for text in (listed.text, graph.text):
        assert not any(refs["person"] in text for refs in cases.values())
        assert not any(person.family_name in text for person in (ANNE, BRUNO, CELIA, DENIS, EMMA, FABIEN))
    alone = (await epidemiologist(client, accounts, "GET", "/chains", params={"min_size": 1})).json()
    assert [(item["id"], item["size"], item["active"]) for item in alone["items"]] == [
        (case["anne"], 5, True), (case["emma"], 1, False),
    ]  # fmt: skip
    inactive = await epidemiologist(client, accounts, "GET", "/chains", params={"active": "false"})
    assert inactive.json()["total"] == 0


async def test_a_chain_at_an_earlier_date_holds_only_what_had_happened_by_then(
    client: httpx.AsyncClient, accounts: Accounts
) -> None:
    case = {name: refs["case"] for name, refs in (await _outbreak(client, accounts)).items()}
    then = (await epidemiologist(client, accounts, "GET", "/chains", params={"at": "2026-02-24"})).json()
    assert [(item["id"], item["size"], item["last_start"]) for item in then["items"]] == [
        (case["anne"], 3, "2026-02-23")
    ]
    before = await epidemiologist(
        client, accounts, "GET", f"/chains/{case['anne']}/graph", params={"at": "2026-02-19"}
    )
    assert before.status_code == 404
    assert before.headers["content-type"] == PROBLEM
    assert "that case is not a confirmed case started by then" in before.json()["detail"]


@pytest.mark.parametrize(
    ("path", "params", "status", "message"),
    [
        ("/chains/{bruno}/graph", {}, 404, "belongs to the chain {anne}"),
        ("/chains/{bruno_person}/graph", {}, 404, "no case has that ref"),
        ("/chains/{emma_again}/graph", {}, 404, "the same person's first case, {emma}, stands for them"),
        ("/chains/not-a-ref/graph", {}, 422, "path.chain"),
        ("/chains", {"at": "2026-03-03"}, 422, "after today (2026-03-02)"),
        ("/chains/{anne}/graph", {"at": "2026-03-03"}, 422, "query.at"),
        ("/chains", {"at": "yesterday"}, 422, "query.at"),
        ("/chains", {"min_size": 0}, 422, "query.min_size"),
    ],
)
async def test_unknown_chains_and_bad_dates_get_a_problem_saying_why(
    client: httpx.AsyncClient,
    accounts: Accounts,
    path: str,
    params: dict[str, object],
    status: int,
    message: str,
) -> None:
    cases = await _outbreak(client, accounts)
    names = {name: refs["case"] for name, refs in cases.items()} | {"bruno_person": cases["bruno"]["person"]}
    response = await epidemiologist(client, accounts, "GET", path.format(**names), params=params)
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM
    assert message.format(**names) in response.text


async def _alerts(client: httpx.AsyncClient, accounts: Accounts, **params: str) -> list[dict[str, object]]:
    response = await epidemiologist(client, accounts, "GET", "/clusters", params=params)
    assert response.status_code == 200, response.text
    items: list[dict[str, object]] = response.json()["items"]
    assert response.json()["total"] == len(items)
    return items


async def test_three_cases_sharing_a_place_raise_an_alert_investigated_then_closed(
    client: httpx.AsyncClient, accounts: Accounts, installation: Installation
) -> None:
    school = "school-12"
    await report(client, accounts, ANNE, "2026-02-21", [
        (BRUNO, "2026-02-20", "school", school), (CELIA, "2026-02-20", "school", school),
    ])  # fmt: skip
    await report(client, accounts, BRUNO, "2026-02-23")
    assert await _alerts(client, accounts) == [], "two cases raise no alert"
    await report(client, accounts, CELIA, "2026-02-25")
    (alert,) = await _alerts(client, accounts, status="new")
    shown = ("place_id", "setting", "first_date", "last_date", "cases", "status")
    assert {key: alert[key] for key in shown} == {
        "place_id": school, "setting": "school", "first_date": "2026-02-21", "last_date": "2026-02-25",
        "cases": 3, "status": "new",
    }  # fmt: skip
    assert (alert["raised_at"], alert["updated_by"]) == ("2026-03-02T08:30:00Z", None)
    await report(client, accounts, DENIS, "2026-02-26", [(BRUNO, "2026-02-24", "school", school)])
    (grown,) = await _alerts(client, accounts)
    assert (grown["id"], grown["cases"], grown["last_date"]) == (alert["id"], 4, "2026-02-26")

    path = f"/clusters/{alert['id']}"
    moved = await epidemiologist(client, accounts, "PATCH", path, json={"status": "investigating"})
    assert moved.status_code == 200, moved.text
    assert (moved.json()["status"], moved.json()["updated_by"]) == ("investigating", "epidemiologist-1")
    again = await epidemiologist(client, accounts, "PATCH", path, json={"status": "investigating"})
    assert again.status_code == 409
    assert again.json()["detail"] == (
        f"cluster alert {alert['id']} is investigating, so it cannot move to investigating: it can only move "
        "to closed"
    )
    closed = await epidemiologist(client, accounts, "PATCH", path, json={"status": "closed"})
    assert closed.json()["status"] == "closed"
    reopened = await epidemiologist(client, accounts, "PATCH", path, json={"status": "closed"})
    assert reopened.status_code == 409
    assert "a closed alert stays closed" in reopened.json()["detail"]

    await report(client, accounts, EMMA, "2026-02-27", [(FABIEN, "2026-02-26", "school", school)])
    await report(client, accounts, FABIEN, "2026-02-28")
    assert await _alerts(client, accounts, status="new") == [], "the closed cases do not count again"
    await report(client, accounts, ANNE, "2026-03-01", [(EMMA, "2026-02-28", "school", school)])
    assert await _alerts(client, accounts, status="new") == [], "Anne's first case started before the close"
    (third,) = people(1, seed=56)
    await report(client, accounts, third, "2026-03-01", [(FABIEN, "2026-02-27", "school", school)])
    (fresh,) = await _alerts(client, accounts, status="new")
    assert fresh["id"] != alert["id"]
    assert (fresh["first_date"], fresh["last_date"], fresh["cases"]) == ("2026-02-27", "2026-03-01", 3)
    assert [item["status"] for item in await _alerts(client, accounts)] == ["new", "closed"]
    with installation.database.read() as session:
        moves = session.scalars(select(AuditEventRow.detail).where(AuditEventRow.action == "investigate"))
        details = [detail for detail in moves if detail]
    assert len(details) == 2
    assert all(school in detail for detail in details)


@pytest.mark.parametrize(
    ("alert", "body", "status", "message"),
    [
        ("999999", {"status": "closed"}, 404, "no cluster alert has the id 999999"),
        ("{id}", {"status": "reopened"}, 422, "body.status"),
        ("{id}", {"status": "new"}, 422, "body.status"),
        ("{id}", {"status": "closed", "note": "x"}, 422, "body.note"),
        ("0", {"status": "closed"}, 422, "path.alert"),
    ],
)
async def test_a_bad_status_change_gets_a_problem_saying_why(
    client: httpx.AsyncClient, accounts: Accounts, alert: str, body: dict[str, str], status: int, message: str
) -> None:
    await report(client, accounts, ANNE, "2026-02-26", [
        (BRUNO, "2026-02-25", "venue", "bar-9"), (CELIA, "2026-02-25", "venue", "bar-9"),
    ])  # fmt: skip
    await report(client, accounts, BRUNO, "2026-02-27")
    await report(client, accounts, CELIA, "2026-02-27")
    (raised,) = await _alerts(client, accounts)
    path = f"/clusters/{alert.format(id=raised['id'])}"
    response = await epidemiologist(client, accounts, "PATCH", path, json=body)
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM
    assert message in response.text
    assert [item["status"] for item in await _alerts(client, accounts)] == ["new"]


async def test_a_clinician_may_not_close_an_alert_and_is_audited(
    client: httpx.AsyncClient, accounts: Accounts, installation: Installation
) -> None:
    response = await client.patch(
        "/api/v1/tracing/clusters/1", json={"status": "closed"}, headers=accounts.headers("clinician")
    )
    assert response.status_code == 403
    assert "may not investigate" in response.json()["detail"]
    with installation.database.read() as session:
        refused = session.scalars(
            select(AuditEventRow.outcome).where(
                AuditEventRow.action == "investigate", AuditEventRow.actor == "clinician-1"
            )
        ).all()
    assert refused == ["refused"]


async def test_the_services_answer_callers_other_than_the_web_with_the_same_rules(
    client: httpx.AsyncClient, accounts: Accounts, platform: Platform
) -> None:
    cases = await _outbreak(client, accounts)
    epidemiology = Request(Actor(name="replay", role="epidemiologist"), purpose="surveillance")
    page = list_chains(platform, epidemiology, date(2026, 2, 24), min_size=1)
    assert [(chain.id, chain.size) for chain in page.items] == [(cases["anne"]["case"], 3)]
    graph = chain_graph(platform, epidemiology, cases["anne"]["case"], date(2026, 2, 24))
    assert len(graph.nodes) == 3
    with pytest.raises(ClusterError, match="'reopened' is not a status") as listed:
        list_clusters(platform, epidemiology, "reopened")
    assert (listed.value.status, listed.value.field) == (422, "query.status")
    with pytest.raises(ClusterError, match="use investigating or closed") as moved:
        change_cluster_status(platform, epidemiology, 1, "new")
    assert (moved.value.status, moved.value.field) == (422, "body.status")
    assert list_clusters(platform, epidemiology) == (0, [])
