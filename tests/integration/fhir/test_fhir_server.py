"""/fhir on a real `serment serve` process, driven by a FHIR client (fhirpy) with a clinician's
token created through the command line."""

from __future__ import annotations

from pathlib import Path

import pytest
from fhirpy import SyncFHIRClient

from tests.integration.fhir.resources import patient
from tests.people_data import people
from tests.server_process import ServerProcess, run_cli

pytestmark = pytest.mark.subprocess


def test_fhirpy_creates_a_patient_and_reads_it_back(tmp_path: Path, database_url: str | None) -> None:
    data_dir = tmp_path / "data"
    for arguments in (
        ("init", "--data-dir", str(data_dir)),
        ("user", "add", "dr-fhir", "--role", "clinician", "--org", "Clinique", "--data-dir", str(data_dir)),
    ):
        done = run_cli(*arguments, database_url=database_url)
        assert done.returncode == 0, done.stderr
    issued = run_cli("token", "create", "dr-fhir", "--data-dir", str(data_dir), database_url=database_url)
    assert issued.returncode == 0, issued.stderr
    token = issued.stdout.strip().splitlines()[-1]
    (person,) = people(1, seed=7)
    with ServerProcess(data_dir, database_url) as server:
        client = SyncFHIRClient(f"{server.base_url}/fhir", authorization=f"Bearer {token}")
        created = client.resource(
            "Patient", **{k: v for k, v in patient(person).items() if k != "resourceType"}
        )
        created.save()
        assert created.id is not None
        read = client.reference("Patient", created.id).to_resource()
    assert read["identifier"][0]["value"] == person.nir
    assert (read["name"][0]["family"], read["birthDate"]) == (person.family_name, person.birth_date)
