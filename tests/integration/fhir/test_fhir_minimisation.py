"""Minimisation under /fhir: a field the policy does not allow is refused with an OperationOutcome
whose expression is the element that carried it, the whole transaction with it; a Patient is held to
the rules of the report it is part of."""

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
