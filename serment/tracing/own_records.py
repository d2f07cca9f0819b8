"""A person's own record, as they see it when signed in as a patient: their identity, their results
and cases, and their current tier with its quarantine (or isolation) plan.

Opened through the guard with the caller's purpose (self: the actor's own record only), and audited
as a `read` of that person like any other access.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from serment.access import Platform, Request, guard
from serment.people import PersonRecord, open_person
from serment.store.tables import CaseRow, ResultRow, TierRow, TracingStateRow
from serment.tracing.standings import STATE_ID


@dataclass(frozen=True)
class OwnResult:
    """A test result: when sampled, what test, what it found, and which laboratory."""

    sample_date: date
    result_date: date | None
    test_type: str
    value: str
    lab: str | None


@dataclass(frozen=True)
class OwnCase:
    """A case: its status and course, as the clinician reported it."""

    status: str
    onset_date: date | None
    asymptomatic: bool
    hospitalised: bool
    outcome: str | None
    reported_at: datetime
    closed_at: datetime | None


@dataclass(frozen=True)
class OwnPlan:
    """The person's tier (0: a case, isolating; 1 and more: a contact, in quarantine) and its plan:
    where to stay, from when until when, the tests due. `computed_for` is the day the tiers were last
    computed for; `ended` once the plan's last day is before `today`."""

    tier: int
    tier_name: str
    place: str
    start: date
    until: date
    tests_due: tuple[date, ...]
    cleared: bool
    computed_for: date
    ended: bool


@dataclass(frozen=True)
class OwnRecord:
    """What Serment holds on the person, for the person."""

    record: PersonRecord
    results: tuple[OwnResult, ...]
    cases: tuple[OwnCase, ...]
    plan: OwnPlan | None


def own_record(platform: Platform, request: Request, ref: str) -> OwnRecord:
    """The identity, results (newest first), cases and current plan of the person `ref`, for an actor
    the guard allows to `read` them (a patient, their own record only)."""

    def read(session: Session) -> OwnRecord:
        access = guard(platform, session, request, "read", ref)
        record = open_person(platform, session, access)
        results = session.scalars(
            select(ResultRow)
            .where(ResultRow.person_ref == ref)
            .order_by(ResultRow.sample_date.desc(), ResultRow.id)
        )
        cases = session.scalars(
            select(CaseRow).where(CaseRow.person_ref == ref).order_by(CaseRow.reported_at.desc())
        )
        return OwnRecord(
            record,
            tuple(OwnResult(r.sample_date, r.result_date, r.test_type, r.value, r.lab) for r in results),
            tuple(_case(row) for row in cases),
            _plan(platform, session, ref),
        )

    return platform.run(read)


def _case(row: CaseRow) -> OwnCase:
    return OwnCase(
        row.status, row.onset_date, row.asymptomatic, row.hospitalised, row.outcome, row.reported_at,
        row.closed_at,
    )  # fmt: skip


def _plan(platform: Platform, session: Session, ref: str) -> OwnPlan | None:
    row = session.get(TierRow, ref)
    state = session.get(TracingStateRow, STATE_ID)
    if row is None or state is None:
        return None
    today = platform.clock.now().date()
    return OwnPlan(
        tier=row.tier, tier_name=platform.policy.tracing.tier(row.tier).name, place=row.place,
        start=row.quarantine_start, until=row.quarantine_until,
        tests_due=tuple(date.fromisoformat(day) for day in row.tests_due.split(",") if day),
        cleared=row.cleared, computed_for=state.at, ended=today > row.quarantine_until,
    )  # fmt: skip
