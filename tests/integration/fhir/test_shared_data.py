"""The shared FHIR test data, read in place: every Synthea COVID-19 bundle is accepted under both
presets (what their minimisation withholds, Synthea does not send) and its positive patients become
confirmed cases; every official R4 example Patient, Observation, Condition and RelatedPerson is
stored or refused with an OperationOutcome, never a 5xx."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import distinct, func, select

from serment.installation import Installation
from serment.settings import Settings
from serment.store.tables import CaseRow, PersonRow
from tests.conftest import Accounts
from tests.integration.fhir.resources import FHIR_JSON, TESTDATA, shared_folder

pytestmark = pytest.mark.anyio
DETECTED = "260373001"
EXAMPLE_TYPES = ("Patient", "Observation", "Condition", "RelatedPerson")


@pytest.fixture
def settings(request: pytest.FixtureRequest, tmp_path: Path, database_url: str | None) -> Settings:
    """Settings of a fresh installation under the preset a test names (fr-2020 unless parametrized)."""
    preset = getattr(request, "param", "fr-2020")
    return Settings(data_dir=tmp_path / "data", database_url=database_url, policy=preset)


def _positive_patients(bundle: dict[str, Any]) -> set[str]:
    """The Patients of a bundle with a LOINC 94531-1 result coded Detected."""
    return {
        entry["resource"]["subject"]["reference"]
        for entry in bundle["entry"]
        if entry["resource"]["resourceType"] == "Observation"
        and any(c.get("code") == "94531-1" for c in entry["resource"]["code"].get("coding", []))
        and any(
            c.get("code") == DETECTED
            for c in entry["resource"].get("valueCodeableConcept", {}).get("coding", [])
        )
    }


@pytest.mark.parametrize("settings", ["fr-2020", "vn-2020"], indirect=True)
async def test_every_synthea_bundle_is_accepted_and_positives_become_confirmed_cases(
    client: httpx.AsyncClient, accounts: Accounts, installation: Installation, settings: Settings
) -> None:
    assert installation.platform.policy.name == settings.policy
    files = sorted(shared_folder("synthea-covid19").glob("*.json"))
    patients, positives = 0, 0
    for path in files:
        bundle = json.loads(path.read_text(encoding="utf-8"))
        patients += sum(entry["resource"]["resourceType"] == "Patient" for entry in bundle["entry"])
        positives += len(_positive_patients(bundle))
        response = await client.post(
            "/fhir", json=bundle, headers={**accounts.headers("clinician"), **FHIR_JSON}
        )
        assert response.status_code == 200, f"{path.name}: {response.text[:2000]}"
        answer = response.json()
        assert answer["type"] == f"{bundle['type']}-response"
        failed = [
            (number, entry["response"])
            for number, entry in enumerate(answer["entry"])
            if not entry["response"]["status"].startswith("2")
        ]
        assert failed == [], f"{path.name}: {failed[:3]}"
    assert (len(files) >= 10, patients, positives) == (True, 10, 8)
    with installation.database.read() as session:
        people = session.scalar(select(func.count()).select_from(PersonRow))
        confirmed = session.scalar(
            select(func.count(distinct(CaseRow.person_ref))).where(CaseRow.status == "confirmed")
        )
    assert (people, confirmed) == (patients, positives)


def _examples() -> list[Path]:
    folder = TESTDATA / "fhir-r4-examples"
    return (
        sorted(p for kind in EXAMPLE_TYPES for p in folder.glob(f"{kind}-*.json")) if folder.is_dir() else []
    )


@pytest.mark.parametrize("path", _examples() or [None], ids=lambda p: p.stem if p else "absent")
async def test_every_official_example_is_stored_or_refused_with_an_outcome(
    client: httpx.AsyncClient, accounts: Accounts, path: Path | None
) -> None:
    if path is None:
        shared_folder("fhir-r4-examples")
        return
    resource = json.loads(path.read_text(encoding="utf-8"))
    headers = {**accounts.headers("clinician"), **FHIR_JSON}
    response = await client.post(f"/fhir/{resource['resourceType']}", json=resource, headers=headers)
    assert 200 <= response.status_code < 500, response.text
    assert response.headers["content-type"].startswith("application/fhir+json")
    body = response.json()
    if response.status_code >= 400:
        assert body["resourceType"] == "OperationOutcome"
        assert all(issue["diagnostics"] for issue in body["issue"]), body
    else:
        assert body["resourceType"] == resource["resourceType"]
