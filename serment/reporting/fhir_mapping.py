"""FHIR R4 resources to Serment's inputs: pure functions, no store, no guard (the way back is in
`fhir_resources`).

Resources are validated with the R4B models of fhir.resources (the closest to R4 4.0.1 it ships;
see docs/fhir.md). Every problem is an `Issue` located by the FHIRPath of the failing element.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from fhir.resources.R4B.condition import Condition
from fhir.resources.R4B.extension import Extension
from fhir.resources.R4B.observation import Observation
from fhir.resources.R4B.patient import Patient
from fhir.resources.R4B.relatedperson import RelatedPerson
from pydantic import BaseModel, ValidationError

from serment.people import Address, person_details
from serment.reporting.rules import (
    CaseInput,
    ContactInput,
    ExposureInput,
    ResultInput,
    check_case,
    check_contacts,
    check_result,
)
from serment.secrecy import IdentityError, IdentityErrors

NIR_SYSTEM = "urn:oid:1.2.250.1.213.1.4.8"
LOINC = "http://loinc.org"
SNOMED = "http://snomed.info/sct"
INTERPRETATION = "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation"
ROLE_CODE = "http://terminology.hl7.org/CodeSystem/v3-RoleCode"
EXPOSURE_EXTENSION = "https://serment.invalid/fhir/StructureDefinition/exposure"
SYNTHEA_SYSTEM = "https://github.com/synthetichealth/synthea"

# LOINC codes of SARS-CoV-2 tests and the test type Serment files them under.
SARS_COV_2_TESTS: dict[str, str] = {
    "94500-6": "rt-pcr", "94531-1": "rt-pcr", "94309-2": "rt-pcr", "94534-5": "rt-pcr",
    "94746-5": "rt-pcr", "94533-7": "rt-pcr", "94559-2": "rt-pcr", "94565-9": "rt-pcr",
    "94759-8": "rt-pcr", "94760-6": "rt-pcr", "94845-5": "rt-pcr", "95406-5": "rt-pcr",
    "95409-9": "rt-pcr", "96448-6": "rt-pcr",
    "94558-4": "antigen", "95209-3": "antigen", "96119-3": "antigen", "97097-0": "antigen",
    "94563-4": "serology", "94562-6": "serology", "94564-2": "serology", "94507-1": "serology",
    "94508-9": "serology", "94762-2": "serology",
}  # fmt: skip
# SNOMED CT qualifiers (value or interpretation) and v3 interpretation codes to a result value.
RESULT_VALUES: dict[tuple[str, str], str] = {
    (SNOMED, "260373001"): "positive", (SNOMED, "10828004"): "positive",
    (SNOMED, "260415000"): "negative", (SNOMED, "260385009"): "negative",
    (SNOMED, "419984006"): "indeterminate",
    (INTERPRETATION, "POS"): "positive", (INTERPRETATION, "DET"): "positive",
    (INTERPRETATION, "NEG"): "negative", (INTERPRETATION, "ND"): "negative",
    (INTERPRETATION, "IND"): "indeterminate",
}  # fmt: skip
CASE_CODES = {"840539006": "confirmed", "840544004": "suspected"}
# v3 RoleCode of a contact to the exposure setting Serment files them under when none is given.
ROLE_SETTINGS = {
    "FAMMEMB": "household", "CHILD": "household", "PRN": "household", "SPS": "household",
    "SIB": "household", "ROOM": "household", "HOUSEHOLD": "household",
    "FRND": "other", "NBOR": "other", "COWORKER": "work",
}  # fmt: skip
STORED_STATUSES = ("final", "amended", "corrected")
GENDERS = {"female": "F", "male": "M", "other": "X", "unknown": "X"}
# The exposure's fields and the parts of Serment's exposure extension that carry them.
EXPOSURE_PARTS = {
    "date": "date", "date_from": "date", "setting": "setting", "place_id": "place", "proximity": "proximity",
    "duration_minutes": "duration", "notes": "note",
}  # fmt: skip
NOTE_NOT_STORED = (
    "not stored: Serment keeps notes on cases (Condition.note) and exposures only, not on results"
)
IDENTITY_ELEMENTS = {
    "family_name": "name[0].family", "given_names": "name[0].given", "birth_date": "birthDate",
    "sex": "gender", "phone": "telecom", "email": "telecom", "name": "name[0]",
}  # fmt: skip


@dataclass(frozen=True)
class Issue:
    """One OperationOutcome issue: how bad, which FHIR issue type, what to do, and where."""

    severity: str
    code: str
    diagnostics: str
    expression: str | None = None


class FhirInvalid(ValueError):
    """A resource Serment cannot take; `status` is 400 for a malformed resource, 422 for a rule."""

    def __init__(self, issues: Sequence[Issue], status: int = 422) -> None:
        self.issues = tuple(issues)
        self.status = status
        super().__init__("; ".join(f"{i.expression or 'resource'}: {i.diagnostics}" for i in self.issues))


def invalid(expression: str, diagnostics: str, code: str = "business-rule") -> FhirInvalid:
    """One error at one element (404 when what it names is not found, else 422)."""
    return FhirInvalid([Issue("error", code, diagnostics, expression)], 404 if code == "not-found" else 422)


@dataclass(frozen=True)
class Subject:
    """Whom a resource is about: a Serment ref (`Patient/<ref>`) or a bundle entry (`urn:uuid:...`)."""

    reference: str

    @property
    def ref(self) -> str | None:
        """The person's ref when the reference names a stored Patient."""
        return self.reference.removeprefix("Patient/") if self.reference.startswith("Patient/") else None


@dataclass(frozen=True)
class Mapped:
    """What a resource maps to, with informational notes for the sender, and the element that
    carried each field ("person.phone": "Patient.telecom[1]"), to locate what the policy refuses."""

    value: Any
    notes: tuple[Issue, ...] = field(default_factory=tuple)
    elements: Mapping[str, str] = field(default_factory=dict)


def validate(kind: type[BaseModel], data: Any, where: str) -> Any:
    """The resource as its R4B model, or FhirInvalid (400) with each error at its FHIRPath."""
    name = kind.__name__
    if not isinstance(data, dict) or data.get("resourceType") != name:
        found = data.get("resourceType") if isinstance(data, dict) else type(data).__name__
        raise FhirInvalid(
            [Issue("error", "structure", f"expected a {name} resource, got {found}", where)], 400
        )
    try:
        return kind.model_validate(data)
    except ValidationError as error:
        issues = [
            Issue("error", "structure", str(problem["msg"]), fhirpath(where, problem["loc"]))
            for problem in error.errors()
        ]
        raise FhirInvalid(issues, 400) from None


def fhirpath(root: str, location: Sequence[int | str]) -> str:
    """`('identifier', 0, 'value')` under `Patient` as `Patient.identifier[0].value`."""
    path = root
    for part in location:
        path += f"[{part}]" if isinstance(part, int) else f".{part}"
    return path


def patient_details(patient: Patient | RelatedPerson, today: date, where: str = "Patient") -> Mapped:
    """The person's details (Mapped.value: PersonDetails) from a Patient or a RelatedPerson."""
    notes: list[Issue] = []
    nir, nir_at = _nir(patient, where)
    name = _name(patient)
    family = (name.family or "") if name is not None else ""
    given = " ".join(name.given or []) if name is not None else ""
    if _is_synthea(patient):
        # Synthea suffixes names with digits to keep them unique; Serment names hold letters only.
        stripped = (re.sub(r"\d+", "", family), re.sub(r"\d+", "", given))
        if stripped != (family, given):
            notes.append(Issue("information", "informational", "Synthea digits removed from the name", where))
            family, given = stripped
    problems: list[Issue] = []
    if name is None:
        problems.append(
            Issue("error", "required", "Serment needs the person's family and given names", where)
        )
    if patient.birthDate is None:
        problems.append(Issue("error", "required", "Serment needs the birth date", f"{where}.birthDate"))
    if patient.gender is None:
        problems.append(Issue("error", "required", "Serment needs the gender", f"{where}.gender"))
    if problems:
        raise FhirInvalid(problems)
    birth = patient.birthDate
    address, address_at = _address(patient, where)
    phone, phone_at = _telecom(patient, "phone", where)
    email, email_at = _telecom(patient, "email", where)
    elements = {"person.nir": nir_at, "person.address": address_at, "person.phone": phone_at}
    elements["person.email"] = email_at
    try:
        details = person_details(
            nir=nir, family_name=family, given_names=given,
            birth_date=birth.isoformat() if isinstance(birth, date) else str(birth),
            sex=GENDERS.get(str(patient.gender), str(patient.gender)),
            address=address, phone=phone, email=email, today=today,
        )  # fmt: skip
    except (IdentityError, IdentityErrors) as error:
        raise FhirInvalid(
            [
                Issue(
                    "error",
                    "value",
                    str(problem),
                    nir_at
                    if problem.field == "nir"
                    else f"{where}.{IDENTITY_ELEMENTS.get(problem.field, '')}",
                )
                for problem in error.errors
            ]
        ) from None
    return Mapped(details, tuple(notes), elements)


def result_input(observation: Observation, today: date, where: str = "Observation") -> Mapped:
    """(Subject, ResultInput) of a SARS-CoV-2 result, or FhirInvalid naming what Serment needs."""
    subject = _subject(observation.subject, f"{where}.subject")
    loinc, test_type = _test(observation, where)
    if observation.status not in STORED_STATUSES:
        raise invalid(
            f"{where}.status",
            f"Serment stores results whose status is {', '.join(STORED_STATUSES)}, not {observation.status}",
        )
    sample = _day(observation.effectiveDateTime) or _day(
        observation.effectivePeriod.start if observation.effectivePeriod else None
    )
    if sample is None:
        raise invalid(
            f"{where}.effective[x]", "Serment needs the sampling date (effectiveDateTime)", "required"
        )
    issued = _day(observation.issued)
    result = ResultInput(
        sample_date=sample,
        result_date=issued if issued is not None and issued >= sample else None,
        test_type=test_type,
        value=_value(observation, where),
        loinc=loinc,
    )
    elements = {"sample_date": "effectiveDateTime", "result_date": "issued", "value": "value[x]"}
    _raise(check_result(result, today, where), where, elements)
    notes = (
        [Issue("information", "informational", NOTE_NOT_STORED, f"{where}.note")] if observation.note else []
    )
    carried = {"result.result_date": f"{where}.issued", "result.loinc": f"{where}.code"}
    return Mapped((subject, result), tuple(notes), carried)


def is_sars_cov_2_result(observation: dict[str, Any]) -> bool:
    """Whether an Observation (as JSON) carries a LOINC code of a SARS-CoV-2 test Serment knows."""
    codings = (observation.get("code") or {}).get("coding") or []
    return any(
        isinstance(c, dict) and c.get("system") == LOINC and c.get("code") in SARS_COV_2_TESTS
        for c in codings
    )


def case_input(condition: Condition, today: date, where: str = "Condition") -> Mapped:
    """(Subject, CaseInput) of a COVID-19 Condition, or FhirInvalid naming what Serment needs."""
    subject = _subject(condition.subject, f"{where}.subject")
    status = _case_status(condition)
    if status is None:
        raise invalid(
            f"{where}.code",
            "Serment takes COVID-19 conditions only: SNOMED CT 840539006 (confirmed) "
            "or 840544004 (suspected)",
            "code-invalid",
        )
    verification = _codes(condition.verificationStatus)
    if verification & {"refuted", "entered-in-error"}:
        raise invalid(f"{where}.verificationStatus", "a refuted or mistaken condition is not a case")
    onset = _day(condition.onsetDateTime) or _day(
        condition.onsetPeriod.start if condition.onsetPeriod else None
    )
    if onset is None:
        raise invalid(f"{where}.onset[x]", "Serment needs the onset date (onsetDateTime)", "required")
    texts = [str(note.text).strip() for note in condition.note or [] if note.text and str(note.text).strip()]
    case = CaseInput(
        status=status, onset_date=onset, asymptomatic=False, hospitalised=False,
        notes="\n\n".join(texts) or None,
    )  # fmt: skip
    _raise(check_case(case, today, where), where, {"onset_date": "onsetDateTime", "notes": "note"})
    return Mapped((subject, case), elements={"case.notes": f"{where}.note"})


def is_covid_condition(condition: dict[str, Any]) -> bool:
    """Whether a Condition (as JSON) is coded as confirmed or suspected COVID-19."""
    codings = (condition.get("code") or {}).get("coding") or []
    return any(isinstance(c, dict) and c.get("code") in CASE_CODES for c in codings)


def contact_input(related: RelatedPerson, today: date, where: str = "RelatedPerson") -> Mapped:
    """(Subject of the index case, ContactInput) from a RelatedPerson of Serment's contact profile."""
    index = _subject(related.patient, f"{where}.patient")
    exposures = [e for e in related.extension or [] if e.url == EXPOSURE_EXTENSION]
    if len(exposures) != 1:
        raise invalid(
            f"{where}.extension",
            f"Serment needs one extension {EXPOSURE_EXTENSION} with the exposure's date and setting",
            "required",
        )
    at = f"{where}.extension('{EXPOSURE_EXTENSION}')"
    parts = {part.url: part for part in exposures[0].extension or []}
    start, end = _exposure_dates(parts.get("date"), at)
    roles = _codes_of_system(related.relationship, ROLE_CODE)
    setting_part = parts.get("setting")
    setting = setting_part.valueCode if setting_part is not None else None
    setting = setting or next((ROLE_SETTINGS[r] for r in roles if r in ROLE_SETTINGS), None)
    if setting is None:
        raise invalid(
            f"{at}.extension('setting')", "Serment needs the exposure's setting (valueCode)", "required"
        )
    duration, place, proximity, note = (
        parts.get(name) for name in ("duration", "place", "proximity", "note")
    )
    exposure = ExposureInput(
        date_from=start, date_to=end, setting=str(setting),
        place_id=place.valueString if place is not None else None,
        proximity=proximity.valueCode if proximity is not None else None,
        duration_minutes=duration.valueInteger if duration is not None else None,
        notes=note.valueString if note is not None else None,
    )  # fmt: skip
    person = patient_details(related, today, where)
    contact = ContactInput(person.value, exposure)
    elements = {f"exposure.{field}": f"{at}.extension('{part}')" for field, part in EXPOSURE_PARTS.items()}
    issues = [
        Issue("error", "business-rule", message, elements.get(location.removeprefix("contact.0."), at))
        for location, message in check_contacts(None, [contact], today, "contact")
    ]
    if issues:
        raise FhirInvalid(issues)
    return Mapped((index, contact), person.notes, {**person.elements, **elements})


def _raise(problems: list[tuple[str, str]], where: str, elements: dict[str, str]) -> None:
    issues = []
    for location, message in problems:
        local = location.removeprefix(f"{where}.")
        issues.append(Issue("error", "business-rule", message, f"{where}.{elements.get(local, local)}"))
    if issues:
        raise FhirInvalid(issues)


def _nir(person: Patient | RelatedPerson, where: str) -> tuple[str | None, str]:
    for number, identifier in enumerate(person.identifier or []):
        if identifier.system == NIR_SYSTEM:
            return identifier.value, f"{where}.identifier[{number}].value"
    return None, f"{where}.identifier"


def _is_synthea(person: Patient | RelatedPerson) -> bool:
    return any(identifier.system == SYNTHEA_SYSTEM for identifier in person.identifier or [])


def _name(person: Patient | RelatedPerson) -> Any:
    names = person.name or []
    official = [name for name in names if name.use == "official"]
    chosen = (official or names)[0] if names else None
    return chosen if chosen is not None and (chosen.family or chosen.given) else None


def _address(person: Patient | RelatedPerson, where: str) -> tuple[Address | None, str]:
    for number, address in enumerate(person.address or []):
        if address.line and address.postalCode and address.city:
            line = ", ".join(str(line) for line in address.line)
            return Address(line, address.postalCode, address.city), f"{where}.address[{number}]"
    return None, f"{where}.address"


def _telecom(person: Patient | RelatedPerson, system: str, where: str) -> tuple[str | None, str]:
    for number, telecom in enumerate(person.telecom or []):
        if telecom.system == system and telecom.value:
            return telecom.value, f"{where}.telecom[{number}]"
    return None, f"{where}.telecom"


def _subject(reference: Any, where: str) -> Subject:
    text = reference.reference if reference is not None else None
    if not text:
        raise invalid(
            where, "Serment needs the reference to the Patient (Patient/<id> or urn:uuid:...)", "required"
        )
    text = str(text)
    if text.startswith("urn:uuid:") or text.startswith("Patient/"):
        return Subject(text)
    raise invalid(f"{where}.reference", f"{text} is not a Patient reference (Patient/<id> or urn:uuid:...)")


def _test(observation: Observation, where: str) -> tuple[str, str]:
    for coding in observation.code.coding or []:
        if coding.system == LOINC and coding.code in SARS_COV_2_TESTS:
            return str(coding.code), SARS_COV_2_TESTS[str(coding.code)]
    raise invalid(
        f"{where}.code",
        "Serment takes SARS-CoV-2 results only: a LOINC code among " + ", ".join(sorted(SARS_COV_2_TESTS)),
        "code-invalid",
    )


def _value(observation: Observation, where: str) -> str:
    concepts = [observation.valueCodeableConcept, *(observation.interpretation or [])]
    for concept in concepts:
        for coding in (concept.coding or []) if concept is not None else []:
            value = RESULT_VALUES.get((str(coding.system), str(coding.code)))
            if value is not None:
                return value
    raise invalid(
        f"{where}.value[x]",
        "Serment needs the outcome as valueCodeableConcept (or interpretation): SNOMED CT 260373001 "
        "Detected, 260415000 Not detected or 419984006 Inconclusive",
        "required",
    )


def _case_status(condition: Condition) -> str | None:
    for coding in condition.code.coding or [] if condition.code is not None else []:
        if coding.system == SNOMED and coding.code in CASE_CODES:
            return CASE_CODES[str(coding.code)]
    return None


def _exposure_dates(part: Extension | None, at: str) -> tuple[date, date]:
    if part is not None and part.valueDate is not None:
        return part.valueDate, part.valueDate
    if part is not None and part.valuePeriod is not None:
        start, end = _day(part.valuePeriod.start), _day(part.valuePeriod.end or part.valuePeriod.start)
        if start is not None and end is not None:
            return start, end
    raise invalid(
        f"{at}.extension('date')", "Serment needs the exposure's date (valueDate or valuePeriod)", "required"
    )


def _codes(concept: Any) -> set[str]:
    return {str(c.code) for c in (concept.coding or [])} if concept is not None else set()


def _codes_of_system(concepts: Any, system: str) -> set[str]:
    return {str(c.code) for concept in concepts or [] for c in concept.coding or [] if c.system == system}


def _day(value: Any) -> date | None:
    # FHIR dateTimes keep the sender's offset; the day is the day where the sample was taken.
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return None
