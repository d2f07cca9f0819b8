"""Duplicate detection through the API: a typo links to the person already known, a doubtful pair
waits in the review queue, a merge moves exactly what it says and its undo moves exactly that back."""

from __future__ import annotations

import json

import httpx
import pytest
from sqlalchemy import func, select

from serment.access import Request, guard
from serment.installation import Installation
from serment.people import open_for
from serment.reporting import actor_named
from serment.store.tables import AuditEventRow, CaseRow, DuplicatePairRow, ExposureRow, PersonRow, ResultRow
from tests.conftest import Accounts
from tests.people_data import Synthetic, people

pytestmark = pytest.mark.anyio
PROBLEM = "application/problem+json"
ANNE, BASILE, CLARA, DAVID = people(4, seed=41)
RESULT = {
    "sample_date": "2026-02-26",
    "result_date": "2026-02-27",
    "test_type": "rt-pcr",
    "value": "positive",
}
CASE = {"status": "confirmed", "onset_date": "2026-02-25"}


def _married(person: Synthetic) -> dict[str, object]:
    """The person reported under another family name, without address or NIR: a doubtful pair."""
    body = person.payload(with_nir=False)
    body.pop("address")
    return {**body, "family_name": "Quesnel-Dauvergne"}


def _tested(body: dict[str, object]) -> dict[str, object]:
    """The person as a lab reports them: fr-2020 lets a result's person carry no e-mail address."""
    return {name: value for name, value in body.items() if name != "email"}


def _typo(person: Synthetic) -> dict[str, object]:
    """The person reported with a letter of the family name swapped and without their NIR."""
    name = person.family_name
    return {**person.payload(with_nir=False), "family_name": name[:3] + name[4] + name[3] + name[5:]}


async def _register(client: httpx.AsyncClient, accounts: Accounts, body: dict[str, object]) -> httpx.Response:
    response = await client.post("/api/v1/people", json=body, headers=accounts.headers("clinician"))
    assert response.status_code in {200, 201}, response.text
    return response


async def _queued_pair(
    client: httpx.AsyncClient, accounts: Accounts, person: Synthetic
) -> tuple[str, str, int]:
    kept = (await _register(client, accounts, person.payload())).json()["ref"]
    doubtful = await _register(client, accounts, _married(person))
    assert doubtful.status_code == 201
    queue = (await client.get("/api/v1/people/duplicates", headers=accounts.headers("clinician"))).json()
    (pair,) = [
        item
        for item in queue["items"]
        if {p["ref"] for p in item["people"]} == {kept, doubtful.json()["ref"]}
    ]
    return kept, doubtful.json()["ref"], pair["id"]


def _count(installation: Installation, table: type, *where: object) -> int:
    with installation.database.read() as session:
        return session.scalar(select(func.count()).select_from(table).where(*where)) or 0  # type: ignore[arg-type]


async def test_a_typo_links_to_the_person_already_known_and_the_link_is_audited(
    client: httpx.AsyncClient, accounts: Accounts, installation: Installation
) -> None:
    first = (await _register(client, accounts, ANNE.payload())).json()
    again = await _register(client, accounts, _typo(ANNE))
    assert again.status_code == 200
    assert again.json() == {"ref": first["ref"], "created": False, "strength": "nir"}
    with installation.database.read() as session:
        link = session.scalars(select(AuditEventRow).where(AuditEventRow.action == "link")).one()
    assert link.subject == first["ref"]
    detail = json.loads(link.detail or "{}")
    assert detail["family_name"] == "similar"
    assert detail["birth_date"] == "exact"
    assert float(detail["score"]) >= 20
    assert _count(installation, PersonRow) == 1


async def test_a_doubtful_pair_waits_in_the_queue_with_both_identities_side_by_side(
    client: httpx.AsyncClient, accounts: Accounts, installation: Installation
) -> None:
    kept, doubtful, pair_id = await _queued_pair(client, accounts, BASILE)
    response = await client.get("/api/v1/people/duplicates?limit=5", headers=accounts.headers("clinician"))
    assert response.status_code == 200
    page = response.json()
    assert page["total"] == 1
    (item,) = page["items"]
    assert item["id"] == pair_id
    assert item["agreement"] == {
        "address": "missing", "birth_date": "exact", "family_name": "different", "given_names": "exact",
        "sex": "same",
    }  # fmt: skip
    assert 15 <= item["score"] < 20
    names = {person["ref"]: person["family_name"] for person in item["people"]}
    assert names == {kept: BASILE.family_name, doubtful: "Quesnel-Dauvergne"}
    with installation.database.read() as session:
        shown = session.scalars(
            select(AuditEventRow.subject).where(
                AuditEventRow.action == "merge", AuditEventRow.outcome == "allowed"
            )
        ).all()
    assert {kept, doubtful} <= set(shown)


async def test_the_queue_is_refused_to_roles_without_the_merge_action(
    client: httpx.AsyncClient, accounts: Accounts
) -> None:
    await _queued_pair(client, accounts, BASILE)
    for role in ("lab", "epidemiologist", "dpo", "admin"):
        response = await client.get("/api/v1/people/duplicates", headers=accounts.headers(role))
        assert response.status_code in {400, 403}, role
        assert response.headers["content-type"] == PROBLEM
        assert BASILE.family_name not in response.text


async def test_a_merge_moves_what_it_says_and_the_undo_moves_exactly_that_back(
    client: httpx.AsyncClient, accounts: Accounts, installation: Installation
) -> None:
    clinician = accounts.headers("clinician")
    kept, doubtful, pair_id = await _queued_pair(client, accounts, CLARA)
    report = {
        "person": _married(CLARA),
        "case": CASE,
        "contacts": [
            {"person": DAVID.contact_payload(), "exposure": {"date": "2026-02-24", "setting": "household"}}
        ],
    }
    assert (await client.post("/api/v1/reports", json=report, headers=clinician)).status_code == 201
    lab = await client.post(
        "/api/v1/results",
        json={**RESULT, "person": _tested(_married(CLARA))},
        headers=accounts.headers("lab"),
    )
    assert lab.status_code == 201

    merged = await client.post(
        f"/api/v1/people/duplicates/{pair_id}/merge", json={"keep": kept}, headers=clinician
    )
    assert merged.status_code == 200, merged.text
    merge = merged.json()
    assert (merge["kept"], merge["merged"], merge["pair"]) == (kept, doubtful, pair_id)
    assert merge["moved"] == {
        "cases": 1, "exposures": 1, "exposures_as_contact": 0, "oppositions": 0, "patient_accounts": 0,
        "results": 1,
    }  # fmt: skip
    assert _count(installation, CaseRow, CaseRow.person_ref == doubtful) == 0
    assert _count(installation, ExposureRow, ExposureRow.person_ref == kept) == 1
    # The merged record's identity now finds the person kept.
    found = await _register(client, accounts, _married(CLARA))
    assert found.json()["ref"] == kept
    queue = (await client.get("/api/v1/people/duplicates", headers=clinician)).json()
    assert queue["total"] == 0

    # Reported after the merge: stays with the person kept when the merge is undone.
    later = await client.post(
        "/api/v1/results",
        json={**RESULT, "person": CLARA.payload(with_email=False)},
        headers=accounts.headers("lab"),
    )
    assert later.status_code == 201
    undone = await client.post(f"/api/v1/people/merges/{merge['id']}/undo", headers=clinician)
    assert undone.status_code == 200, undone.text
    assert undone.json()["undone_by"] == "clinician-1"
    assert _count(installation, ResultRow, ResultRow.person_ref == doubtful) == 1
    assert _count(installation, ResultRow, ResultRow.person_ref == kept) == 1
    assert _count(installation, CaseRow, CaseRow.person_ref == doubtful) == 1
    assert _count(installation, ExposureRow, ExposureRow.person_ref == doubtful) == 1
    # Nothing is silently reopened: the pair is closed as undone.
    assert (await client.get("/api/v1/people/duplicates", headers=clinician)).json()["total"] == 0
    assert _count(installation, DuplicatePairRow, DuplicatePairRow.status == "undone") == 1
    assert (await _register(client, accounts, _married(CLARA))).json()["ref"] == doubtful

    twice = await client.post(f"/api/v1/people/merges/{merge['id']}/undo", headers=clinician)
    assert twice.status_code == 409
    assert twice.headers["content-type"] == PROBLEM
    assert "already undone" in twice.json()["detail"]
    with installation.database.read() as session:
        actions = session.scalars(
            select(AuditEventRow.action).where(AuditEventRow.outcome == "ok", AuditEventRow.subject == kept)
        ).all()
    assert {"merge", "undo_merge"} <= set(actions)


def _notes_of(installation: Installation, accounts: Accounts, ref: str) -> set[str]:
    """The notes of the person's cases and of their exposures as a contact, opened under their key."""
    platform = installation.platform
    accounts.token("clinician")
    request = Request(actor_named(platform, "clinician-1"), purpose="care")
    opened = set()
    with platform.transaction() as session:
        access = guard(platform, session, request, "read", ref)
        rows = [
            ("cases", c.ref, c.notes)
            for c in session.scalars(select(CaseRow).where(CaseRow.person_ref == ref))
        ]
        rows += [
            ("exposures", str(e.id), e.notes)
            for e in session.scalars(select(ExposureRow).where(ExposureRow.contact_ref == ref))
        ]
        for table, row, sealed in rows:
            if sealed is not None:
                opened.add(
                    open_for(platform, session, access, table=table, column="notes", row=row, sealed=sealed)
                )
    return opened


async def test_notes_follow_their_rows_through_a_merge_and_back_through_its_undo(
    client: httpx.AsyncClient, accounts: Accounts, installation: Installation
) -> None:
    clinician = accounts.headers("clinician")
    kept, doubtful, pair_id = await _queued_pair(client, accounts, CLARA)
    case = {**CASE, "notes": "Married last year: both names are hers."}
    assert (
        await client.post(
            "/api/v1/reports", json={"person": _married(CLARA), "case": case}, headers=clinician
        )
    ).status_code == 201
    as_contact = {
        k: v
        for k, v in _married(CLARA).items()
        if k in ("family_name", "given_names", "birth_date", "sex", "phone")
    }
    exposure = {"date": "2026-02-24", "setting": "work", "notes": "Shares her office."}
    named = {
        "person": DAVID.payload(),
        "case": CASE,
        "contacts": [{"person": as_contact, "exposure": exposure}],
    }
    assert (await client.post("/api/v1/reports", json=named, headers=clinician)).status_code == 201
    notes = {"Married last year: both names are hers.", "Shares her office."}
    assert (_notes_of(installation, accounts, doubtful), _notes_of(installation, accounts, kept)) == (
        notes,
        set(),
    )

    merged = await client.post(
        f"/api/v1/people/duplicates/{pair_id}/merge", json={"keep": kept}, headers=clinician
    )
    assert merged.status_code == 200, merged.text
    assert _notes_of(installation, accounts, kept) == notes
    undone = await client.post(f"/api/v1/people/merges/{merged.json()['id']}/undo", headers=clinician)
    assert undone.status_code == 200, undone.text
    assert (_notes_of(installation, accounts, doubtful), _notes_of(installation, accounts, kept)) == (
        notes,
        set(),
    )


async def test_a_pair_declared_distinct_is_closed_for_good(
    client: httpx.AsyncClient, accounts: Accounts, installation: Installation
) -> None:
    clinician = accounts.headers("clinician")
    kept, doubtful, pair_id = await _queued_pair(client, accounts, BASILE)
    distinct = await client.post(f"/api/v1/people/duplicates/{pair_id}/not-duplicate", headers=clinician)
    assert distinct.status_code == 200
    assert distinct.json()["status"] == "distinct"
    again = await client.post(f"/api/v1/people/duplicates/{pair_id}/not-duplicate", headers=clinician)
    assert again.status_code == 409
    assert "already decided (distinct)" in again.json()["detail"]
    merge = await client.post(
        f"/api/v1/people/duplicates/{pair_id}/merge", json={"keep": kept}, headers=clinician
    )
    assert merge.status_code == 409
    # The same doubtful identity reported again finds its record, and proposes no pair again.
    assert (await _register(client, accounts, _married(BASILE))).json()["ref"] == doubtful
    assert _count(installation, DuplicatePairRow) == 1
    assert (await client.get("/api/v1/people/duplicates", headers=clinician)).json()["total"] == 0


async def test_bad_merge_requests_are_answered_with_problems(
    client: httpx.AsyncClient, accounts: Accounts
) -> None:
    clinician = accounts.headers("clinician")
    _, _, pair_id = await _queued_pair(client, accounts, BASILE)
    stranger = (await _register(client, accounts, DAVID.payload())).json()["ref"]
    outsider = await client.post(
        f"/api/v1/people/duplicates/{pair_id}/merge", json={"keep": stranger}, headers=clinician
    )
    assert outsider.status_code == 422
    assert f"{stranger} is not one of pair {pair_id}" in outsider.json()["detail"]
    unknown = await client.post(
        "/api/v1/people/duplicates/424242/merge", json={"keep": stranger}, headers=clinician
    )
    assert unknown.status_code == 404
    assert unknown.json()["title"] == "No such pair"
    assert (await client.post("/api/v1/people/merges/424242/undo", headers=clinician)).status_code == 404
    shapeless = await client.post(
        f"/api/v1/people/duplicates/{pair_id}/merge", json={"keep": "me"}, headers=clinician
    )
    assert shapeless.status_code == 422
    assert shapeless.json()["errors"][0]["location"] == "body.keep"
    zero = await client.post("/api/v1/people/duplicates/0/not-duplicate", headers=clinician)
    assert zero.status_code == 422


async def test_different_nirs_are_never_linked_nor_queued(
    client: httpx.AsyncClient, accounts: Accounts, installation: Installation
) -> None:
    first = (await _register(client, accounts, ANNE.payload())).json()["ref"]
    twin = {**_typo(ANNE), "nir": BASILE.nir}
    other = await _register(client, accounts, twin)
    assert other.status_code == 201
    assert other.json()["ref"] != first
    assert _count(installation, DuplicatePairRow) == 0


async def test_a_nir_arriving_with_a_typo_joins_the_person_registered_without_one(
    client: httpx.AsyncClient, accounts: Accounts
) -> None:
    weak = (await _register(client, accounts, ANNE.payload(with_nir=False))).json()
    assert weak["strength"] == "demographic"
    strong = await _register(client, accounts, {**_typo(ANNE), "nir": ANNE.nir})
    assert strong.json() == {"ref": weak["ref"], "created": False, "strength": "nir"}
    exact = await _register(client, accounts, ANNE.payload())
    assert exact.json()["ref"] == weak["ref"]


async def test_twins_are_never_linked_automatically(
    client: httpx.AsyncClient, accounts: Accounts, installation: Installation
) -> None:
    first = (await _register(client, accounts, ANNE.payload(with_nir=False))).json()["ref"]
    given = "Maximilienne" if ANNE.given_names != "Maximilienne" else "Gwendoline"
    twin = await _register(client, accounts, {**ANNE.payload(with_nir=False), "given_names": given})
    assert twin.status_code == 201
    assert twin.json()["ref"] != first
    # Everything else agrees, so the score passes the link threshold: only the veto keeps them apart.
    with installation.database.read() as session:
        pair = session.scalars(select(DuplicatePairRow)).one()
    assert json.loads(pair.levels)["given_names"] == "different"
    assert pair.score >= 20


async def test_a_changed_name_is_found_again_by_its_new_keys(
    client: httpx.AsyncClient, accounts: Accounts
) -> None:
    ref = (await _register(client, accounts, DAVID.payload())).json()["ref"]
    renamed = {"family_name": "Quesnel-Dauvergne"}
    patched = await client.patch(f"/api/v1/people/{ref}", json=renamed, headers=accounts.headers("clinician"))
    assert patched.status_code == 200
    typo = {**DAVID.payload(with_nir=False), "family_name": "Quesnel-Dauvegrne"}
    assert (await _register(client, accounts, typo)).json() == {
        "ref": ref,
        "created": False,
        "strength": "nir",
    }


async def test_erasing_the_person_kept_erases_the_records_merged_into_them(
    client: httpx.AsyncClient, accounts: Accounts, installation: Installation
) -> None:
    clinician = accounts.headers("clinician")
    kept, doubtful, pair_id = await _queued_pair(client, accounts, CLARA)
    merged = await client.post(
        f"/api/v1/people/duplicates/{pair_id}/merge", json={"keep": kept}, headers=clinician
    )
    assert merged.status_code == 200
    assert (await client.delete(f"/api/v1/people/{kept}", headers=accounts.headers("dpo"))).status_code == 204
    assert _count(installation, PersonRow, PersonRow.erased_at.is_(None)) == 0
    assert (await client.get(f"/api/v1/people/{doubtful}", headers=clinician)).status_code == 404
    undo = await client.post(f"/api/v1/people/merges/{merged.json()['id']}/undo", headers=clinician)
    assert undo.status_code == 409
    assert "erased" in undo.json()["detail"]


async def test_the_nir_of_a_merged_record_finds_the_person_kept(
    client: httpx.AsyncClient, accounts: Accounts, installation: Installation
) -> None:
    clinician = accounts.headers("clinician")
    kept = (await _register(client, accounts, CLARA.payload(with_nir=False))).json()["ref"]
    doubtful = (await _register(client, accounts, {**_married(CLARA), "nir": CLARA.nir})).json()["ref"]
    (pair,) = (await client.get("/api/v1/people/duplicates", headers=clinician)).json()["items"]
    merged = await client.post(
        f"/api/v1/people/duplicates/{pair['id']}/merge", json={"keep": kept}, headers=clinician
    )
    assert merged.status_code == 200
    again = await _register(client, accounts, {**_married(CLARA), "nir": CLARA.nir})
    assert again.json()["ref"] == kept
    # The NIR stays on the merged record; a different NIR never reaches the kept person through it.
    other = await _register(client, accounts, {**_married(CLARA), "nir": DAVID.nir})
    assert other.json()["ref"] not in {kept, doubtful}
    assert _count(installation, PersonRow, PersonRow.nir_pseudonym.is_not(None)) == 2
