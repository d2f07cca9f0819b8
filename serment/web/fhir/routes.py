"""FHIR R4 endpoints: Patients, SARS-CoV-2 results, COVID-19 cases, contacts and Bundles in;
a person's own record out. JSON is mapped by `serment.reporting.fhir_mapping`, stored by the
reporting services; errors are OperationOutcomes (see outcomes.py)."""

from __future__ import annotations

from http import HTTPStatus
from typing import Annotated, Any

from fastapi import APIRouter, Body, Path
from fhir.resources.R4B.condition import Condition
from fhir.resources.R4B.observation import Observation
from fhir.resources.R4B.patient import Patient
from fhir.resources.R4B.relatedperson import RelatedPerson

from serment import __version__
from serment.people import read_person, register_person
from serment.reporting.fhir import (
    add_contact_for,
    everything_bundle,
    export_person,
    plan_bundle,
    report_case_for,
    report_result_for,
    run_batch,
    run_transaction,
)
from serment.reporting.fhir_mapping import (
    EXPOSURE_EXTENSION,
    FhirInvalid,
    Issue,
    Subject,
    case_input,
    contact_input,
    invalid,
    patient_details,
    result_input,
    validate,
)
from serment.reporting.fhir_resources import (
    condition_resource,
    observation_resource,
    patient_resource,
    related_person_resource,
)
from serment.web.auth import Caller
from serment.web.dependencies import CurrentInstallation
from serment.web.fhir.outcomes import (
    FHIR_MEDIA_TYPE,
    OUTCOME_RESPONSES,
    FhirResponse,
    operation_outcome,
    outcome_of,
)
from serment.web.grants import PUBLIC, granted

router = APIRouter(
    prefix="/fhir", tags=["fhir"], default_response_class=FhirResponse, responses=OUTCOME_RESPONSES
)
Resource = Annotated[dict[str, Any], Body(media_type=FHIR_MEDIA_TYPE, description="A FHIR R4 resource.")]
# A person's ref, as the API's /people/{ref} takes it: anything else names no one, and a longer
# id overflowed the audit log's subject and failed with a 500 (found by fuzzing).
Id = Annotated[str, Path(pattern=r"^[a-z2-7]{26}$", description="The person's ref.")]
STATUS_LINES = {200: "200 OK", 201: "201 Created"}


@router.get("/metadata", openapi_extra=PUBLIC, summary="FHIR CapabilityStatement")
def get_metadata() -> FhirResponse:
    """What this server supports; no token needed."""
    return FhirResponse(_capability_statement())


@router.post(
    "/Patient",
    openapi_extra=granted("register", on_person=False),
    status_code=HTTPStatus.CREATED,
    summary="Register a Patient, or find them",
    responses={HTTPStatus.OK: {"description": "Already registered: the Patient found."}},
)
def post_patient(body: Resource, caller: Caller, installation: CurrentInstallation) -> FhirResponse:
    """201 with the Patient (id = the person's ref) when new, 200 when already registered."""
    platform = installation.platform
    details = patient_details(validate(Patient, body, "Patient"), platform.clock.now().date()).value
    registered = register_person(platform, caller, details)
    status = HTTPStatus.CREATED if registered.created else HTTPStatus.OK
    headers = {"Location": f"/fhir/Patient/{registered.ref}"}
    return FhirResponse(patient_resource(registered.ref, details), status_code=status, headers=headers)


@router.get("/Patient/{ref}", openapi_extra=granted("read"), summary="Read a Patient")
def get_patient(ref: Id, caller: Caller, installation: CurrentInstallation) -> FhirResponse:
    """The person's identity and contact details, for an actor the guard allows to read them."""
    record = read_person(installation.platform, caller, ref)
    return FhirResponse(patient_resource(record.ref, record.details))


@router.get(
    "/Patient/{ref}/$everything",
    openapi_extra=granted("export"),
    summary="Everything Serment holds on a patient, for them",
)
def get_everything(ref: Id, caller: Caller, installation: CurrentInstallation) -> FhirResponse:
    """The patient's own export (role patient, purpose self): Patient, Observations, Conditions and
    the contacts they named, as a searchset Bundle."""
    return FhirResponse(everything_bundle(export_person(installation.platform, caller, ref)))


@router.post(
    "/Observation",
    openapi_extra=granted("report"),
    status_code=HTTPStatus.CREATED,
    summary="Report a SARS-CoV-2 result",
)
def post_observation(body: Resource, caller: Caller, installation: CurrentInstallation) -> FhirResponse:
    """A result for the Patient `subject` names (Patient/<ref>, registered beforehand)."""
    platform = installation.platform
    mapped = result_input(validate(Observation, body, "Observation"), platform.clock.now().date())
    subject, result = mapped.value
    ref = _stored(subject, "Observation.subject")
    result_id = report_result_for(platform, caller, ref, result, mapped.elements)
    return _created(observation_resource(result_id, ref, result))


@router.post(
    "/Condition",
    openapi_extra=granted("report"),
    status_code=HTTPStatus.CREATED,
    summary="Report a COVID-19 case",
)
def post_condition(body: Resource, caller: Caller, installation: CurrentInstallation) -> FhirResponse:
    """A confirmed (840539006) or suspected (840544004) case of the Patient `subject` names."""
    platform = installation.platform
    mapped = case_input(validate(Condition, body, "Condition"), platform.clock.now().date())
    subject, case = mapped.value
    ref = _stored(subject, "Condition.subject")
    return _created(
        condition_resource(report_case_for(platform, caller, ref, case, mapped.elements), ref, case)
    )


@router.post(
    "/RelatedPerson",
    openapi_extra=granted("report", requires=("register",)),
    status_code=HTTPStatus.CREATED,
    summary="Add a contact of a Patient",
)
def post_related_person(body: Resource, caller: Caller, installation: CurrentInstallation) -> FhirResponse:
    """A contact (Serment's RelatedPerson profile) of the index case `patient` names."""
    platform = installation.platform
    mapped = contact_input(validate(RelatedPerson, body, "RelatedPerson"), platform.clock.now().date())
    index, contact = mapped.value
    ref = _stored(index, "RelatedPerson.patient")
    contact_ref = add_contact_for(platform, caller, ref, contact, mapped.elements)
    resource = related_person_resource(contact_ref, ref, contact.exposure, contact.person)
    return _created(resource)


@router.post(
    "", openapi_extra=granted("report", requires=("register",)), summary="A transaction or batch Bundle"
)
def post_bundle(body: Resource, caller: Caller, installation: CurrentInstallation) -> FhirResponse:
    """Patients, SARS-CoV-2 results, COVID-19 cases and contacts; other resources are ignored.

    A transaction stores all or nothing, in one transaction; a batch stores each entry on its own.
    """
    if body.get("resourceType") != "Bundle" or body.get("type") not in ("transaction", "batch"):
        raise FhirInvalid(
            [
                Issue(
                    "error",
                    "not-supported",
                    "Serment takes a Bundle of type transaction or batch",
                    "Bundle.type",
                )
            ],
            400,
        )
    platform = installation.platform
    entries = plan_bundle(body, platform.clock.now().date(), platform.policy)
    kind = str(body["type"])
    if kind == "transaction":
        run_transaction(platform, caller, entries)
    else:
        run_batch(platform, caller, entries)
    answers = []
    for entry in entries:
        if entry.error is not None:
            status, issues = outcome_of(entry.error, entry.where)
        else:
            status, issues = (201 if entry.created else 200), []
        issues = issues + entry.notes
        response: dict[str, Any] = {"status": STATUS_LINES.get(status, str(status))}
        if entry.location is not None:
            response["location"] = entry.location
        if issues:
            response["outcome"] = operation_outcome(issues)
        answers.append({"response": response})
    return FhirResponse({"resourceType": "Bundle", "type": f"{kind}-response", "entry": answers})


def _stored(subject: Subject, where: str) -> str:
    if subject.ref is None:
        raise invalid(where, "outside a Bundle, name a registered Patient as Patient/<id>", "not-found")
    return subject.ref


def _created(resource: dict[str, Any]) -> FhirResponse:
    headers = {"Location": f"/fhir/{resource['resourceType']}/{resource['id']}"}
    return FhirResponse(resource, status_code=HTTPStatus.CREATED, headers=headers)


def _capability_statement() -> dict[str, Any]:
    def interactions(*codes: str) -> list[dict[str, str]]:
        return [{"code": code} for code in codes]

    return {
        "resourceType": "CapabilityStatement",
        "status": "active",
        "date": "2026-03-01",
        "kind": "instance",
        "software": {"name": "Serment", "version": __version__},
        "fhirVersion": "4.0.1",
        "format": [FHIR_MEDIA_TYPE],
        "rest": [
            {
                "mode": "server",
                "security": {"description": "Authorization: Bearer <token> from `serment token create`; "
                             "the purpose in the Serment-Purpose header when the role has several."},
                "resource": [
                    {"type": "Patient", "interaction": interactions("create", "read"),
                     "operation": [{"name": "everything",
                                    "definition": "http://hl7.org/fhir/OperationDefinition/Patient-everything"}]},
                    {"type": "Observation", "interaction": interactions("create"),
                     "documentation": "SARS-CoV-2 results (LOINC), for a registered Patient"},
                    {"type": "Condition", "interaction": interactions("create"),
                     "documentation": "COVID-19: SNOMED CT 840539006 confirmed, 840544004 suspected"},
                    {"type": "RelatedPerson", "interaction": interactions("create"),
                     "documentation": f"a contact of a case, with the extension {EXPOSURE_EXTENSION}"},
                ],
                "interaction": [{"code": "transaction"}, {"code": "batch"}],
            }
        ],
    }  # fmt: skip
