"""A tracer's queue: their own tasks, with what each call needs (the contact's name, phone and
address, the exposure's date and setting, the quarantine plan, a call script) and never who the
contact was exposed to. Each identity shown is an access to that person, checked by the guard
(whose "assigned" relationship holds while a task of the tracer names them) and audited."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from serment.access import Access, Platform, Refused, Request, guard
from serment.audit import defer
from serment.people import Address, open_for, open_person
from serment.store.tables import PersonRow, TierRow, TracingTaskRow
from serment.tracing.scripts import Plan, Step, script_steps
from serment.tracing.tasks import LOST, OPEN_STATUSES, STATUSES, TaskError, is_assigned, task_access

OUTCOME_COLUMN = "outcome"


@dataclass(frozen=True)
class Contact:
    """The person to call, as the reporters gave them."""

    ref: str
    family_name: str
    given_names: str
    phone: str | None
    address: Address | None


@dataclass(frozen=True)
class Quarantine:
    """The contact's quarantine plan today: their tier's name, where, until when, the tests due."""

    tier_name: str
    place: str
    start: date
    until: date
    tests_due: tuple[date, ...]
    cleared: bool


@dataclass(frozen=True)
class Outcome:
    """What a call found, as the tracer recorded it."""

    symptoms: tuple[str, ...]
    onset_date: date | None
    notes: str | None


@dataclass(frozen=True)
class TaskView:
    """A task as its tracer sees it. `contact` is None once no open task of theirs names the person
    (or their identity has expired or been erased)."""

    id: str
    kind: str
    status: str
    day: date | None
    due_at: datetime
    priority: int
    attempts: int
    tier: int
    exposure_date: date | None
    setting: str | None
    contact: Contact | None
    quarantine: Quarantine | None
    script: tuple[str, ...]
    # The same steps with their blanks, for pages that show them in the reader's language.
    steps: tuple[Step, ...]
    consent: bool | None
    outcome: Outcome | None
    closed_at: datetime | None


def list_tasks(
    platform: Platform, request: Request, *, status: str | None = None, limit: int = 50, offset: int = 0
) -> tuple[int, list[TaskView]]:
    """The caller's own tasks (open ones unless `status` names another), due soonest first and then
    most urgent first, with the total count."""
    if status is not None and status not in STATUSES:
        raise TaskError(f"{status!r} is not a task status; the statuses are {', '.join(STATUSES)}")

    def read(session: Session) -> tuple[int, list[TaskView]]:
        task_access(platform, session, request, "read")
        mine = TracingTaskRow.tracer == request.actor.name
        chosen = (
            TracingTaskRow.status.in_(OPEN_STATUSES) if status is None else TracingTaskRow.status == status
        )
        query = select(TracingTaskRow).where(mine, chosen)
        total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
        order = (TracingTaskRow.due_at, TracingTaskRow.priority.desc(), TracingTaskRow.id)
        tasks = session.scalars(query.order_by(*order).limit(limit).offset(offset)).all()
        return total, task_views(platform, session, request, list(tasks))

    return platform.run(read)


def task_views(
    platform: Platform, session: Session, request: Request, tasks: list[TracingTaskRow]
) -> list[TaskView]:
    """`tasks` as their tracer sees them, in the caller's transaction: each contact still assigned to
    the caller by an open task is read through the guard (audited); the others show no contact."""
    refs = {task.person_ref for task in tasks}
    assigned = set(
        session.scalars(
            select(TracingTaskRow.person_ref).where(
                TracingTaskRow.tracer == request.actor.name,
                TracingTaskRow.closed_at.is_(None),
                TracingTaskRow.person_ref.in_(refs),
            )
        )
    )
    gone = set(
        session.scalars(
            select(PersonRow.ref).where(
                PersonRow.ref.in_(refs),
                (PersonRow.erased_at.is_not(None)) | (PersonRow.expired_at.is_not(None)),
            )
        )
    )
    plans = {
        row.person_ref: row for row in session.scalars(select(TierRow).where(TierRow.person_ref.in_(refs)))
    }
    rules = platform.policy.tracing
    accesses: dict[str, Access] = {}
    contacts: dict[str, Contact] = {}
    for ref in sorted(assigned - gone):
        try:
            access = accesses[ref] = guard(platform, session, request, "read", ref)
        except Refused as refusal:
            # On PostgreSQL (read committed) another session may close the last open task naming the
            # person after `assigned` was read: show the task without its contact, as once closed,
            # keeping the refusal in the audit, instead of refusing the caller their whole queue.
            if is_assigned(session, request.actor, ref):
                raise
            defer(session, refusal.entry, platform.clock.now())
            continue
        details = open_person(platform, session, access).details
        contacts[ref] = Contact(ref, details.family_name, details.given_names, details.phone, details.address)
    views = []
    for task in tasks:
        row = plans.get(task.person_ref)
        quarantine = None
        if row is not None and row.tier >= 1:
            tests = tuple(date.fromisoformat(day) for day in row.tests_due.split(",") if day)
            quarantine = Quarantine(
                rules.tier(row.tier).name,
                row.place,
                row.quarantine_start,
                row.quarantine_until,
                tests,
                row.cleared,
            )
        plan = Plan(quarantine.place, quarantine.until, quarantine.tests_due) if quarantine else None
        steps = script_steps(
            task.kind,
            exposure_date=task.exposure_date,
            setting=task.setting,
            plan=plan,
            lost=task.status == LOST,
        )
        reader = accesses.get(task.person_ref)
        views.append(
            TaskView(
                id=task.id, kind=task.kind, status=task.status, day=task.day, due_at=task.due_at,
                priority=task.priority, attempts=task.attempts, tier=task.tier,
                exposure_date=task.exposure_date, setting=task.setting, contact=contacts.get(task.person_ref),
                quarantine=quarantine, script=tuple(step.english() for step in steps), steps=steps,
                consent=task.consent,
                outcome=_outcome(platform, session, reader, task) if reader is not None else None,
                closed_at=task.closed_at,
            )
        )  # fmt: skip
    return views


def _outcome(platform: Platform, session: Session, access: Access, task: TracingTaskRow) -> Outcome | None:
    if task.outcome is None:
        return None
    opened = json.loads(
        open_for(
            platform, session, access, table=TracingTaskRow.__tablename__, column=OUTCOME_COLUMN, row=task.id,
            sealed=task.outcome,
        )
    )  # fmt: skip
    onset = opened.get("onset_date")
    return Outcome(
        tuple(opened.get("symptoms", ())), date.fromisoformat(onset) if onset else None, opened.get("notes")
    )
