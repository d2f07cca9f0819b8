"""Promises 3 and 4: every route, called by every role with every purpose, answers what the policy
says, and every call leaves an audit event. The routes and what the guard asks for each come from
the app itself (each route's `x-serment-grant`, the source docs/authorization.md is rendered from),
so a new route without a declaration, or without a way to call it here, fails the test."""

from __future__ import annotations

import json
from dataclasses import dataclass

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select

from serment.installation import Installation
from serment.policy import PROHIBITED_PURPOSES, PURPOSES, ROLES, Policy
from serment.store.tables import AuditEventRow
from serment.web.grants import RouteGrant, route_grants
from tests.conftest import Accounts
from tests.integration.fhir.resources import bundle, condition, observation, patient, related_person
from tests.people_data import people

pytestmark = pytest.mark.anyio
SUBJECT, OTHER, THIRD = people(3, seed=5)
ONSET = {"status": "confirmed", "onset_date": "2026-02-25"}
EXPOSURE = {"date": "2026-02-24", "setting": "household"}
RESULT = {
    "sample_date": "2026-02-26",
    "result_date": "2026-02-27",
    "test_type": "rt-pcr",
    "value": "positive",
}


@dataclass(frozen=True)
class Call:
    """How the matrix calls a guarded route, and the statuses it answers once the guard lets it through.
    What the guard asks (action, relationship) is the route's own declaration, read from the app."""

    allowed: frozenset[int]
    body: dict[str, object] | None = None
    # The call consumes its subject (erasure): each call gets a person registered for it.
    fresh_subject: bool = False
    # A body sent as is (a file), with its media type, instead of JSON.
    raw: str | None = None
    media: str | None = None


U = "urn:uuid:00000000-0000-4000-8000-00000000000"
CALLS = {
    ("POST", "/api/v1/people"): Call(frozenset({200, 201}), SUBJECT.payload()),
    ("POST", "/api/v1/reports"): Call(
        frozenset({201}),
        body={
            "person": SUBJECT.payload(),
            "case": ONSET,
            "contacts": [{"person": THIRD.contact_payload(), "exposure": EXPOSURE}],
        },
    ),
    ("POST", "/api/v1/results"): Call(
        frozenset({201}),
        {**RESULT, "person": SUBJECT.payload(with_email=False)},
    ),
    ("POST", "/api/v1/people/{ref}/contacts"): Call(
        frozenset({201}),
        {"contacts": [{"person": THIRD.contact_payload(), "exposure": EXPOSURE}]},
    ),
    ("GET", "/api/v1/cases"): Call(frozenset({200})),
    # Called before the reports' routes (the matrix goes in order): with no data yet, an allowed
    # caller learns so (422), after the guard; later, 200.
    ("GET", "/api/v1/tracing/tiers"): Call(frozenset({200, 422})),
    ("POST", "/api/v1/imports"): Call(
        frozenset({200, 201}),
        media="text/csv",
        raw="nir,family_name,given_names,birth_date,sex,sample_date,result_date,test_type,value\n"
        f"{SUBJECT.nir},{SUBJECT.family_name},{SUBJECT.given_names},{SUBJECT.birth_date},{SUBJECT.sex},"
        "2026-02-27,2026-02-28,rt-pcr,positive\n",
    ),
    ("POST", "/fhir/Patient"): Call(frozenset({200, 201}), patient(SUBJECT)),
    ("GET", "/fhir/Patient/{ref}"): Call(frozenset({200})),
    ("GET", "/fhir/Patient/{ref}/$everything"): Call(frozenset({200})),
    ("POST", "/fhir/Observation"): Call(frozenset({201}), observation("Patient/{ref}")),
    ("POST", "/fhir/Condition"): Call(frozenset({201}), condition("Patient/{ref}")),
    ("POST", "/fhir/RelatedPerson"): Call(frozenset({201}), related_person("Patient/{ref}", THIRD)),
    ("POST", "/fhir"): Call(
        frozenset({200}),
        bundle(
            "transaction",
            (U + "1", patient(SUBJECT)),
            (U + "2", observation(U + "1")),
            (U + "3", condition(U + "1")),
            (U + "4", related_person(U + "1", THIRD)),
        ),
    ),
    ("GET", "/api/v1/people/{ref}"): Call(frozenset({200})),
    ("PATCH", "/api/v1/people/{ref}"): Call(frozenset({200}), {"phone": "+33 6 12 34 56 78"}),
    ("POST", "/api/v1/people/{ref}/oppositions"): Call(frozenset({200, 201}), {"purpose": "research"}),
    ("GET", "/api/v1/people/{ref}/oppositions"): Call(frozenset({200})),
    ("DELETE", "/api/v1/people/{ref}/oppositions/{purpose}"): Call(frozenset({200, 409})),
    ("DELETE", "/api/v1/people/{ref}/oppositions"): Call(frozenset({200, 409}), {"purpose": "research"}),
    ("GET", "/api/v1/people/{ref}/accesses"): Call(frozenset({200})),
    ("GET", "/api/v1/audit/verify"): Call(frozenset({200})),
    ("DELETE", "/api/v1/people/{ref}"): Call(frozenset({204}), fresh_subject=True),
    ("GET", "/api/v1/people/duplicates"): Call(frozenset({200})),
    # No pair or merge has the id 999999: an allowed caller learns so (404), after the guard.
    ("POST", "/api/v1/people/duplicates/{pair}/merge"): Call(frozenset({404}), {"keep": "{ref}"}),
    ("POST", "/api/v1/people/duplicates/{pair}/not-duplicate"): Call(frozenset({404})),
    ("POST", "/api/v1/people/merges/{merge}/undo"): Call(frozenset({404})),
    # A tracer's own queue (empty here: no task is assigned to the matrix's tracer).
    ("GET", "/api/v1/tracing/tasks"): Call(frozenset({200})),
    # No task has the id UNKNOWN_TASK: an allowed caller learns so (404), after the guard.
    ("POST", "/api/v1/tracing/tasks/{task}/outcome"): Call(frozenset({404}), {"result": "no_answer"}),
    ("GET", "/api/v1/tracing/chains"): Call(frozenset({200})),
    # No chain is named by a case ref of a's, nor has a cluster alert the id 999999: 404 after the guard.
    ("GET", "/api/v1/tracing/chains/{chain}/graph"): Call(frozenset({404})),
    ("GET", "/api/v1/tracing/clusters"): Call(frozenset({200})),
    ("PATCH", "/api/v1/tracing/clusters/{alert}"): Call(frozenset({404}), {"status": "investigating"}),
}
UNKNOWN_ID = "999999"
UNKNOWN_TASK = "a" * 26
UNKNOWN_CASE = "a" * 26
STATED = [None, *PURPOSES, *sorted(PROHIBITED_PURPOSES), "curiosity"]


def _grants(app: FastAPI) -> dict[tuple[str, str], RouteGrant]:
    """Every route of the app with its declared grant; fails on a route that declares none."""
    found = route_grants(app)
    undeclared = sorted(key for key, grant in found.items() if grant is None)
    assert undeclared == [], f"declare openapi_extra=granted(...) or PUBLIC on these routes: {undeclared}"
    assert len(found) > len(CALLS) // 2, "the route listing found nothing: the check would be void"
    return {key: grant for key, grant in found.items() if grant is not None}


def expected(
    policy: Policy, role: str, stated: str | None, grant: RouteGrant, call: Call, own_record: bool
) -> set[int]:
    """The statuses the policy calls for."""
    if stated is None:
        granted = policy.purposes_of(role)
        if len(granted) != 1:
            return {403} if not granted else {400}
        purpose = granted[0]
    elif stated in PROHIBITED_PURPOSES:
        return {403}
    elif stated not in PURPOSES:
        return {400}
    else:
        purpose = stated
    reach = grant.reach(policy, role, purpose)
    if reach is None or (reach == "own record" and grant.on_person and not own_record):
        return {403}
    return set(call.allowed)


def test_every_route_declares_its_grant_and_the_matrix_knows_how_to_call_it(app: FastAPI) -> None:
    guarded = {key for key, grant in _grants(app).items() if not grant.public}
    assert guarded - set(CALLS) == set(), (
        f"say how to call these routes in CALLS: {sorted(guarded - set(CALLS))}"
    )
    assert set(CALLS) - guarded == set(), f"these CALLS are no guarded route: {sorted(set(CALLS) - guarded)}"


def test_public_routes_are_few_and_reveal_nothing_personal(app: FastAPI) -> None:
    public = {key for key, grant in _grants(app).items() if grant.public}
    assert public == {("GET", "/health"), ("GET", "/api/v1"), ("GET", "/fhir/metadata")}


async def test_every_role_and_purpose_gets_what_the_policy_says_and_is_audited(
    app: FastAPI, client: httpx.AsyncClient, accounts: Accounts, installation: Installation
) -> None:
    policy = installation.policy
    registered = await client.post(
        "/api/v1/people", json=OTHER.payload(), headers=accounts.headers("clinician")
    )
    ref = registered.json()["ref"]
    grants = _grants(app)
    checked = 0
    mismatches = []
    for (method, template), route in sorted(CALLS.items()):
        grant = grants[(method, template)]
        for role in ROLES:
            person = ref if role == "patient" else None
            for stated in STATED:
                subject = await _fresh(client, accounts, checked) if route.fresh_subject else ref
                path = template.replace("{ref}", subject).replace("{purpose}", "research")
                path = path.replace("{pair}", UNKNOWN_ID).replace("{merge}", UNKNOWN_ID)
                path = path.replace("{task}", UNKNOWN_TASK)
                path = path.replace("{alert}", UNKNOWN_ID).replace("{chain}", UNKNOWN_CASE)
                headers = accounts.headers(role, purpose=stated, person_ref=person)
                events_before = _events(installation)
                body = json.loads(json.dumps(route.body).replace("{ref}", subject)) if route.body else None
                if route.raw is not None and route.media is not None:
                    sent = {**headers, "content-type": route.media}
                    response = await client.request(method, path, content=route.raw.encode(), headers=sent)
                else:
                    response = await client.request(method, path, json=body, headers=headers)
                own = role == "patient" and subject == ref
                want = expected(policy, role, stated, grant, route, own_record=own)
                if response.status_code not in want:
                    mismatches.append(
                        (method, template, role, stated, response.status_code, want, response.text[:120])
                    )
                if response.status_code >= 400:
                    expected_type = (
                        "application/fhir+json" if path.startswith("/fhir") else "application/problem+json"
                    )
                    assert response.headers["content-type"].startswith(expected_type)
                    assert SUBJECT.family_name not in response.text
                    assert OTHER.family_name not in response.text
                assert _events(installation) > events_before, (method, template, role, stated)
                checked += 1
    assert mismatches == []
    assert checked == len(CALLS) * len(ROLES) * len(STATED)


async def _fresh(client: httpx.AsyncClient, accounts: Accounts, index: int) -> str:
    body = {**OTHER.payload(with_nir=False), "given_names": f"Camille {_letters(index)}"}
    response = await client.post("/api/v1/people", json=body, headers=accounts.headers("clinician"))
    ref: str = response.json()["ref"]
    return ref


def _letters(index: int) -> str:
    return "".join("abcdefghij"[int(digit)] for digit in f"{index:05d}")


def _events(installation: Installation) -> int:
    with installation.database.read() as session:
        return session.scalar(select(func.count()).select_from(AuditEventRow)) or 0
