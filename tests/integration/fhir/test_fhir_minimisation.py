"""Minimisation and notes under /fhir: a field the policy does not allow is refused with an
OperationOutcome whose expression is the element that carried it, the whole transaction with it; a
Patient is held to the rules of the report it is part of; notes travel as Condition.note and as a
part of the exposure extension, sealed at rest."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from serment.installation import Installation
from serment.reporting.fhir_mapping import EXPOSURE_EXTENSION
from serment.store.tables import CaseRow, ExposureRow, PersonRow, ResultRow
from tests.conftest import Accounts
from tests.integration.fhir.resources import (
    FHIR_JSON,
    bundle,
    condition,
    observation,
    patient,
    related_person,
)
from tests.people_data import people

pytestmark = pytest.mark.anyio
INDEX, HOUSEMATE = people(2, seed=47)
PATIENT_URL, RESULT_URL, CASE_URL = (f"urn:uuid:9b2e0c4a-0000-4000-8000-00000000000{n}" for n in (1, 2, 3))
EXTENSION = f"extension('{EXPOSURE_EXTENSION}')"


def _counts(installation: Installation) -> tuple[int, ...]:
    with installation.database.read() as session:
        return tuple(
            session.scalar(select(func.count()).select_from(table)) or 0
            for table in (PersonRow, CaseRow, ResultRow, ExposureRow)
        )


async def _post(client: httpx.AsyncClient, path: str, body: dict[str, Any], headers: dict[str, str]) -> Any:
    return await client.post(f"/fhir{path}", json=body, headers={**headers, **FHIR_JSON})


def _with_email(resource: dict[str, Any]) -> dict[str, Any]:
    return {**resource, "telecom": [*resource["telecom"], {"system": "email", "value": INDEX.email}]}


async def _index(client: httpx.AsyncClient, accounts: Accounts) -> str:
    response = await _post(client, "/Patient", patient(INDEX), accounts.headers("clinician"))
    return str(response.json()["id"])


@pytest.mark.parametrize(
    ("change", "expression", "what"),
    [
        (lambda r: {**r, "identifier": [{"system": "urn:oid:1.2.250.1.213.1.4.8", "value": HOUSEMATE.nir}]},
         "RelatedPerson.identifier[0].value", "a NIR"),
        (_with_email, "RelatedPerson.telecom[1]", "an e-mail address"),
        (lambda r: {**r, "address": [{"line": ["1 rue A"], "postalCode": "69003", "city": "Lyon"}]},
         "RelatedPerson.address[0]", "an address"),
    ],
)  # fmt: skip
async def test_a_contact_carrying_what_the_policy_withholds_is_refused_at_the_element(
    client: httpx.AsyncClient,
    accounts: Accounts,
    installation: Installation,
    change: Any,
    expression: str,
    what: str,
) -> None:
    ref = await _index(client, accounts)
    resource = change(related_person(f"Patient/{ref}", HOUSEMATE))
    response = await _post(client, "/RelatedPerson", resource, accounts.headers("clinician"))
    assert response.status_code == 422, response.text
    assert response.json()["issue"] == [
        {
            "severity": "error",
            "code": "business-rule",
            "diagnostics": f'the policy "fr-2020" does not allow {what} for a contact',
            "expression": [expression],
        }
    ]
    assert _counts(installation) == (1, 0, 0, 0)


def _lab_bundle(kind: str, *extra: tuple[str, dict[str, Any]]) -> dict[str, Any]:
    return bundle(
        kind, (PATIENT_URL, _with_email(patient(INDEX))), (RESULT_URL, observation(PATIENT_URL)), *extra
    )


async def test_a_patient_is_held_to_the_rules_of_the_report_that_names_it(
    client: httpx.AsyncClient, accounts: Accounts, installation: Installation
) -> None:
    refused = await _post(client, "", _lab_bundle("transaction"), accounts.headers("clinician"))
    assert refused.status_code == 422, refused.text
    assert [(i["expression"], i["diagnostics"]) for i in refused.json()["issue"]] == [
        (
            ["Bundle.entry[0].resource.telecom[1]"],
            'the policy "fr-2020" does not allow an e-mail address for the person of a result',
        )
    ]
    assert _counts(installation) == (0, 0, 0, 0)
    # The same person with a Condition is a case report, whose person may carry an e-mail address.
    case = _lab_bundle("transaction", (CASE_URL, condition(PATIENT_URL)))
    accepted = await _post(client, "", case, accounts.headers("clinician"))
    assert accepted.status_code == 200, accepted.text
    assert _counts(installation) == (1, 1, 1, 0)


async def test_a_batch_refuses_the_patient_entry_and_what_names_it(
    client: httpx.AsyncClient, accounts: Accounts, installation: Installation
) -> None:
    response = await _post(client, "", _lab_bundle("batch"), accounts.headers("lab"))
    assert response.status_code == 200, response.text
    entries = [entry["response"] for entry in response.json()["entry"]]
    assert [entry["status"] for entry in entries] == ["422", "404"]
    assert entries[0]["outcome"]["issue"][0]["expression"] == ["Bundle.entry[0].resource.telecom[1]"]
    assert _counts(installation) == (0, 0, 0, 0)


async def test_a_patient_no_report_names_is_only_registered(
    client: httpx.AsyncClient, accounts: Accounts, installation: Installation
) -> None:
    alone = bundle("transaction", (PATIENT_URL, _with_email(patient(INDEX))))
    response = await _post(client, "", alone, accounts.headers("clinician"))
    assert response.status_code == 200, response.text
    assert _counts(installation) == (1, 0, 0, 0)


async def test_condition_notes_are_stored_sealed_and_given_back_to_the_patient(
    client: httpx.AsyncClient, accounts: Accounts, installation: Installation
) -> None:
    ref = await _index(client, accounts)
    text = f"Lives alone at {INDEX.address_line}; call before visiting."
    resource = {**condition(f"Patient/{ref}"), "note": [{"text": text, "time": "2026-03-01T10:00:00Z"}]}
    created = await _post(client, "/Condition", resource, accounts.headers("clinician"))
    assert created.status_code == 201, created.text
    assert created.json()["note"] == [{"text": text}]
    with installation.database.read() as session:
        sealed = session.scalars(select(CaseRow.notes)).one()
    assert sealed is not None
    assert text.encode() not in sealed
    own = accounts.headers("patient", name="index", person_ref=ref)
    everything = await client.get(f"/fhir/Patient/{ref}/$everything", headers=own)
    conditions = [
        e["resource"] for e in everything.json()["entry"] if e["resource"]["resourceType"] == "Condition"
    ]
    assert conditions[0]["note"] == [{"text": text}]


async def test_exposure_notes_travel_in_the_extension_and_result_notes_are_not_stored(
    client: httpx.AsyncClient, accounts: Accounts, installation: Installation
) -> None:
    contact = related_person(PATIENT_URL, HOUSEMATE)
    contact["extension"][0]["extension"].append({"url": "note", "valueString": "Same bedroom."})
    noted = {**observation(PATIENT_URL), "note": [{"text": f"Sample of {INDEX.family_name}, haemolysed"}]}
    body = bundle(
        "transaction",
        (PATIENT_URL, patient(INDEX)),
        (RESULT_URL, noted),
        (CASE_URL, condition(PATIENT_URL)),
        ("urn:uuid:9b2e0c4a-0000-4000-8000-000000000004", contact),
    )
    response = await _post(client, "", body, accounts.headers("clinician"))
    assert response.status_code == 200, response.text
    result_issues = response.json()["entry"][1]["response"]["outcome"]["issue"]
    assert [(i["severity"], i["expression"]) for i in result_issues] == [
        ("information", ["Bundle.entry[1].resource.note"])
    ]
    with installation.database.read() as session:
        sealed = session.scalars(select(ExposureRow.notes)).one()
    assert sealed is not None
    assert b"Same bedroom." not in sealed
    too_long = related_person(PATIENT_URL, HOUSEMATE)
    too_long["extension"][0]["extension"].append({"url": "note", "valueString": "z" * 1001})
    refused = await _post(
        client, "", bundle("transaction", (PATIENT_URL, patient(INDEX)), (RESULT_URL, too_long)),
        accounts.headers("clinician"),
    )  # fmt: skip
    assert refused.status_code == 422
    assert refused.json()["issue"][0]["expression"] == [
        f"Bundle.entry[1].resource.{EXTENSION}.extension('note')"
    ]
