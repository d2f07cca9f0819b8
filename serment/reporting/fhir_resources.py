"""Serment's records as FHIR R4 resources (JSON), in the shapes `fhir_mapping` reads back."""

from __future__ import annotations

from typing import Any

from serment.people import PersonDetails
from serment.reporting.fhir_mapping import EXPOSURE_EXTENSION, LOINC, NIR_SYSTEM, ROLE_CODE, SNOMED
from serment.reporting.rules import CaseInput, ExposureInput, ResultInput

VALUE_CODES = {"positive": "260373001", "negative": "260415000", "indeterminate": "419984006"}
VALUE_DISPLAYS = {"positive": "Detected", "negative": "Not detected", "indeterminate": "Inconclusive"}
STATUS_CODES = {"confirmed": "840539006", "suspected": "840544004", "probable": "840544004"}
SEX_GENDERS = {"F": "female", "M": "male", "X": "other"}


def patient_resource(ref: str | None, details: PersonDetails) -> dict[str, Any]:
    """The Patient of a person (no id when `ref` is None)."""
    identity = details.identity
    resource: dict[str, Any] = {"resourceType": "Patient"}
    if ref is not None:
        resource["id"] = ref
    resource.update(_person_elements(details))
    resource["gender"] = SEX_GENDERS[identity.sex]
    return resource


def observation_resource(result_id: str, person_ref: str, result: ResultInput) -> dict[str, Any]:
    """The Observation of a stored result."""
    loinc = (
        result.loinc or {"rt-pcr": "94500-6", "antigen": "94558-4", "serology": "94563-4"}[result.test_type]
    )
    resource: dict[str, Any] = {
        "resourceType": "Observation",
        "id": result_id,
        "status": "final",
        "category": [_coding("http://terminology.hl7.org/CodeSystem/observation-category", "laboratory")],
        "code": _coding(LOINC, loinc),
        "subject": {"reference": f"Patient/{person_ref}"},
        "effectiveDateTime": result.sample_date.isoformat(),
        "valueCodeableConcept": _coding(SNOMED, VALUE_CODES[result.value], VALUE_DISPLAYS[result.value]),
    }
    if result.result_date is not None:
        resource["issued"] = f"{result.result_date.isoformat()}T00:00:00Z"
    if result.lab:
        resource["performer"] = [{"display": result.lab}]
    return resource


def condition_resource(case_ref: str, person_ref: str, case: CaseInput) -> dict[str, Any]:
    """The Condition of a stored case."""
    code = STATUS_CODES[case.status]
    display = "COVID-19" if case.status == "confirmed" else "Suspected COVID-19"
    verification = "confirmed" if case.status == "confirmed" else "provisional"
    resource: dict[str, Any] = {
        "resourceType": "Condition",
        "id": case_ref,
        "verificationStatus": _coding(
            "http://terminology.hl7.org/CodeSystem/condition-ver-status", verification
        ),
        "code": _coding(SNOMED, code, display),
        "subject": {"reference": f"Patient/{person_ref}"},
    }
    if case.onset_date is not None:
        resource["onsetDateTime"] = case.onset_date.isoformat()
    if case.notes:
        resource["note"] = [{"text": case.notes}]
    return resource


def related_person_resource(
    resource_id: str, index_ref: str, exposure: ExposureInput, details: PersonDetails | None
) -> dict[str, Any]:
    """A contact in Serment's RelatedPerson profile; without identity when `details` is None."""
    period = {"start": exposure.date_from.isoformat(), "end": exposure.date_to.isoformat()}
    parts: list[dict[str, Any]] = [
        {"url": "date", "valuePeriod": period},
        {"url": "setting", "valueCode": exposure.setting},
    ]
    if exposure.proximity is not None:
        parts.append({"url": "proximity", "valueCode": exposure.proximity})
    if exposure.duration_minutes is not None:
        parts.append({"url": "duration", "valueInteger": exposure.duration_minutes})
    if exposure.place_id is not None:
        parts.append({"url": "place", "valueString": exposure.place_id})
    if exposure.notes:
        parts.append({"url": "note", "valueString": exposure.notes})
    resource: dict[str, Any] = {
        "resourceType": "RelatedPerson",
        "id": resource_id,
        "extension": [{"url": EXPOSURE_EXTENSION, "extension": parts}],
        "patient": {"reference": f"Patient/{index_ref}"},
        "relationship": [_coding(ROLE_CODE, _role_of(exposure.setting))],
    }
    if details is not None:
        resource.update(_person_elements(details))
        resource["gender"] = SEX_GENDERS[details.identity.sex]
    return resource


def _role_of(setting: str) -> str:
    return {"household": "HOUSEHOLD", "work": "COWORKER"}.get(
        setting, "NBOR" if setting == "venue" else "FRND"
    )


def _person_elements(details: PersonDetails) -> dict[str, Any]:
    identity = details.identity
    elements: dict[str, Any] = {}
    if identity.nir:
        elements["identifier"] = [{"system": NIR_SYSTEM, "value": identity.nir}]
    elements["name"] = [{"family": details.family_name, "given": details.given_names.split()}]
    telecom = [{"system": "phone", "value": details.phone}] if details.phone else []
    telecom += [{"system": "email", "value": details.email}] if details.email else []
    if telecom:
        elements["telecom"] = telecom
    elements["birthDate"] = identity.birth_date.isoformat()
    if details.address is not None:
        address = details.address
        elements["address"] = [
            {"line": [address.line], "postalCode": address.postal_code, "city": address.city}
        ]
    return elements


def _coding(system: str, code: str, display: str | None = None) -> dict[str, Any]:
    coding = {"system": system, "code": code}
    if display is not None:
        coding["display"] = display
    return {"coding": [coding]}
