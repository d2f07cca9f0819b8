"""The people API as the secrecy-core contract states it: registration, guarded reads, oppositions,
access histories, audit verification, and bad input that stores nothing."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import func, select

from serment.installation import Installation
from serment.store.tables import AuditEventRow, PersonRow
from tests.conftest import Accounts
from tests.people_data import people

pytestmark = pytest.mark.anyio
PROBLEM = "application/problem+json"
ALICE, BRUNO = people(2)


async def _register(client: httpx.AsyncClient, accounts: Accounts, body: dict[str, object]) -> str:
    response = await client.post("/api/v1/people", json=body, headers=accounts.headers("clinician"))
    assert response.status_code in {200, 201}, response.text
    ref: str = response.json()["ref"]
    return ref


def _count(installation: Installation, table: type) -> int:
    with installation.database.read() as session:
        return session.scalar(select(func.count()).select_from(table)) or 0


async def test_a_clinician_registers_once_and_finds_the_person_again(
    client: httpx.AsyncClient, accounts: Accounts
) -> None:
    first = await client.post("/api/v1/people", json=ALICE.payload(), headers=accounts.headers("clinician"))
    assert first.status_code == 201, first.text
    assert first.json()["created"] is True
    assert first.json()["strength"] == "nir"
    spaced = {**ALICE.payload(), "nir": " ".join([ALICE.nir[:1], ALICE.nir[1:5], ALICE.nir[5:]])}
    again = await client.post("/api/v1/people", json=spaced, headers=accounts.headers("lab"))
    assert again.status_code == 200
    assert again.json() == {"ref": first.json()["ref"], "created": False, "strength": "nir"}


async def test_without_a_nir_the_match_is_weaker_and_a_later_nir_joins_it(
    client: httpx.AsyncClient, accounts: Accounts
) -> None:
    weak = await client.post(
        "/api/v1/people", json=BRUNO.payload(with_nir=False), headers=accounts.headers("clinician")
    )
    assert weak.status_code == 201
    assert weak.json()["strength"] == "demographic"
    accented = {**BRUNO.payload(), "family_name": BRUNO.family_name.upper()}
    strong = await client.post("/api/v1/people", json=accented, headers=accounts.headers("clinician"))
    assert strong.status_code == 200
    assert strong.json() == {"ref": weak.json()["ref"], "created": False, "strength": "nir"}


async def test_the_ref_is_opaque(
    client: httpx.AsyncClient, accounts: Accounts, installation: Installation
) -> None:
    ref = await _register(client, accounts, ALICE.payload())
    with installation.database.read() as session:
        person = session.get(PersonRow, ref)
    assert person is not None
    assert ref not in {person.nir_pseudonym, person.demographic_pseudonym}
    assert len(ref) == 26


async def test_a_clinician_reads_the_identity_as_it_was_written(
    client: httpx.AsyncClient, accounts: Accounts
) -> None:
    ref = await _register(client, accounts, ALICE.payload())
    response = await client.get(f"/api/v1/people/{ref}", headers=accounts.headers("clinician"))
    assert response.status_code == 200
    person = response.json()
    assert person["family_name"] == ALICE.family_name
    assert person["given_names"] == ALICE.given_names
    assert person["nir"] == ALICE.nir
    assert person["birth_date"] == ALICE.birth_date
    assert person["phone"] == ALICE.phone
    assert person["address"]["line"] == ALICE.address_line


@pytest.mark.parametrize(
    ("role", "purpose", "status", "reason"),
    [
        ("epidemiologist", None, 403, "the role epidemiologist may not read for the purpose surveillance"),
        ("admin", None, 403, "the role admin may not read for the purpose administration"),
        ("dpo", None, 403, "the role dpo may not read for the purpose audit"),
        ("clinician", "insurance", 403, "the purpose insurance is prohibited"),
        ("clinician", "employment", 403, "the purpose employment is prohibited"),
        ("clinician", "curiosity", 400, "curiosity is not a purpose"),
        ("clinician", "research", 403, "the role clinician may not read for the purpose research"),
        ("tracer", None, 403, "this person is not assigned to tracer-1"),
    ],
)
async def test_a_read_the_policy_does_not_allow_is_refused_with_its_reason_and_audited(
    client: httpx.AsyncClient,
    accounts: Accounts,
    installation: Installation,
    role: str,
    purpose: str | None,
    status: int,
    reason: str,
) -> None:
    ref = await _register(client, accounts, ALICE.payload())
    headers = accounts.headers(role, purpose=purpose)
    events_before = _count(installation, AuditEventRow)
    response = await client.get(f"/api/v1/people/{ref}", headers=headers)
    assert response.status_code == status
    assert response.headers["content-type"] == PROBLEM
    assert reason in response.json()["detail"]
    if purpose in {"insurance", "employment", "curiosity"}:
        assert response.json()["errors"][0]["location"] == "header.Serment-Purpose"
    assert ALICE.family_name not in response.text
    with installation.database.read() as session:
        last = session.scalars(select(AuditEventRow).order_by(AuditEventRow.seq.desc())).first()
    assert _count(installation, AuditEventRow) == events_before + 1
    assert last is not None
    assert (last.outcome, last.action, last.actor) == ("refused", "read", f"{role}-1")
    assert last.request_id == response.headers["x-request-id"]


async def test_a_patient_reads_their_own_record_and_nobody_elses(
    client: httpx.AsyncClient, accounts: Accounts
) -> None:
    own = await _register(client, accounts, ALICE.payload())
    other = await _register(client, accounts, BRUNO.payload())
    headers = accounts.headers("patient", name="patient-alice", person_ref=own)
    assert (await client.get(f"/api/v1/people/{own}", headers=headers)).status_code == 200
    refused = await client.get(f"/api/v1/people/{other}", headers=headers)
    assert refused.status_code == 403
    assert refused.json()["detail"] == "the purpose self reaches only the actor's own record"


async def test_requests_without_a_valid_token_are_unauthorised(client: httpx.AsyncClient) -> None:
    missing = await client.get("/api/v1/people/aaaaaaaaaaaaaaaaaaaaaaaaaa")
    assert missing.status_code == 401
    assert missing.headers["www-authenticate"] == "Bearer"
    forged = await client.get(
        "/api/v1/people/aaaaaaaaaaaaaaaaaaaaaaaaaa",
        headers={"Authorization": "Bearer srm_000000000000_" + "A" * 43},
    )
    assert forged.status_code == 401


async def test_an_unknown_ref_is_not_found(client: httpx.AsyncClient, accounts: Accounts) -> None:
    response = await client.get(
        "/api/v1/people/aaaaaaaaaaaaaaaaaaaaaaaaaa", headers=accounts.headers("clinician")
    )
    assert response.status_code == 404
    assert response.json()["detail"] == "no person has the ref aaaaaaaaaaaaaaaaaaaaaaaaaa"


@pytest.mark.parametrize(
    ("change", "location", "message"),
    [
        ({"nir": "1850578006084 00"}, "body.nir", "invalid control key (expected"),
        ({"birth_date": "2031-02-03"}, "body.birth_date", ""),
        ({"birth_date": "1990-02-30"}, "body.birth_date", ""),
        ({"sex": "Q"}, "body.sex", ""),
        ({"shoe_size": 42}, "body.shoe_size", "Extra inputs are not permitted"),
        ({"phone": "call me"}, "body.phone", "6 to 15 digits"),
        ({"email": "not-an-address"}, "body.email", "name@domain.tld"),
    ],
)
async def test_bad_input_names_the_field_and_stores_nothing(
    client: httpx.AsyncClient,
    accounts: Accounts,
    installation: Installation,
    change: dict[str, object],
    location: str,
    message: str,
) -> None:
    headers = accounts.headers("clinician")
    people_before = _count(installation, PersonRow)
    response = await client.post("/api/v1/people", json={**ALICE.payload(), **change}, headers=headers)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == PROBLEM
    problem = response.json()
    assert location in [error["location"] for error in problem["errors"]]
    assert message in problem["detail"]
    assert _count(installation, PersonRow) == people_before


async def test_several_bad_fields_are_all_named(client: httpx.AsyncClient, accounts: Accounts) -> None:
    body = {**ALICE.payload(), "nir": "1850578006084 00", "birth_date": "2099-01-01"}
    response = await client.post("/api/v1/people", json=body, headers=accounts.headers("clinician"))
    assert response.status_code == 422
    assert {error["location"] for error in response.json()["errors"]} == {"body.nir", "body.birth_date"}


async def test_oppositions_are_registered_withdrawn_and_limited_to_opposable_purposes(
    client: httpx.AsyncClient, accounts: Accounts
) -> None:
    ref = await _register(client, accounts, ALICE.payload())
    patient = accounts.headers("patient", name="patient-alice", person_ref=ref)
    created = await client.post(
        f"/api/v1/people/{ref}/oppositions", json={"purpose": "research"}, headers=patient
    )
    assert created.status_code == 201
    assert created.json()["registered_by"] == "patient-alice"
    again = await client.post(
        f"/api/v1/people/{ref}/oppositions", json={"purpose": "research"}, headers=patient
    )
    assert again.status_code == 200
    refused = await client.post(
        f"/api/v1/people/{ref}/oppositions", json={"purpose": "care"}, headers=patient
    )
    assert refused.status_code == 409
    assert "care cannot be opposed" in refused.json()["detail"]
    withdrawn = await client.delete(f"/api/v1/people/{ref}/oppositions/research", headers=patient)
    assert withdrawn.status_code == 200
    assert withdrawn.json()["withdrawn_at"] is not None
    nothing = await client.delete(f"/api/v1/people/{ref}/oppositions/research", headers=patient)
    assert nothing.status_code == 409
    await client.post(f"/api/v1/people/{ref}/oppositions", json={"purpose": "research"}, headers=patient)
    by_body = await client.request(
        "DELETE", f"/api/v1/people/{ref}/oppositions", json={"purpose": "research"}, headers=patient
    )
    assert by_body.status_code == 200
    await client.post(f"/api/v1/people/{ref}/oppositions", json={"purpose": "research"}, headers=patient)
    by_query = await client.delete(f"/api/v1/people/{ref}/oppositions?purpose=research", headers=patient)
    assert by_query.status_code == 200
    unnamed = await client.delete(f"/api/v1/people/{ref}/oppositions", headers=patient)
    assert unnamed.status_code == 422
    by_dpo = await client.post(
        f"/api/v1/people/{ref}/oppositions", json={"purpose": "research", "channel": "mail"},
        headers=accounts.headers("dpo"),
    )  # fmt: skip
    assert by_dpo.status_code == 201
    listed = await client.get(f"/api/v1/people/{ref}/oppositions", headers=patient)
    assert [(item["purpose"], item["withdrawn_at"] is None) for item in listed.json()] == [
        ("research", False),
        ("research", False),
        ("research", False),
        ("research", True),
    ]
    by_clinician = await client.post(
        f"/api/v1/people/{ref}/oppositions",
        json={"purpose": "research"},
        headers=accounts.headers("clinician"),
    )
    assert by_clinician.status_code == 403


async def test_a_patient_sees_who_accessed_their_record(
    client: httpx.AsyncClient, accounts: Accounts
) -> None:
    ref = await _register(client, accounts, ALICE.payload())
    await client.get(f"/api/v1/people/{ref}", headers=accounts.headers("clinician"))
    await client.get(f"/api/v1/people/{ref}", headers=accounts.headers("epidemiologist"))
    patient = accounts.headers("patient", name="patient-alice", person_ref=ref)
    response = await client.get(f"/api/v1/people/{ref}/accesses", headers=patient)
    assert response.status_code == 200
    page = response.json()
    rows = [
        (item["actor"], item["role"], item["organisation"], item["purpose"], item["outcome"])
        for item in page["items"]
    ]
    assert ("clinician-1", "clinician", "Clinician Org", "care", "allowed") in rows
    assert ("epidemiologist-1", "epidemiologist", "Epidemiologist Org", "surveillance", "refused") in rows
    assert page["total"] >= 3
    assert (
        await client.get(f"/api/v1/people/{ref}/accesses", headers=accounts.headers("dpo"))
    ).status_code == 200
    refused = await client.get(f"/api/v1/people/{ref}/accesses", headers=accounts.headers("clinician"))
    assert refused.status_code == 403


async def test_the_dpo_verifies_the_audit_chain(client: httpx.AsyncClient, accounts: Accounts) -> None:
    await _register(client, accounts, ALICE.payload())
    response = await client.get("/api/v1/audit/verify", headers=accounts.headers("dpo"))
    assert response.status_code == 200
    result = response.json()
    assert result["intact"] is True
    assert result["summary"] == f"{result['events']} events, chain intact, head {result['head']}"
    assert (
        await client.get("/api/v1/audit/verify", headers=accounts.headers("clinician"))
    ).status_code == 403


async def test_a_clinician_changes_contact_details_and_names_through_the_guard(
    client: httpx.AsyncClient, accounts: Accounts
) -> None:
    headers = accounts.headers("clinician")
    ref = await _register(client, accounts, ALICE.payload())
    changed = await client.patch(
        f"/api/v1/people/{ref}", json={"phone": "+33 4 72 00 00 00", "email": None}, headers=headers
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["phone"] == "+33472000000"
    assert changed.json()["email"] is None
    assert changed.json()["family_name"] == ALICE.family_name
    renamed = await client.patch(
        f"/api/v1/people/{ref}", json={"family_name": "Martin-Lefort"}, headers=headers
    )
    assert renamed.json()["family_name"] == "Martin-Lefort"
    found = await client.post(
        "/api/v1/people",
        json={**ALICE.payload(with_nir=False), "family_name": "MARTIN LEFORT"},
        headers=headers,
    )
    assert found.json()["ref"] == ref, "the demographic pseudonym follows the new name"


async def test_a_change_that_makes_someone_else_is_refused(
    client: httpx.AsyncClient, accounts: Accounts
) -> None:
    headers = accounts.headers("clinician")
    alice = await _register(client, accounts, ALICE.payload())
    await _register(client, accounts, BRUNO.payload())
    conflict = await client.patch(f"/api/v1/people/{alice}", json={"nir": BRUNO.nir}, headers=headers)
    assert conflict.status_code == 409
    assert "another person is registered with this NIR" in conflict.json()["detail"]
    removed = await client.patch(f"/api/v1/people/{alice}", json={"family_name": None}, headers=headers)
    assert removed.status_code == 422
    assert "cannot be removed" in removed.json()["detail"]
    unchanged = await client.get(f"/api/v1/people/{alice}", headers=headers)
    assert unchanged.json()["nir"] == ALICE.nir


async def test_the_dpo_erases_an_identity_and_it_is_gone(
    client: httpx.AsyncClient, accounts: Accounts, installation: Installation
) -> None:
    ref = await _register(client, accounts, ALICE.payload())
    erased = await client.delete(f"/api/v1/people/{ref}", headers=accounts.headers("dpo"))
    assert erased.status_code == 204
    gone = await client.get(f"/api/v1/people/{ref}", headers=accounts.headers("clinician"))
    assert gone.status_code == 404
    with installation.database.read() as session:
        row = session.get(PersonRow, ref)
    assert row is not None
    assert (row.family_name, row.nir, row.nir_pseudonym, row.data_key_wrapped) == (None, None, None, None)
    again = await client.post("/api/v1/people", json=ALICE.payload(), headers=accounts.headers("clinician"))
    assert again.status_code == 201
    assert again.json()["ref"] != ref
    second = await client.delete(f"/api/v1/people/{ref}", headers=accounts.headers("dpo"))
    assert second.status_code == 404, second.text
    # The grant is checked before existence: a role that may not erase learns nothing about the ref.
    refused = await client.delete(f"/api/v1/people/{ref}", headers=accounts.headers("clinician"))
    assert refused.status_code == 403
