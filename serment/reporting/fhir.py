"""FHIR use cases: a result or a case for a person already registered, a Bundle of Patients,
results, cases and contacts (a transaction in one platform transaction, a batch entry by entry),
and a person's own export. The mapping itself is in `fhir_mapping`."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from fhir.resources.R4B.condition import Condition
from fhir.resources.R4B.observation import Observation
from fhir.resources.R4B.patient import Patient
from fhir.resources.R4B.relatedperson import RelatedPerson
from sqlalchemy import select
from sqlalchemy.orm import Session

from serment.access import NoSuchPerson, Platform, Refused, Request, guard
from serment.people import (
    IdentityUnavailable,
    PersonConflict,
    PersonDetails,
    PersonRecord,
    open_person,
    register_in,
    touch_person,
)
from serment.policy import Policy, refusal
from serment.reporting.cases import store_case
from serment.reporting.exposures import store_contacts
from serment.reporting.fhir_mapping import (
    FhirInvalid,
    Issue,
    Subject,
    case_input,
    contact_input,
    invalid,
    is_covid_condition,
    is_sars_cov_2_result,
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
from serment.reporting.minimisation import (
    case_fields,
    exposure_fields,
    person_fields,
    result_fields,
    withheld,
)
from serment.reporting.notes import case_notes
from serment.reporting.results import store_result
from serment.reporting.rules import (
    STATUSES,
    CaseInput,
    ContactInput,
    ExposureInput,
    ReportInvalid,
    ResultInput,
)
from serment.secrecy import IdentityError, IdentityErrors
from serment.store.tables import CaseRow, ExposureRow, ResultRow

# The element that carried each field, as {"person.phone": "Patient.telecom[1]"}, to locate refusals.
Elements = Mapping[str, str]

# What an entry of a batch may fail with, answered in its own response rather than the whole batch's.
ENTRY_ERRORS = (
    FhirInvalid, ReportInvalid, Refused, NoSuchPerson, IdentityError, IdentityErrors, PersonConflict,
    IdentityUnavailable,
)  # fmt: skip
KINDS = {"Patient": "patient", "Observation": "result", "Condition": "case", "RelatedPerson": "contact"}


@dataclass
class Entry:
    """One bundle entry as planned: what it maps to, and how it ended."""

    index: int
    resource_type: str
    full_url: str | None
    kind: str
    value: Any = None
    notes: list[Issue] = field(default_factory=list)
    elements: Elements = field(default_factory=dict)
    error: Exception | None = None
    created: bool = False
    location: str | None = None

    @property
    def where(self) -> str:
        """The FHIRPath of the entry's resource."""
        return f"Bundle.entry[{self.index}].resource"


def report_result_for(
    platform: Platform, request: Request, ref: str, result: ResultInput, elements: Elements | None = None
) -> str:
    """Store a result for the person `ref`, who is already registered; returns the result's id.

    A field the policy does not allow is refused (FhirInvalid at its element in `elements`)."""
    _refuse(platform.policy, "result", {"result": result_fields(result)}, elements or {})

    def store(session: Session) -> str:
        access = guard(platform, session, request, "report", ref)
        now = platform.clock.now()
        touch_person(platform, session, access, now)
        return store_result(session, ref, result, request, now)

    return platform.run(store)


def report_case_for(
    platform: Platform, request: Request, ref: str, case: CaseInput, elements: Elements | None = None
) -> str:
    """Store a case for the person `ref`, who is already registered; returns the case's ref.

    A field the policy does not allow is refused (FhirInvalid at its element in `elements`)."""
    _refuse(platform.policy, "case", {"case": case_fields(case)}, elements or {})
    return platform.run(lambda session: _store_case(platform, session, request, ref, case))


def add_contact_for(
    platform: Platform, request: Request, ref: str, contact: ContactInput, elements: Elements | None = None
) -> str:
    """Register a contact of the person `ref` with their exposure; returns the contact's ref.

    A field the policy does not allow is refused (FhirInvalid at its element in `elements`)."""
    _refuse(platform.policy, "contact", _contact_parts(contact), elements or {})

    def store(session: Session) -> str:
        guard(platform, session, request, "report", ref)
        return store_contacts(platform, session, request, ref, [contact], at=platform.clock.now())[0]

    return platform.run(store)


def plan_bundle(data: dict[str, Any], today: date, policy: Policy) -> list[Entry]:
    """Map every entry of a Bundle (as JSON); entries Serment does not keep are marked ignored.

    Each entry's mapping problem, or the fields it carries that the policy does not allow, is kept
    on the entry (`error`), to be answered per entry (batch) or for the whole bundle (transaction).
    A Patient is held to the rules of the report it is part of: a case's when a Condition names it,
    else a result's when an Observation does; a Patient no kept entry names is only registered.
    """
    raw_entries = data.get("entry") or []
    if not isinstance(raw_entries, list):
        raise invalid("Bundle.entry", "the entries must be a list", "structure")
    entries = []
    for index, raw in enumerate(raw_entries):
        resource = raw.get("resource") if isinstance(raw, dict) else None
        kind_name = resource.get("resourceType") if isinstance(resource, dict) else None
        full_url = raw.get("fullUrl") if isinstance(raw, dict) else None
        entry = Entry(index, str(kind_name), full_url if isinstance(full_url, str) else None, "ignored")
        entries.append(entry)
        if not isinstance(resource, dict):
            entry.kind, entry.error = (
                "invalid",
                invalid(f"Bundle.entry[{index}]", "the entry has no resource", "required"),
            )
            continue
        kind = KINDS.get(str(kind_name))
        kept = (
            kind is not None
            and (kind != "result" or is_sars_cov_2_result(resource))
            and (kind != "case" or is_covid_condition(resource))
        )
        if not kept:
            entry.notes.append(Issue("information", "informational", _ignored(str(kind_name)), entry.where))
            continue
        entry.kind = str(kind)
        try:
            mapped = _map(str(kind), resource, today, entry.where)
        except FhirInvalid as error:
            entry.error = error
            continue
        entry.value = mapped.value
        entry.notes.extend(mapped.notes)
        entry.elements = mapped.elements
    _one_case_per_person(entries)
    _minimise(entries, policy)
    return entries


def run_transaction(platform: Platform, request: Request, entries: list[Entry]) -> list[Entry]:
    """Store every entry in one platform transaction, or nothing; the first problem is raised."""
    problems = [issue for e in entries if isinstance(e.error, FhirInvalid) for issue in e.error.issues]
    if problems:
        raise FhirInvalid(problems)

    def store(session: Session) -> list[Entry]:
        refs: dict[str, str] = {}
        for entry in _in_order(entries):
            _store_entry(platform, session, request, entry, refs)
        return entries

    return platform.run(store)


def run_batch(platform: Platform, request: Request, entries: list[Entry]) -> list[Entry]:
    """Store each entry on its own; an entry's failure is kept on it and stops nothing else."""
    refs: dict[str, str] = {}
    for entry in _in_order(entries):
        if entry.error is not None:
            continue
        try:
            platform.run(lambda session, entry=entry: _store_entry(platform, session, request, entry, refs))  # type: ignore[misc]
        except ENTRY_ERRORS as error:
            entry.error = error
    return entries


@dataclass(frozen=True)
class PersonExport:
    """Everything Serment holds on a person, for the person themself."""

    record: PersonRecord
    results: list[tuple[str, ResultInput]]
    cases: list[tuple[str, CaseInput]]
    contacts: list[tuple[str, ExposureInput]]


def export_person(platform: Platform, request: Request, ref: str) -> PersonExport:
    """The person's identity, results, cases and the contacts they named (without the contacts'
    identities, which are not theirs), for an actor the guard allows to export them."""

    def read(session: Session) -> PersonExport:
        access = guard(platform, session, request, "export", ref)
        record = open_person(platform, session, access)
        results = session.scalars(
            select(ResultRow).where(ResultRow.person_ref == ref).order_by(ResultRow.sample_date)
        )
        cases = session.scalars(
            select(CaseRow).where(CaseRow.person_ref == ref).order_by(CaseRow.reported_at)
        )
        exposures = session.scalars(
            select(ExposureRow).where(ExposureRow.person_ref == ref).order_by(ExposureRow.id)
        )
        return PersonExport(
            record,
            [
                (r.id, ResultInput(r.sample_date, r.result_date, r.test_type, r.value, r.loinc, r.lab))
                for r in results
            ],
            [
                (
                    c.ref,
                    CaseInput(
                        c.status,
                        c.onset_date,
                        c.asymptomatic,
                        c.hospitalised,
                        case_notes(platform, session, access, c),
                    ),
                )
                for c in cases
            ],
            [
                (
                    f"exposure-{e.id}",
                    ExposureInput(
                        e.date_from, e.date_to, e.setting, e.place_id, e.proximity, e.duration_minutes
                    ),
                )
                for e in exposures
            ],
        )

    return platform.run(read)


def everything_bundle(export: PersonExport) -> dict[str, Any]:
    """The person's export as FHIR R4 JSON: a searchset Bundle of their Patient, Observations,
    Conditions and the contacts they named (without the contacts' identities), for
    `Patient/{ref}/$everything` and the patient's download."""
    ref = export.record.ref
    resources = [patient_resource(ref, export.record.details)]
    resources += [observation_resource(rid, ref, result) for rid, result in export.results]
    resources += [condition_resource(cid, ref, case) for cid, case in export.cases]
    resources += [related_person_resource(eid, ref, exposure, None) for eid, exposure in export.contacts]
    entries = [
        {
            "fullUrl": f"{resource['resourceType']}/{resource['id']}",
            "resource": resource,
            "search": {"mode": "match" if number == 0 else "include"},
        }
        for number, resource in enumerate(resources)
    ]
    return {"resourceType": "Bundle", "type": "searchset", "total": 1, "entry": entries}


def _map(kind: str, resource: dict[str, Any], today: date, where: str) -> Any:
    mappers: dict[str, tuple[Any, Callable[..., Any]]] = {
        "patient": (Patient, patient_details),
        "result": (Observation, result_input),
        "case": (Condition, case_input),
        "contact": (RelatedPerson, contact_input),
    }
    model, mapper = mappers[kind]
    return mapper(validate(model, resource, where), today, where)


def _minimise(entries: list[Entry], policy: Policy) -> None:
    # A Patient's kind of report is known only once every entry naming it is mapped.
    named = {
        (entry.value[0].reference, entry.kind)
        for entry in entries
        if entry.kind in ("case", "result") and entry.error is None
    }
    for entry in entries:
        if entry.error is not None or entry.kind in ("ignored", "invalid"):
            continue
        kind, parts = entry.kind, _parts_of(entry)
        if kind == "patient":
            url = entry.full_url
            kind = "case" if (url, "case") in named else "result" if (url, "result") in named else ""
        if kind:
            issues = _withheld_issues(policy, kind, parts, entry.elements)
            if issues:
                entry.error = FhirInvalid(issues)


def _parts_of(entry: Entry) -> dict[str, tuple[str, ...]]:
    if entry.kind == "patient":
        return {"person": person_fields(entry.value)}
    value = entry.value[1]
    if entry.kind == "case":
        return {"case": case_fields(value)}
    if entry.kind == "result":
        return {"result": result_fields(value)}
    return _contact_parts(value)


def _contact_parts(contact: ContactInput) -> dict[str, tuple[str, ...]]:
    return {"person": person_fields(contact.person), "exposure": exposure_fields(contact.exposure)}


def _withheld_issues(
    policy: Policy, kind: str, parts: Mapping[str, tuple[str, ...]], elements: Elements
) -> list[Issue]:
    """An issue for each field the policy does not allow, at the element that carried it."""
    return [
        Issue(
            "error", "business-rule", refusal(policy.name, kind, part, name),
            elements.get(f"{part}.{name}", f"{part}.{name}"),
        )
        for part, carried in parts.items()
        for name in withheld(policy, kind, part, carried)
    ]  # fmt: skip


def _refuse(policy: Policy, kind: str, parts: Mapping[str, tuple[str, ...]], elements: Elements) -> None:
    issues = _withheld_issues(policy, kind, parts, elements)
    if issues:
        raise FhirInvalid(issues)


def _ignored(resource_type: str) -> str:
    if resource_type == "Observation":
        return "not stored: Serment keeps SARS-CoV-2 results only (see GET /fhir/metadata)"
    if resource_type == "Condition":
        return "not stored: Serment keeps COVID-19 conditions (SNOMED CT 840539006, 840544004) only"
    return f"not stored: Serment keeps no {resource_type}"


def _one_case_per_person(entries: list[Entry]) -> None:
    # A bundle with a suspected and a confirmed case for one person reports one case: the surest.
    best: dict[str, Entry] = {}
    for entry in entries:
        if entry.kind != "case" or entry.error is not None:
            continue
        subject, case = entry.value
        kept = best.get(subject.reference)
        if kept is None or STATUSES.index(case.status) > STATUSES.index(kept.value[1].status):
            if kept is not None:
                _drop(kept, f"superseded by the {case.status} case of entry {entry.index}")
            best[subject.reference] = entry
        else:
            _drop(entry, f"superseded by the {kept.value[1].status} case of entry {kept.index}")


def _drop(entry: Entry, why: str) -> None:
    entry.kind = "ignored"
    entry.notes.append(Issue("information", "informational", f"not stored: {why}", entry.where))


def _in_order(entries: list[Entry]) -> list[Entry]:
    # Patients first, so that the other entries can name them by their urn:uuid fullUrl.
    kept = [entry for entry in entries if entry.kind not in ("ignored", "invalid")]
    return sorted(kept, key=lambda entry: (entry.kind != "patient", entry.index))


def _store_entry(
    platform: Platform, session: Session, request: Request, entry: Entry, refs: dict[str, str]
) -> None:
    if entry.kind == "patient":
        details: PersonDetails = entry.value
        registered = register_in(platform, session, request, details)
        if entry.full_url is not None:
            refs[entry.full_url] = registered.ref
        entry.created, entry.location = registered.created, f"Patient/{registered.ref}"
        return
    subject, value = entry.value
    ref = _resolve(subject, refs, entry.where)
    now = platform.clock.now()
    if entry.kind == "result":
        access = guard(platform, session, request, "report", ref)
        touch_person(platform, session, access, now)
        entry.location = f"Observation/{store_result(session, ref, value, request, now)}"
    elif entry.kind == "case":
        entry.location = f"Condition/{_store_case(platform, session, request, ref, value)}"
    else:
        guard(platform, session, request, "report", ref)
        contact = store_contacts(platform, session, request, ref, [value], at=now)[0]
        entry.location = f"Patient/{contact}"
    entry.created = True


def _resolve(subject: Subject, refs: dict[str, str], where: str) -> str:
    if subject.ref is not None:
        return subject.ref
    if subject.reference in refs:
        return refs[subject.reference]
    raise invalid(where, f"{subject.reference} names no Patient stored from this bundle", "not-found")


def _store_case(platform: Platform, session: Session, request: Request, ref: str, case: CaseInput) -> str:
    access = guard(platform, session, request, "report", ref)
    now = platform.clock.now()
    touch_person(platform, session, access, now)
    return store_case(platform, session, access, case, at=now)
