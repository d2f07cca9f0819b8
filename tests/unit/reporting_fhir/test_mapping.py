"""The FHIR mapping as tables: LOINC codes to test types, coded outcomes to values, COVID-19
conditions to case statuses, the contact profile round trip, and errors located by FHIRPath."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from fhir.resources.R4B.condition import Condition
from fhir.resources.R4B.observation import Observation
from fhir.resources.R4B.patient import Patient
from fhir.resources.R4B.relatedperson import RelatedPerson

from serment.people import person_details
from serment.reporting import CaseInput, ContactInput, ExposureInput
from serment.reporting.fhir_mapping import (
    SARS_COV_2_TESTS,
    FhirInvalid,
    Subject,
    case_input,
    contact_input,
    fhirpath,
    patient_details,
    result_input,
    validate,
)
from serment.reporting.fhir_resources import condition_resource, related_person_resource

TODAY = date(2026, 3, 2)
NIR = "285057800608441"


def _observation(loinc: str, value: dict[str, Any]) -> Observation:
    return Observation.model_validate(
        {
            "resourceType": "Observation",
            "status": "final",
            "code": {"coding": [{"system": "http://loinc.org", "code": loinc}]},
            "subject": {"reference": "Patient/abc"},
            "effectiveDateTime": "2026-02-27T23:30:00-08:00",
            **value,
        }
    )


def _snomed(code: str) -> dict[str, Any]:
    return {"valueCodeableConcept": {"coding": [{"system": "http://snomed.info/sct", "code": code}]}}


@pytest.mark.parametrize(
    ("loinc", "test_type"),
    [
        ("94500-6", "rt-pcr"), ("94531-1", "rt-pcr"), ("94309-2", "rt-pcr"), ("94534-5", "rt-pcr"),
        ("94746-5", "rt-pcr"), ("94533-7", "rt-pcr"), ("94559-2", "rt-pcr"), ("94565-9", "rt-pcr"),
        ("94759-8", "rt-pcr"), ("94760-6", "rt-pcr"), ("94845-5", "rt-pcr"), ("95406-5", "rt-pcr"),
        ("95409-9", "rt-pcr"), ("96448-6", "rt-pcr"), ("94558-4", "antigen"), ("95209-3", "antigen"),
        ("96119-3", "antigen"), ("94563-4", "serology"),
    ],
)  # fmt: skip
def test_each_sars_cov_2_loinc_code_has_its_test_type(loinc: str, test_type: str) -> None:
    assert SARS_COV_2_TESTS[loinc] == test_type
    subject, result = result_input(_observation(loinc, _snomed("260373001")), TODAY).value
    assert (subject, result.test_type, result.loinc) == (Subject("Patient/abc"), test_type, loinc)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (_snomed("260373001"), "positive"),
        (_snomed("260415000"), "negative"),
        (_snomed("419984006"), "indeterminate"),
        (
            {
                "valueQuantity": {"value": 24.5},
                "interpretation": [
                    {
                        "coding": [
                            {
                                "system": "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation",
                                "code": "POS",
                            }
                        ]
                    }
                ],
            },
            "positive",
        ),
    ],
)
def test_the_coded_outcome_becomes_the_result_value(value: dict[str, Any], expected: str) -> None:
    _, result = result_input(_observation("94500-6", value), TODAY).value
    assert result.value == expected
    assert result.sample_date == date(2026, 2, 27)  # the day where it was sampled, not in UTC


@pytest.mark.parametrize(("code", "status"), [("840539006", "confirmed"), ("840544004", "suspected")])
def test_covid_conditions_become_cases(code: str, status: str) -> None:
    condition = Condition.model_validate(
        {
            "resourceType": "Condition",
            "code": {"coding": [{"system": "http://snomed.info/sct", "code": code}]},
            "subject": {"reference": "urn:uuid:1"},
            "onsetDateTime": "2026-02-25",
        }
    )
    subject, case = case_input(condition, TODAY).value
    assert (subject.ref, case.status, case.onset_date) == (None, status, date(2026, 2, 25))


def test_an_unknown_test_is_refused_at_the_code() -> None:
    with pytest.raises(FhirInvalid) as refused:
        result_input(_observation("2345-7", _snomed("260373001")), TODAY)
    assert refused.value.issues[0].expression == "Observation.code"


def test_validation_errors_are_located_by_fhirpath() -> None:
    assert fhirpath("Patient", ("identifier", 0, "value")) == "Patient.identifier[0].value"
    with pytest.raises(FhirInvalid) as refused:
        validate(
            Patient, {"resourceType": "Patient", "identifier": [{"value": 5}]}, "Bundle.entry[2].resource"
        )
    assert refused.value.status == 400
    assert [issue.expression for issue in refused.value.issues] == [
        "Bundle.entry[2].resource.identifier[0].value"
    ]


def test_a_bad_nir_is_located_at_its_identifier() -> None:
    patient = Patient.model_validate(
        {
            "resourceType": "Patient",
            "identifier": [{"system": "urn:oid:1.2.250.1.213.1.4.8", "value": NIR[:-2] + "00"}],
            "name": [{"family": "Durand", "given": ["Élodie"]}],
            "gender": "female",
            "birthDate": "1985-05-12",
        }
    )
    with pytest.raises(FhirInvalid) as refused:
        patient_details(patient, TODAY)
    assert refused.value.issues[0].expression == "Patient.identifier[0].value"


def test_the_contact_profile_round_trips() -> None:
    person = person_details(
        nir=NIR, family_name="Durand", given_names="Élodie", birth_date="1985-05-12", sex="F",
        phone="+33612345678", today=TODAY,
    )  # fmt: skip
    exposure = ExposureInput(date(2026, 2, 24), date(2026, 2, 26), "work", "work-7", "close", 120)
    resource = related_person_resource("x", "abc", exposure, person)
    index, contact = contact_input(RelatedPerson.model_validate(resource), TODAY).value
    assert (index, contact) == (Subject("Patient/abc"), ContactInput(person, exposure))


def test_a_contact_without_the_exposure_extension_is_told_what_is_needed() -> None:
    resource = related_person_resource("x", "abc", ExposureInput(TODAY, TODAY, "household"), None)
    resource.update(
        {"name": [{"family": "Durand", "given": ["Paul"]}], "gender": "male", "birthDate": "2016-09-01"}
    )
    del resource["extension"]
    with pytest.raises(FhirInvalid) as refused:
        contact_input(RelatedPerson.model_validate(resource), TODAY)
    assert refused.value.issues[0].expression == "RelatedPerson.extension"


def test_notes_round_trip_through_the_condition_and_the_exposure_extension() -> None:
    case = CaseInput("confirmed", date(2026, 2, 25), False, False, "Lives with a frail grandmother.")
    subject, mapped = case_input(Condition.model_validate(condition_resource("c", "abc", case)), TODAY).value
    assert (subject, mapped) == (Subject("Patient/abc"), case)
    exposure = ExposureInput(date(2026, 2, 24), date(2026, 2, 26), "work", notes="Shares the night shift.")
    person = person_details(
        nir=None, family_name="Durand", given_names="Paul", birth_date="2016-09-01", sex="M", today=TODAY
    )
    resource = related_person_resource("x", "abc", exposure, person)
    assert contact_input(RelatedPerson.model_validate(resource), TODAY).value[1].exposure == exposure


def test_several_condition_notes_are_kept_as_one_text_and_a_result_note_is_not_stored() -> None:
    condition = Condition.model_validate(
        {
            "resourceType": "Condition",
            "code": {"coding": [{"system": "http://snomed.info/sct", "code": "840539006"}]},
            "subject": {"reference": "Patient/abc"},
            "onsetDateTime": "2026-02-25",
            "note": [{"text": "Deaf: call by text."}, {"text": " "}, {"text": "Works nights."}],
        }
    )
    assert case_input(condition, TODAY).value[1].notes == "Deaf: call by text.\n\nWorks nights."
    observation = _observation("94500-6", {**_snomed("260373001"), "note": [{"text": "haemolysed"}]})
    mapped = result_input(observation, TODAY)
    assert [(note.severity, note.expression) for note in mapped.notes] == [
        ("information", "Observation.note")
    ]
    assert "haemolysed" not in repr(mapped.value)


def test_too_long_notes_and_late_exposures_are_located_at_their_element() -> None:
    long = CaseInput("confirmed", date(2026, 2, 25), False, False, "x" * 1001)
    with pytest.raises(FhirInvalid) as refused:
        case_input(Condition.model_validate(condition_resource("c", "abc", long)), TODAY)
    assert [(i.expression, i.diagnostics) for i in refused.value.issues] == [
        ("Condition.note", "at most 1,000 characters (got 1,001)")
    ]
    late = ExposureInput(date(2026, 3, 5), date(2026, 3, 5), "household", notes="y" * 1001)
    resource = related_person_resource("x", "abc", late, person_details(
        nir=None, family_name="Durand", given_names="Paul", birth_date="2016-09-01", sex="M", today=TODAY
    ))  # fmt: skip
    with pytest.raises(FhirInvalid) as refused:
        contact_input(RelatedPerson.model_validate(resource), TODAY)
    at = "RelatedPerson.extension('https://serment.invalid/fhir/StructureDefinition/exposure')"
    assert [i.expression for i in refused.value.issues] == [
        f"{at}.extension('date')",
        f"{at}.extension('note')",
    ]


def test_the_mapping_says_which_element_carried_each_identifier() -> None:
    patient = Patient.model_validate(
        {
            "resourceType": "Patient",
            "identifier": [{"system": "urn:oid:1.2.250.1.213.1.4.8", "value": NIR}],
            "name": [{"family": "Durand", "given": ["Élodie"]}],
            "gender": "female",
            "birthDate": "1985-05-12",
            "telecom": [{"system": "fax", "value": "0400"}, {"system": "email", "value": "e@durand.example"}],
            "address": [{"city": "Lyon"}, {"line": ["1 rue A"], "postalCode": "69003", "city": "Lyon"}],
        }
    )
    elements = patient_details(patient, TODAY).elements
    assert elements == {
        "person.nir": "Patient.identifier[0].value",
        "person.address": "Patient.address[1]",
        "person.phone": "Patient.telecom",
        "person.email": "Patient.telecom[1]",
    }
