"""FHIR resources built from the synthetic people of tests.people_data, and where the shared test
data is (read in place, never copied)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from serment.reporting.fhir_mapping import EXPOSURE_EXTENSION, NIR_SYSTEM
from tests.people_data import Synthetic

TESTDATA = Path(__file__).resolve().parents[3] / ".." / "shared" / "testdata"
FHIR_JSON = {"Content-Type": "application/fhir+json"}
GENDERS = {"F": "female", "M": "male", "X": "other"}


def shared_folder(folder: str) -> Path:
    """A folder of ../shared/testdata beside the checkout, or a skip saying it is missing."""
    path = TESTDATA / folder
    if not path.is_dir():
        pytest.skip(f"the shared test data {path} is absent (it sits beside the checkout in CI)")
    return path


def patient(person: Synthetic, *, with_nir: bool = True) -> dict[str, Any]:
    """The Patient a clinician's software would send for `person`."""
    resource: dict[str, Any] = {
        "resourceType": "Patient",
        "name": [{"family": person.family_name, "given": person.given_names.split()}],
        "gender": GENDERS[person.sex],
        "birthDate": person.birth_date,
        "telecom": [{"system": "phone", "value": person.phone}],
    }
    if with_nir:
        resource["identifier"] = [{"system": NIR_SYSTEM, "value": person.nir}]
    return resource


def observation(subject: str, *, loinc: str = "94500-6", value: str = "260373001") -> dict[str, Any]:
    """A final SARS-CoV-2 result for `subject`, sampled on 27 February 2026."""
    return {
        "resourceType": "Observation",
        "status": "final",
        "code": {"coding": [{"system": "http://loinc.org", "code": loinc}]},
        "subject": {"reference": subject},
        "effectiveDateTime": "2026-02-27T09:00:00+01:00",
        "issued": "2026-02-28T10:00:00+01:00",
        "valueCodeableConcept": {"coding": [{"system": "http://snomed.info/sct", "code": value}]},
    }


def condition(subject: str, *, code: str = "840539006", onset: str = "2026-02-26") -> dict[str, Any]:
    """A COVID-19 Condition of `subject`."""
    return {
        "resourceType": "Condition",
        "code": {"coding": [{"system": "http://snomed.info/sct", "code": code}]},
        "subject": {"reference": subject},
        "onsetDateTime": onset,
    }


def related_person(index: str, person: Synthetic, *, setting: str = "household") -> dict[str, Any]:
    """A contact of `index` in Serment's RelatedPerson profile, with what fr-2020 lets a contact carry
    (no NIR)."""
    resource = patient(person, with_nir=False)
    resource.update(
        {
            "resourceType": "RelatedPerson",
            "patient": {"reference": index},
            "relationship": [
                {
                    "coding": [
                        {"system": "http://terminology.hl7.org/CodeSystem/v3-RoleCode", "code": "FAMMEMB"}
                    ]
                }
            ],
            "extension": [
                {
                    "url": EXPOSURE_EXTENSION,
                    "extension": [
                        {"url": "date", "valuePeriod": {"start": "2026-02-24", "end": "2026-02-26"}},
                        {"url": "setting", "valueCode": setting},
                        {"url": "proximity", "valueCode": "close"},
                    ],
                }
            ],
        }
    )
    return resource


def bundle(kind: str, *resources: tuple[str, dict[str, Any]]) -> dict[str, Any]:
    """A transaction or batch Bundle of (fullUrl, resource) pairs, each POSTed."""
    return {
        "resourceType": "Bundle",
        "type": kind,
        "entry": [
            {
                "fullUrl": url,
                "resource": resource,
                "request": {"method": "POST", "url": resource["resourceType"]},
            }
            for url, resource in resources
        ],
    }
