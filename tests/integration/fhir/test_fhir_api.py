"""The FHIR endpoints in-process: the CapabilityStatement, Patients registered and read, results,
cases and contacts, transaction and batch Bundles, the patient's own export, and errors as
OperationOutcomes located by FHIRPath."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from serment.installation import Installation
from serment.store.tables import CaseRow, ExposureRow, PersonRow, ResultRow
from serment.web.fhir.outcomes import FHIR_MEDIA_TYPE
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
INDEX, HOUSEMATE, OTHER = people(3, seed=44)


def _counts(installation: Installation) -> dict[str, int]:
    with installation.database.read() as session:
        return {
            table.__tablename__: session.scalar(select(func.count()).select_from(table)) or 0
            for table in (PersonRow, CaseRow, ResultRow, ExposureRow)
        }


async def _post(
    client: httpx.AsyncClient, path: str, body: dict[str, Any], headers: dict[str, str]
) -> httpx.Response:
    return await client.post(f"/fhir{path}", json=body, headers={**headers, **FHIR_JSON})


async def _register(client: httpx.AsyncClient, accounts: Accounts, person: Any = INDEX) -> str:
    response = await _post(client, "/Patient", patient(person), accounts.headers("clinician"))
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def _issue(response: httpx.Response) -> dict[str, Any]:
    assert response.headers["content-type"].startswith("application/fhir+json")
    outcome = response.json()
    assert outcome["resourceType"] == "OperationOutcome", outcome
    return dict(outcome["issue"][0])


async def test_the_capability_statement_needs_no_token_and_says_r4(client: httpx.AsyncClient) -> None:
    response = await client.get("/fhir/metadata")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/fhir+json")
    statement = response.json()
    assert (statement["resourceType"], statement["fhirVersion"]) == ("CapabilityStatement", "4.0.1")
    types = {resource["type"] for resource in statement["rest"][0]["resource"]}
    assert types == {"Patient", "Observation", "Condition", "RelatedPerson"}


async def test_a_patient_is_registered_once_and_read_back_with_the_nir(
    client: httpx.AsyncClient, accounts: Accounts
) -> None:
    first = await _post(client, "/Patient", patient(INDEX), accounts.headers("clinician"))
    again = await _post(client, "/Patient", patient(INDEX), accounts.headers("lab"))
    assert (first.status_code, again.status_code) == (201, 200)
    ref = first.json()["id"]
    assert again.json()["id"] == ref
    assert first.headers["location"] == f"/fhir/Patient/{ref}"
    read = await client.get(f"/fhir/Patient/{ref}", headers=accounts.headers("clinician"))
    assert read.status_code == 200, read.text
    body = read.json()
    assert body["identifier"] == [{"system": "urn:oid:1.2.250.1.213.1.4.8", "value": INDEX.nir}]
    assert (body["name"][0]["family"], body["birthDate"]) == (INDEX.family_name, INDEX.birth_date)


async def test_an_invalid_nir_is_refused_at_its_fhirpath(
    client: httpx.AsyncClient, accounts: Accounts
) -> None:
    resource = patient(INDEX)
    resource["identifier"][0]["value"] = INDEX.nir[:-2] + "00"
    response = await _post(client, "/Patient", resource, accounts.headers("clinician"))
    assert response.status_code == 422
    issue = _issue(response)
    assert issue["expression"] == ["Patient.identifier[0].value"]
    assert "control key" in issue["diagnostics"]


async def test_a_malformed_resource_is_refused_with_each_element_located(
    client: httpx.AsyncClient, accounts: Accounts
) -> None:
    resource = {**patient(INDEX), "birthDate": "12/05/1985", "favouriteColour": "blue"}
    response = await _post(client, "/Patient", resource, accounts.headers("clinician"))
    assert response.status_code == 400
    expressions = {issue["expression"][0] for issue in response.json()["issue"]}
    assert expressions == {"Patient.birthDate", "Patient.favouriteColour"}


async def test_a_patient_without_birth_date_is_told_what_serment_needs(
    client: httpx.AsyncClient, accounts: Accounts
) -> None:
    resource = patient(INDEX)
    del resource["birthDate"]
    response = await _post(client, "/Patient", resource, accounts.headers("clinician"))
    assert response.status_code == 422
    assert _issue(response) | {"diagnostics": ""} == {
        "severity": "error", "code": "required", "diagnostics": "", "expression": ["Patient.birthDate"]
    }  # fmt: skip


async def test_a_role_the_guard_refuses_gets_a_403_outcome_with_the_reason(
    client: httpx.AsyncClient, accounts: Accounts
) -> None:
    ref = await _register(client, accounts)
    read = await client.get(f"/fhir/Patient/{ref}", headers=accounts.headers("lab"))
    assert read.status_code == 403
    assert _issue(read)["code"] == "forbidden"
    assert "the role lab may not read" in _issue(read)["diagnostics"]
    registered = await _post(client, "/Patient", patient(OTHER), accounts.headers("epidemiologist"))
    assert registered.status_code == 403
    assert "may not register" in _issue(registered)["diagnostics"]


async def test_without_a_token_the_answer_is_401_as_an_outcome(client: httpx.AsyncClient) -> None:
    response = await client.post("/fhir/Patient", json=patient(INDEX), headers=FHIR_JSON)
    assert response.status_code == 401
    assert _issue(response)["code"] == "login"
    assert response.headers["www-authenticate"] == "Bearer"


async def test_errors_elsewhere_stay_problem_json(client: httpx.AsyncClient) -> None:
    fhir = await client.get("/fhir/Encounter/1")
    api = await client.get("/api/v1/nothing")
    assert (fhir.status_code, api.status_code) == (404, 404)
    assert _issue(fhir)["code"] == "not-found"
    assert api.headers["content-type"] == "application/problem+json"


async def test_a_result_and_a_case_are_stored_for_a_registered_patient(
    client: httpx.AsyncClient, accounts: Accounts, installation: Installation
) -> None:
    ref = await _register(client, accounts)
    result = await _post(client, "/Observation", observation(f"Patient/{ref}"), accounts.headers("lab"))
    assert result.status_code == 201, result.text
    case = await _post(client, "/Condition", condition(f"Patient/{ref}"), accounts.headers("clinician"))
    assert case.status_code == 201, case.text
    with installation.database.read() as session:
        row = session.scalars(select(ResultRow)).one()
        case_row = session.scalars(select(CaseRow)).one()
    assert (row.person_ref, row.test_type, row.value, row.loinc, str(row.sample_date)) == (
        ref, "rt-pcr", "positive", "94500-6", "2026-02-27"
    )  # fmt: skip
    assert (case_row.person_ref, case_row.status, str(case_row.onset_date)) == (
        ref,
        "confirmed",
        "2026-02-26",
    )


@pytest.mark.parametrize(
    ("change", "status", "expression"),
    [
        ({"code": {"coding": [{"system": "http://loinc.org", "code": "2345-7"}]}}, 422, "Observation.code"),
        ({"status": "preliminary"}, 422, "Observation.status"),
        ({"valueCodeableConcept": {"text": "positive?"}}, 422, "Observation.value[x]"),
        ({"effectiveDateTime": "2026-03-09T09:00:00Z", "issued": None}, 422, "Observation.effectiveDateTime"),
        ({"subject": {"reference": "urn:uuid:0f4e"}}, 404, "Observation.subject"),
        ({"subject": {"reference": "Patient/nobody"}}, 404, None),
    ],
)
async def test_a_result_serment_cannot_take_is_refused_saying_why(
    client: httpx.AsyncClient,
    accounts: Accounts,
    installation: Installation,
    change: dict[str, Any],
    status: int,
    expression: str | None,
) -> None:
    ref = await _register(client, accounts)
    resource = {**observation(f"Patient/{ref}"), **change}
    response = await _post(
        client, "/Observation", {k: v for k, v in resource.items() if v is not None}, accounts.headers("lab")
    )
    assert response.status_code == status, response.text
    assert _issue(response).get("expression", [None]) == [expression]
    assert _counts(installation)["results"] == 0


async def test_a_condition_other_than_covid_is_refused(client: httpx.AsyncClient, accounts: Accounts) -> None:
    ref = await _register(client, accounts)
    response = await _post(
        client, "/Condition", condition(f"Patient/{ref}", code="38341003"), accounts.headers("clinician")
    )
    assert response.status_code == 422
    assert _issue(response)["expression"] == ["Condition.code"]


async def test_a_contact_is_added_with_the_exposure_extension(
    client: httpx.AsyncClient, accounts: Accounts, installation: Installation
) -> None:
    ref = await _register(client, accounts)
    response = await _post(
        client, "/RelatedPerson", related_person(f"Patient/{ref}", HOUSEMATE), accounts.headers("clinician")
    )
    assert response.status_code == 201, response.text
    with installation.database.read() as session:
        exposure = session.scalars(select(ExposureRow)).one()
    assert (exposure.person_ref, exposure.setting, exposure.proximity) == (ref, "household", "close")
    assert (str(exposure.date_from), str(exposure.date_to)) == ("2026-02-24", "2026-02-26")


def _case_bundle(kind: str, contact: dict[str, Any] | None = None) -> dict[str, Any]:
    index = "urn:uuid:6c1a5f7e-0000-4000-8000-000000000001"
    return bundle(
        kind,
        (index, patient(INDEX)),
        ("urn:uuid:6c1a5f7e-0000-4000-8000-000000000002", observation(index)),
        ("urn:uuid:6c1a5f7e-0000-4000-8000-000000000003", condition(index, code="840544004")),
        ("urn:uuid:6c1a5f7e-0000-4000-8000-000000000004", condition(index)),
        ("urn:uuid:6c1a5f7e-0000-4000-8000-000000000005", contact or related_person(index, HOUSEMATE)),
        (
            "urn:uuid:6c1a5f7e-0000-4000-8000-000000000006",
            {"resourceType": "Encounter", "status": "finished"},
        ),
    )


async def test_a_transaction_stores_everything_in_one_go(
    client: httpx.AsyncClient, accounts: Accounts, installation: Installation
) -> None:
    response = await _post(client, "", _case_bundle("transaction"), accounts.headers("clinician"))
    assert response.status_code == 200, response.text
    answer = response.json()
    assert answer["type"] == "transaction-response"
    statuses = [entry["response"]["status"] for entry in answer["entry"]]
    assert statuses == ["201 Created", "201 Created", "200 OK", "201 Created", "201 Created", "200 OK"]
    ignored = answer["entry"][5]["response"]["outcome"]["issue"][0]
    assert (ignored["severity"], ignored["code"]) == ("information", "informational")
    superseded = answer["entry"][2]["response"]["outcome"]["issue"][0]["diagnostics"]
    assert "superseded by the confirmed case of entry 3" in superseded
    assert _counts(installation) == {"people": 2, "cases": 1, "results": 1, "exposures": 1}


async def test_a_transaction_with_one_bad_entry_stores_nothing(
    client: httpx.AsyncClient, accounts: Accounts, installation: Installation
) -> None:
    contact = related_person("urn:uuid:6c1a5f7e-0000-4000-8000-000000000001", HOUSEMATE)
    contact["birthDate"] = "2099-01-01"
    response = await _post(client, "", _case_bundle("transaction", contact), accounts.headers("clinician"))
    assert response.status_code == 422
    assert _issue(response)["expression"] == ["Bundle.entry[4].resource.birthDate"]
    assert _counts(installation) == {"people": 0, "cases": 0, "results": 0, "exposures": 0}


async def test_a_refused_transaction_stores_nothing_either(
    client: httpx.AsyncClient, accounts: Accounts, installation: Installation
) -> None:
    response = await _post(client, "", _case_bundle("transaction"), accounts.headers("epidemiologist"))
    assert response.status_code == 403
    assert _counts(installation) == {"people": 0, "cases": 0, "results": 0, "exposures": 0}


async def test_a_batch_answers_each_entry_on_its_own(
    client: httpx.AsyncClient, accounts: Accounts, installation: Installation
) -> None:
    contact = related_person("urn:uuid:6c1a5f7e-0000-4000-8000-000000000001", HOUSEMATE)
    contact["birthDate"] = "2099-01-01"
    response = await _post(client, "", _case_bundle("batch", contact), accounts.headers("clinician"))
    assert response.status_code == 200, response.text
    entries = response.json()["entry"]
    assert response.json()["type"] == "batch-response"
    assert [entry["response"]["status"] for entry in entries][4] == "422"
    issue = entries[4]["response"]["outcome"]["issue"][0]
    assert issue["expression"] == ["Bundle.entry[4].resource.birthDate"]
    assert _counts(installation) == {"people": 1, "cases": 1, "results": 1, "exposures": 0}


async def test_only_transaction_and_batch_bundles_are_taken(
    client: httpx.AsyncClient, accounts: Accounts
) -> None:
    response = await _post(
        client, "", {"resourceType": "Bundle", "type": "collection"}, accounts.headers("clinician")
    )
    assert response.status_code == 400
    assert _issue(response)["expression"] == ["Bundle.type"]


async def test_malformed_json_is_a_400_outcome(client: httpx.AsyncClient, accounts: Accounts) -> None:
    response = await client.post(
        "/fhir/Patient", content=b'{"resourceType": ', headers={**accounts.headers("clinician"), **FHIR_JSON}
    )
    assert response.status_code == 400
    assert _issue(response)["code"] == "structure"


async def test_a_patient_exports_everything_of_their_own_record_only(
    client: httpx.AsyncClient, accounts: Accounts
) -> None:
    await _post(client, "", _case_bundle("transaction"), accounts.headers("clinician"))
    found = await _post(client, "/Patient", patient(INDEX), accounts.headers("clinician"))
    assert found.status_code == 200  # the bundle registered them
    ref = found.json()["id"]
    other = await _register(client, accounts, OTHER)
    own = accounts.headers("patient", name="index", person_ref=ref)
    response = await client.get(f"/fhir/Patient/{ref}/$everything", headers=own)
    assert response.status_code == 200, response.text
    resources = [entry["resource"] for entry in response.json()["entry"]]
    assert [r["resourceType"] for r in resources] == ["Patient", "Observation", "Condition", "RelatedPerson"]
    contact = resources[3]
    assert "name" not in contact
    assert contact["patient"] == {"reference": f"Patient/{ref}"}
    assert contact["extension"][0]["url"] == "https://serment.invalid/fhir/StructureDefinition/exposure"
    refused = await client.get(f"/fhir/Patient/{other}/$everything", headers=own)
    assert refused.status_code == 403
    assert "own record" in _issue(refused)["diagnostics"]
    clinician = await client.get(f"/fhir/Patient/{ref}/$everything", headers=accounts.headers("clinician"))
    assert clinician.status_code == 403


async def test_the_openapi_document_declares_every_fhir_answer(client: httpx.AsyncClient) -> None:
    """Found by fuzzing: /fhir routes answered 400, 401, 403 and 404 as OperationOutcomes and Patient
    200 (already registered) while the document declared FastAPI's 422 as plain JSON only."""
    document = (await client.get("/api/v1/openapi.json")).json()
    assert "OperationOutcome" in document["components"]["schemas"]
    fhir = {path: item for path, item in document["paths"].items() if path.startswith("/fhir")}
    assert fhir
    for path, item in fhir.items():
        for method, operation in item.items():
            for status in ("4XX", "5XX"):
                content = operation["responses"][status]["content"]
                assert list(content) == [FHIR_MEDIA_TYPE], (method, path, status)
                assert content[FHIR_MEDIA_TYPE]["schema"]["$ref"].endswith("/OperationOutcome")
            assert "422" not in operation["responses"], (method, path)
    assert {"200", "201"} <= set(fhir["/fhir/Patient"]["post"]["responses"])


@pytest.mark.parametrize("path", ["/fhir/Patient/{id}", "/fhir/Patient/{id}/$everything"])
async def test_a_patient_id_that_is_no_ref_is_refused_as_an_outcome(
    client: httpx.AsyncClient, accounts: Accounts, path: str
) -> None:
    """Found by fuzzing: a 64-character id overflowed the audit log's subject and answered 500."""
    response = await client.get(path.format(id="0" * 64), headers=accounts.headers("epidemiologist"))
    assert response.status_code == 400
    assert response.headers["content-type"].startswith(FHIR_MEDIA_TYPE)
    outcome = response.json()
    assert outcome["resourceType"] == "OperationOutcome"
    assert outcome["issue"][0]["expression"] == ["path.ref"]
