"""A patient's summary for the clinician caring for them: identity and contact details, cases (with
their notes), results, and their tier and quarantine plan as tracing stands.

Only the clinician's own patients (people they reported a case or a result for) are summarised; for
anyone else the answer is the one given for nobody, and the refusal is audited. The summary is one
`read` of the person through the guard, audited like any other.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from serment.access import Access, Platform, Request, guard
from serment.people import PersonDetails, open_person
from serment.reporting.notes import case_notes
from serment.reporting.reporters import READ, is_patient_of, not_a_patient
from serment.store.tables import CaseRow, ResultRow, TierRow, TracingStateRow
from serment.tracing.standings import STATE_ID

# Cases and results shown at most, newest first: a person has a handful.
MAX_ROWS = 100


@dataclass(frozen=True)
class CaseFacts:
    """One case of the patient, whoever reported it."""

    ref: str
    status: str
    onset_date: date | None
    asymptomatic: bool
    hospitalised: bool
    outcome: str | None
    reported_at: datetime
    reported_by_caller: bool
    notes: str | None


@dataclass(frozen=True)
class ResultFacts:
    """One test result of the patient, from any laboratory."""

    sample_date: date
    result_date: date | None
    test_type: str
    value: str
    lab: str | None


@dataclass(frozen=True)
class Quarantine:
    """The patient's tier and plan as the stored tiers hold them on `as_of` (the tracing state's date)."""

    tier: int
    tier_name: str
    place: str
    start: date
    until: date
    tests_due: tuple[date, ...]
    cleared: bool
    as_of: date

    @property
    def released(self) -> bool:
        """Whether the plan had ended by `as_of`."""
        return self.as_of > self.until


@dataclass(frozen=True)
class CareSummary:
    """What a clinician needs to care for a patient."""

    ref: str
    details: PersonDetails
    cases: tuple[CaseFacts, ...]
    results: tuple[ResultFacts, ...]
    quarantine: Quarantine | None


def care_summary(platform: Platform, request: Request, ref: str) -> CareSummary:
    """The summary of the caller's patient `ref`; Refused (404, audited) if they are not the caller's
    patient, IdentityUnavailable once their identity has expired."""

    def read(session: Session) -> CareSummary:
        if not is_patient_of(session, request.actor.name, ref):
            raise not_a_patient(request, ref)
        access = guard(platform, session, request, READ, ref)
        details = open_person(platform, session, access).details
        cases = session.scalars(
            select(CaseRow)
            .where(CaseRow.person_ref == ref)
            .order_by(CaseRow.reported_at.desc())
            .limit(MAX_ROWS)
        ).all()
        results = session.scalars(
            select(ResultRow)
            .where(ResultRow.person_ref == ref)
            .order_by(ResultRow.sample_date.desc(), ResultRow.id)
            .limit(MAX_ROWS)
        ).all()
        return CareSummary(
            ref=ref,
            details=details,
            cases=tuple(_case(platform, session, access, case, request.actor.name) for case in cases),
            results=tuple(
                ResultFacts(
                    result.sample_date, result.result_date, result.test_type, result.value, result.lab
                )
                for result in results
            ),
            quarantine=_quarantine(platform, session, ref),
        )

    return platform.run(read)


def _case(platform: Platform, session: Session, access: Access, case: CaseRow, caller: str) -> CaseFacts:
    return CaseFacts(
        ref=case.ref, status=case.status, onset_date=case.onset_date, asymptomatic=case.asymptomatic,
        hospitalised=case.hospitalised, outcome=case.outcome, reported_at=case.reported_at,
        reported_by_caller=case.reported_by == caller, notes=case_notes(platform, session, access, case),
    )  # fmt: skip


def _quarantine(platform: Platform, session: Session, ref: str) -> Quarantine | None:
    row = session.get(TierRow, ref)
    state = session.get(TracingStateRow, STATE_ID)
    if row is None or state is None:
        return None
    return Quarantine(
        tier=row.tier, tier_name=platform.policy.tracing.tier(row.tier).name, place=row.place,
        start=row.quarantine_start, until=row.quarantine_until,
        tests_due=tuple(date.fromisoformat(day) for day in row.tests_due.split(",") if day),
        cleared=row.cleared, as_of=state.at,
    )  # fmt: skip
