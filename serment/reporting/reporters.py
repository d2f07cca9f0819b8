"""What one reporter sent, for their own pages: their case reports newest first, one report as it was
stored, and their patients (the people they reported a case or a result for) found by NIR or by family
name and birth date.

Every name shown is a `read` of that person through the guard, audited. A report or a person that is
not the caller's is refused as if it did not exist (404), and the refusal is audited too.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from http import HTTPStatus

from sqlalchemy import exists, func, select
from sqlalchemy.orm import Session
from sqlalchemy.sql import ColumnElement

from serment.access import Access, Platform, Refused, Request, authorise, guard
from serment.people import IdentityUnavailable, PersonDetails, open_person
from serment.people.lookup import refs_by_family_and_birth, refs_by_nir
from serment.store.tables import CaseRow, ExposureRow, PersonRow, ResultRow

READ = "read"
# Patients a lookup shows at most: a family name and a birth date seldom name more than one.
MAX_FOUND = 20


@dataclass(frozen=True)
class Name:
    """How a person was reported: their names and birth date; None fields once their identity has
    expired or been erased."""

    ref: str
    family_name: str | None
    given_names: str | None
    birth_date: date | None
    sex: str | None = None


@dataclass(frozen=True)
class ReportLine:
    """One of the caller's case reports, for their list."""

    case: str
    patient: Name
    status: str
    reported_at: datetime
    contacts: int


@dataclass(frozen=True)
class ReportPage:
    """A page of the caller's reports, newest first; `has_next` when an older page exists."""

    items: tuple[ReportLine, ...]
    has_next: bool


@dataclass(frozen=True)
class StoredResult:
    """A result stored with a report."""

    ref: str
    sample_date: date
    result_date: date | None
    test_type: str
    value: str


@dataclass(frozen=True)
class StoredContact:
    """A contact named in a report, and their exposure."""

    person: Name
    date_from: date
    date_to: date
    setting: str


@dataclass(frozen=True)
class StoredReport:
    """One report as it was stored: refs, the case, the result and the contacts, with no more of
    anyone's identity than the report itself carried (names and birth dates)."""

    case: str
    patient: Name
    status: str
    onset_date: date | None
    asymptomatic: bool
    hospitalised: bool
    reported_at: datetime
    results: tuple[StoredResult, ...]
    contacts: tuple[StoredContact, ...]


def list_own_reports(platform: Platform, request: Request, *, limit: int = 50, offset: int = 0) -> ReportPage:
    """The caller's case reports, newest first, each with the patient's name (read through the guard)
    and the number of contacts it named; read from the index of cases by reporter."""

    def read(session: Session) -> ReportPage:
        authorise(platform, session, request, READ, None)
        actor = request.actor.name
        rows = session.execute(
            select(CaseRow.ref, CaseRow.person_ref, CaseRow.status, CaseRow.reported_at)
            .where(CaseRow.reported_by == actor)
            .order_by(CaseRow.reported_at.desc(), CaseRow.ref.desc())
            .limit(limit + 1)
            .offset(offset)
        ).all()
        shown = rows[:limit]
        names = _names(platform, session, request, {row.person_ref for row in shown})
        counts = _contact_counts(session, actor, {row.person_ref for row in shown})
        items = tuple(
            ReportLine(
                row.ref, names[row.person_ref], row.status, row.reported_at,
                counts.get((row.person_ref, row.reported_at), 0),
            )
            for row in shown
        )  # fmt: skip
        return ReportPage(items, has_next=len(rows) > limit)

    return platform.run(read)


def read_own_report(platform: Platform, request: Request, case_ref: str) -> StoredReport:
    """The report of the case `case_ref` as it was stored, if the caller sent it; else Refused (404).
    Names are read (through the guard) only for a caller whose role may read identities: a laboratory
    that reported a case gets its refs and facts."""

    def read(session: Session) -> StoredReport:
        case = session.get(CaseRow, case_ref)
        if case is None or case.reported_by != request.actor.name:
            raise _not_theirs(request, None, f"{request.actor.name} reported no case {case_ref}")
        sent = (case.person_ref, request.actor.name, case.reported_at)
        results = session.scalars(
            select(ResultRow).where(*_same_report(ResultRow, *sent)).order_by(ResultRow.sample_date)
        ).all()
        exposures = session.scalars(
            select(ExposureRow).where(*_same_report(ExposureRow, *sent)).order_by(ExposureRow.id)
        ).all()
        people = {case.person_ref, *(e.contact_ref for e in exposures)}
        if _may_read(platform, request):
            names = _names(platform, session, request, people)
        else:
            names = {ref: _name(ref, None) for ref in people}
        return StoredReport(
            case=case.ref, patient=names[case.person_ref], status=case.status, onset_date=case.onset_date,
            asymptomatic=case.asymptomatic, hospitalised=case.hospitalised, reported_at=case.reported_at,
            results=tuple(
                StoredResult(r.id, r.sample_date, r.result_date, r.test_type, r.value) for r in results
            ),
            contacts=tuple(
                StoredContact(names[e.contact_ref], e.date_from, e.date_to, e.setting) for e in exposures
            ),
        )  # fmt: skip

    return platform.run(read)


def find_own_patients(
    platform: Platform,
    request: Request,
    *,
    nir: str | None = None,
    family_name: str | None = None,
    birth_date: date | None = None,
) -> list[Name]:
    """The caller's patients with this NIR, or with this family name and birth date, each read
    through the guard. Someone who is not the caller's patient is not found, exactly as someone who
    does not exist: a lookup tells nothing about the people of other clinicians. Raises
    IdentityError for a NIR or a name that cannot be one."""
    if nir is None and (family_name is None or birth_date is None):
        raise ValueError("look a patient up by NIR, or by family name and birth date")

    def read(session: Session) -> list[Name]:
        authorise(platform, session, request, READ, None)
        if nir is not None:
            candidates = refs_by_nir(platform, session, nir)
        else:
            candidates = refs_by_family_and_birth(
                platform, session, family_name or "", birth_date or date.min
            )
        mine = [ref for ref in candidates if is_patient_of(session, request.actor.name, ref)][:MAX_FOUND]
        names = _names(platform, session, request, set(mine))
        return sorted(
            (names[ref] for ref in mine),
            key=lambda name: (name.family_name or "", name.given_names or "", name.ref),
        )

    return platform.run(read)


def is_patient_of(session: Session, actor: str, ref: str) -> bool:
    """Whether `actor` reported a case or a result for the person `ref`: their patient."""
    case = exists().where(CaseRow.person_ref == ref, CaseRow.reported_by == actor)
    result = exists().where(ResultRow.person_ref == ref, ResultRow.reported_by == actor)
    return bool(session.scalar(select(case | result)))


def not_a_patient(request: Request, ref: str) -> Refused:
    """The refusal (404, audited by the transaction that raises it) of a person who is not the
    caller's patient: the same answer as for nobody, so that it reveals nothing."""
    return _not_theirs(request, ref, f"the person {ref} is not a patient of {request.actor.name}")


def _not_theirs(request: Request, subject: str | None, reason: str) -> Refused:
    entry = request.actor.entry(
        READ,
        "refused",
        purpose=request.purpose,
        subject=subject,
        reason=reason,
        request_id=request.request_id,
    )
    return Refused(reason, entry, HTTPStatus.NOT_FOUND)


def _same_report(
    table: type[ResultRow] | type[ExposureRow], person_ref: str, actor: str, at: datetime
) -> tuple[ColumnElement[bool], ...]:
    # What one report stored shares its person, its reporter and its instant.
    return (table.person_ref == person_ref, table.reported_by == actor, table.reported_at == at)


def _may_read(platform: Platform, request: Request) -> bool:
    return request.purpose is not None and platform.policy.allows(request.actor.role, request.purpose, READ)


def _contact_counts(session: Session, actor: str, people: Iterable[str]) -> dict[tuple[str, datetime], int]:
    """How many contacts each report of `actor` about these people named, by (person, reported at)."""
    refs = sorted(people)
    if not refs:
        return {}
    rows = session.execute(
        select(ExposureRow.person_ref, ExposureRow.reported_at, func.count())
        .where(ExposureRow.person_ref.in_(refs), ExposureRow.reported_by == actor)
        .group_by(ExposureRow.person_ref, ExposureRow.reported_at)
    ).all()
    return {(person, at): count for person, at, count in rows}


def _names(platform: Platform, session: Session, request: Request, refs: Iterable[str]) -> dict[str, Name]:
    """The name of each person, each read through the guard (audited); a person whose identity has
    expired or been erased is not read and has no name."""
    wanted = sorted(set(refs))
    gone = set(
        session.scalars(
            select(PersonRow.ref).where(
                PersonRow.ref.in_(wanted),
                (PersonRow.erased_at.is_not(None)) | (PersonRow.expired_at.is_not(None)),
            )
        )
    ) if wanted else set()  # fmt: skip
    names = {}
    for ref in wanted:
        details = (
            None if ref in gone else _opened(platform, session, guard(platform, session, request, READ, ref))
        )
        names[ref] = _name(ref, details)
    return names


def _opened(platform: Platform, session: Session, access: Access) -> PersonDetails | None:
    try:
        return open_person(platform, session, access).details
    except IdentityUnavailable:
        return None


def _name(ref: str, details: PersonDetails | None) -> Name:
    if details is None:
        return Name(ref, None, None, None)
    return Name(
        ref, details.family_name, details.given_names, details.identity.birth_date, details.identity.sex
    )
