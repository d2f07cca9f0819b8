"""Cases: stored for the person reported, and listed for surveillance by pseudonymous refs and dates,
never an identity (nor the notes)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from serment.access import Access, Platform, Request, changed, guard
from serment.people import Address, new_ref
from serment.people.areas import department_in_vault, department_of
from serment.reporting.notes import seal_case_notes
from serment.reporting.rules import CaseInput
from serment.store.tables import CaseRow


def store_case(
    platform: Platform,
    session: Session,
    access: Access,
    case: CaseInput,
    *,
    at: datetime,
    address: Address | None = None,
) -> str:
    """Add one case (its notes sealed) for the person the guard let the caller report on (`access`).

    The case keeps the person's département, for surveillance by area: from the `address` the report
    gives, else from the one the vault holds."""
    person_ref = access.subject
    if person_ref is None:
        raise ValueError("a case is stored for a person: this access names none")
    request = access.request
    given = department_of(address.postal_code) if address is not None else None
    row = CaseRow(
        ref=new_ref(),
        person_ref=person_ref,
        status=case.status,
        onset_date=case.onset_date,
        asymptomatic=case.asymptomatic,
        hospitalised=case.hospitalised,
        reported_by=request.actor.name,
        reported_at=at,
        department=given or department_in_vault(platform, session, access),
    )
    seal_case_notes(platform, session, row, case.notes)
    session.add(row)
    changed(session, [person_ref])
    return row.ref


@dataclass(frozen=True)
class CaseSummary:
    """A case as surveillance sees it."""

    case: str
    person: str
    status: str
    onset_date: date | None
    asymptomatic: bool
    hospitalised: bool
    outcome: str | None
    reported_at: datetime


def list_cases(
    platform: Platform,
    request: Request,
    *,
    status: str | None = None,
    reported_from: date | None = None,
    reported_to: date | None = None,
    limit: int = 100,
    offset: int = 0,
) -> tuple[int, list[CaseSummary]]:
    """Cases filtered by status and report date (inclusive), newest first, with the total count."""

    def read(session: Session) -> tuple[int, list[CaseSummary]]:
        guard(platform, session, request, "list", None)
        query = select(CaseRow)
        if status is not None:
            query = query.where(CaseRow.status == status)
        if reported_from is not None:
            query = query.where(
                CaseRow.reported_at >= datetime.combine(reported_from, datetime.min.time(), tzinfo=UTC)
            )
        if reported_to is not None:
            end = datetime.combine(reported_to, datetime.max.time(), tzinfo=UTC)
            query = query.where(CaseRow.reported_at <= end)
        total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
        rows = session.scalars(
            query.order_by(CaseRow.reported_at.desc(), CaseRow.ref).limit(limit).offset(offset)
        )
        return total, [
            CaseSummary(
                row.ref,
                row.person_ref,
                row.status,
                row.onset_date,
                row.asymptomatic,
                row.hospitalised,
                row.outcome,
                row.reported_at,
            )
            for row in rows
        ]

    return platform.run(read)
