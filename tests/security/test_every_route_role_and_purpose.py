"""Promises 3 and 4: every route, called by every role with every purpose, answers what the policy
says, and every call leaves an audit event. The routes come from the app itself, so a new route
without a classification here fails the test."""

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
class Guarded:
    """A route that reaches personal data: the guard's action, and the statuses it answers when allowed."""

    action: str
    allowed: frozenset[int]
    body: dict[str, object] | None = None
    # The call consumes its subject (erasure): each call gets a person registered for it.
    fresh_subject: bool = False
    # Other actions the route needs (a report also registers its people).
    requires: tuple[str, ...] = ()
    # Whether the call acts on a person, so that the purpose's relationship applies.
    on_person: bool = True
    # A body sent as is (a file), with its media type, instead of JSON.
    raw: str | None = None
    media: str | None = None
    # The route serves only purposes reaching the people assigned to the actor (a tracer's tasks).
    assigned_only: bool = False


PUBLIC = {("GET", "/health"), ("GET", "/api/v1"), ("GET", "/fhir/metadata")}
U = "urn:uuid:00000000-0000-4000-8000-00000000000"
GUARDED = {
    ("POST", "/api/v1/people"): Guarded(
        "register", frozenset({200, 201}), SUBJECT.payload(), on_person=False
    ),
    ("POST", "/api/v1/reports"): Guarded(
        "report",
        frozenset({201}),
        requires=("register",),
        body={
            "person": SUBJECT.payload(),
            "case": ONSET,
            "contacts": [{"person": THIRD.contact_payload(), "exposure": EXPOSURE}],
        },
    ),
    ("POST", "/api/v1/results"): Guarded(
        "report",
        frozenset({201}),
        {**RESULT, "person": SUBJECT.payload(with_email=False)},
        requires=("register",),
    ),
    ("POST", "/api/v1/people/{ref}/contacts"): Guarded(
        "report",
        frozenset({201}),
        {"contacts": [{"person": THIRD.contact_payload(), "exposure": EXPOSURE}]},
        requires=("register",),
    ),
    ("GET", "/api/v1/cases"): Guarded("list", frozenset({200}), on_person=False),
    # Called before the reports' routes (the matrix goes in order): with no data yet, an allowed
    # caller learns so (422), after the guard; later, 200.
    ("GET", "/api/v1/tracing/tiers"): Guarded("list", frozenset({200, 422}), on_person=False),
    ("POST", "/api/v1/imports"): Guarded(
        "report",
        frozenset({200, 201}),
        requires=("register",),
        on_person=False,
        media="text/csv",
        raw="nir,family_name,given_names,birth_date,sex,sample_date,result_date,test_type,value\n"
        f"{SUBJECT.nir},{SUBJECT.family_name},{SUBJECT.given_names},{SUBJECT.birth_date},{SUBJECT.sex},"
        "2026-02-27,2026-02-28,rt-pcr,positive\n",
    ),
    ("POST", "/fhir/Patient"): Guarded("register", frozenset({200, 201}), patient(SUBJECT), on_person=False),
    ("GET", "/fhir/Patient/{ref}"): Guarded("read", frozenset({200})),
    ("GET", "/fhir/Patient/{ref}/$everything"): Guarded("export", frozenset({200})),
    ("POST", "/fhir/Observation"): Guarded("report", frozenset({201}), observation("Patient/{ref}")),
    ("POST", "/fhir/Condition"): Guarded("report", frozenset({201}), condition("Patient/{ref}")),
    ("POST", "/fhir/RelatedPerson"): Guarded(
        "report", frozenset({201}), related_person("Patient/{ref}", THIRD), requires=("register",)
    ),
    ("POST", "/fhir"): Guarded(
        "report",
        frozenset({200}),
        bundle(
            "transaction",
            (U + "1", patient(SUBJECT)),
            (U + "2", observation(U + "1")),
            (U + "3", condition(U + "1")),
            (U + "4", related_person(U + "1", THIRD)),
        ),
        requires=("register",),
    ),
    ("GET", "/api/v1/people/{ref}"): Guarded("read", frozenset({200})),
    ("PATCH", "/api/v1/people/{ref}"): Guarded("update", frozenset({200}), {"phone": "+33 6 12 34 56 78"}),
    ("POST", "/api/v1/people/{ref}/oppositions"): Guarded(
        "oppose", frozenset({200, 201}), {"purpose": "research"}
    ),
    ("GET", "/api/v1/people/{ref}/oppositions"): Guarded("oppose", frozenset({200})),
    ("DELETE", "/api/v1/people/{ref}/oppositions/{purpose}"): Guarded("oppose", frozenset({200, 409})),
    ("DELETE", "/api/v1/people/{ref}/oppositions"): Guarded(
        "oppose", frozenset({200, 409}), {"purpose": "research"}
    ),
    ("GET", "/api/v1/people/{ref}/accesses"): Guarded("history", frozenset({200})),
    ("GET", "/api/v1/audit/verify"): Guarded("audit", frozenset({200}), on_person=False),
    ("DELETE", "/api/v1/people/{ref}"): Guarded("erase", frozenset({204}), fresh_subject=True),
    ("GET", "/api/v1/people/duplicates"): Guarded("merge", frozenset({200}), on_person=False),
    # No pair or merge has the id 999999: an allowed caller learns so (404), after the guard.
    ("POST", "/api/v1/people/duplicates/{pair}/merge"): Guarded(
        "merge", frozenset({404}), {"keep": "{ref}"}, on_person=False
    ),
    ("POST", "/api/v1/people/duplicates/{pair}/not-duplicate"): Guarded(
        "merge", frozenset({404}), on_person=False
    ),
    ("POST", "/api/v1/people/merges/{merge}/undo"): Guarded("merge", frozenset({404}), on_person=False),
    # A tracer's own queue (empty here: no task is assigned to the matrix's tracer).
    ("GET", "/api/v1/tracing/tasks"): Guarded("read", frozenset({200}), on_person=False, assigned_only=True),
    # No task has the id UNKNOWN_TASK: an allowed caller learns so (404), after the guard.
    ("POST", "/api/v1/tracing/tasks/{task}/outcome"): Guarded(
        "update", frozenset({404}), {"result": "no_answer"}, on_person=False, assigned_only=True
    ),
    ("GET", "/api/v1/tracing/chains"): Guarded("list", frozenset({200}), on_person=False),
    # No chain is named by a case ref of a's, nor has a cluster alert the id 999999: 404 after the guard.
    ("GET", "/api/v1/tracing/chains/{chain}/graph"): Guarded("list", frozenset({404}), on_person=False),
    ("GET", "/api/v1/tracing/clusters"): Guarded("list", frozenset({200}), on_person=False),
    ("PATCH", "/api/v1/tracing/clusters/{alert}"): Guarded(
        "investigate", frozenset({404}), {"status": "investigating"}, on_person=False
    ),
}
UNKNOWN_ID = "999999"
UNKNOWN_TASK = "a" * 26
UNKNOWN_CASE = "a" * 26
STATED = [None, *PURPOSES, *sorted(PROHIBITED_PURPOSES), "curiosity"]


def _routes(app: FastAPI) -> set[tuple[str, str]]:
    # From the OpenAPI document: FastAPI keeps included routers as lazy objects in app.routes.
    found = set()
    for path, operations in app.openapi()["paths"].items():
        found |= {(method.upper(), path) for method in operations}
    assert len(found) >= len(PUBLIC) + 1, "the route listing found nothing: the check would be void"
    return found


def expected(  # noqa: PLR0911 (one return per rule of the guard, in the guard's order)
    policy: Policy, role: str, stated: str | None, route: Guarded, own_record: bool
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
    if not all(policy.allows(role, purpose, action) for action in (route.action, *route.requires)):
        return {403}
    relationship = policy.relationship(purpose)
    if route.assigned_only and relationship != "assigned":
        return {403}
    if not route.on_person:
        return set(route.allowed)
    if relationship == "assigned" or (relationship == "self" and not own_record):
        return {403}
    return set(route.allowed)


def test_every_route_is_classified(app: FastAPI) -> None:
    unclassified = _routes(app) - PUBLIC - set(GUARDED)
    assert unclassified == set(), f"classify these routes in this test: {sorted(unclassified)}"


async def test_every_role_and_purpose_gets_what_the_policy_says_and_is_audited(
    app: FastAPI, client: httpx.AsyncClient, accounts: Accounts, installation: Installation
) -> None:
    policy = installation.policy
    registered = await client.post(
        "/api/v1/people", json=OTHER.payload(), headers=accounts.headers("clinician")
    )
    ref = registered.json()["ref"]
    checked = 0
    mismatches = []
    for (method, template), route in sorted(GUARDED.items()):
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
                want = expected(policy, role, stated, route, own_record=own)
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
    assert checked == len(GUARDED) * len(ROLES) * len(STATED)


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
