"""Tracer tasks: a call for every contact who enters a tier the policy calls, daily follow-ups until
their quarantine ends, each given to a team and tracer (`teams`), ranked (`priority`).

The tiers decide the calls, in the transaction that changed them (`after_tiers`): a contact entering
a called tier gets one open call, kept (with its tier updated) when they move between called tiers;
a contact who becomes a case, leaves the tiers or moves to a tier not called has their open calls
closed, saying why. Each new day (`schedule_day`) brings one follow-up to every contact in
quarantine who was reached and agreed to it; a follow-up left undone by the next day is missed, and
after two missed days in a row the person is lost to follow-up: their next follow-ups say so.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from http import HTTPStatus

from sqlalchemy import BindParameter, bindparam, or_, select
from sqlalchemy.orm import Session

from serment.access import Access, Actor, Platform, Refused, Request, authorise, record
from serment.people import new_ref, routing_of
from serment.store import in_lists
from serment.store.tables import ExposureRow, TierRow, TracingTaskRow
from serment.tracing.priority import is_senior, priority
from serment.tracing.teams import Assigner, region_of
from serment.tracing.tiers import Standing

CALL, FOLLOW_UP = "call", "follow_up"
KINDS = (CALL, FOLLOW_UP)
# Open: waiting for a call. `lost` is a follow-up of a person who missed the two days before it.
TO_CALL, LOST = "to_call", "lost"
# Closed by a call's outcome.
REACHED, UNREACHABLE, REFUSED, WRONG_NUMBER = "reached", "unreachable", "refused", "wrong_number"
# Closed by the platform: a follow-up not done on its day, or a person whose tier changed.
MISSED, BECAME_CASE, LEFT_TIERS, NOT_CALLED = (
    "missed",
    "became_case",
    "left_tiers",
    "not_called",
)
OPEN_STATUSES = (TO_CALL, LOST)
CLOSED_STATUSES = (
    REACHED,
    UNREACHABLE,
    REFUSED,
    WRONG_NUMBER,
    MISSED,
    BECAME_CASE,
    LEFT_TIERS,
    NOT_CALLED,
)
STATUSES = (*OPEN_STATUSES, *CLOSED_STATUSES)
# Consecutive days of missed follow-ups after which a person is lost to follow-up.
LOST_AFTER = 2
# Who routes tasks, in the audit log, and for which purpose.
SERVICE = "tracing"
PURPOSE = "tracing"
HOUSEHOLD = "household"
HEALTH_CARE = "health_care"


class TaskError(Exception):
    """A task that cannot be acted on as asked: `status` is the HTTP status to answer."""

    status = HTTPStatus.BAD_REQUEST

    def __init__(self, message: str) -> None:
        super().__init__(message)


class TaskNotFound(TaskError):
    """No task has this id."""

    status = HTTPStatus.NOT_FOUND


class TaskClosed(TaskError):
    """The task is closed: its outcome is recorded already."""

    status = HTTPStatus.CONFLICT


def is_assigned(session: Session, actor: Actor, subject: str) -> bool:
    """Whether `subject` is assigned to the tracer `actor` by an open task: the guard's "assigned"."""
    return (
        session.scalars(
            select(TracingTaskRow.id).where(
                TracingTaskRow.tracer == actor.name,
                TracingTaskRow.person_ref == subject,
                TracingTaskRow.closed_at.is_(None),
            )
        ).first()
        is not None
    )


def task_access(platform: Platform, session: Session, request: Request, action: str) -> Access:
    """Allow `request` to work on tasks, or raise Refused (audited): its role must be granted `action`
    for a purpose that reaches only the people assigned to the actor (a tracer's, for tracing)."""
    access = authorise(platform, session, request, action, None)
    if platform.policy.relationship(access.purpose) != "assigned":
        reason = f"tasks are worked on for a purpose that reaches assigned people only, not {access.purpose}"
        entry = request.actor.entry(
            action, "refused", purpose=access.purpose, reason=reason, request_id=request.request_id
        )
        raise Refused(reason, entry)
    record(platform, session, access, None)
    return access


def after_tiers(
    platform: Platform,
    session: Session,
    before: Mapping[str, Standing],
    after: Mapping[str, Standing | None],
    at: date,
) -> None:
    """Create, update or close tasks for the people whose standing changed at `at`: `before` holds
    their old standing (absent: none), `after` their new one (None: no tier any more)."""
    rules = platform.policy.tracing
    now = platform.clock.now()
    opened = _open_tasks(session, after)
    created: list[tuple[str, Standing]] = []
    updated: list[tuple[Standing, list[TracingTaskRow]]] = []
    for ref, standing in after.items():
        tasks = opened.get(ref, [])
        calls = [task for task in tasks if task.kind == CALL]
        if standing is None:
            close(tasks, LEFT_TIERS, now)
        elif standing.tier == 0:
            close(tasks, BECAME_CASE, now)
        elif standing.tier not in rules.call_tiers:
            close(calls, NOT_CALLED, now)
        elif calls:
            updated.append((standing, calls))
        elif (old := before.get(ref)) is None or old.tier != standing.tier:
            created.append((ref, standing))
    if not created and not updated:
        return
    refs = [ref for ref, _ in created] + [task.person_ref for _, tasks in updated for task in tasks]
    exposures = _exposure_facts(session, refs, at, rules.lookback_days)
    routing = routing_of(platform, session, refs, service=SERVICE, purpose=PURPOSE)

    def rank(ref: str, standing: Standing) -> int:
        found = exposures.get(ref, _Exposures())
        person = routing.get(ref)
        senior = person is not None and is_senior(person.birth_date, at)
        return priority(
            standing.tier, senior=senior, health_worker=found.health_care, household=len(found.household)
        )

    for standing, tasks in updated:
        for task in tasks:
            relevant = exposures.get(task.person_ref, _Exposures()).relevant(standing)
            task.tier, task.priority, task.updated_at = standing.tier, rank(task.person_ref, standing), now
            task.exposure_date, task.setting = relevant or (task.exposure_date, task.setting)
    if not created:
        return
    assigner = Assigner(session)
    due = now + timedelta(hours=rules.call_within_hours)
    for ref, standing in created:
        person = routing.get(ref)
        region = region_of(person.postal_code) if person is not None else None
        team, tracer = assigner.assign(region, now)
        exposure_date, setting = exposures.get(ref, _Exposures()).relevant(standing) or (None, None)
        session.add(
            TracingTaskRow(
                id=new_ref(), person_ref=ref, kind=CALL, tier=standing.tier, exposure_date=exposure_date,
                setting=setting, region=region, team=team, tracer=tracer, priority=rank(ref, standing),
                due_at=due, day=None, status=TO_CALL, attempts=0, created_at=now, updated_at=now,
            )
        )  # fmt: skip


def schedule_day(platform: Platform, session: Session, at: date) -> None:
    """Once the tiers hold for a new day `at`: mark the follow-ups left undone before it as missed,
    hand out the open tasks no tracer had, and create that day's follow-up for each contact in
    quarantine who was reached and agreed to daily follow-up. Doing it twice for a day changes nothing."""
    now = platform.clock.now()
    stale = select(TracingTaskRow).where(
        TracingTaskRow.kind == FOLLOW_UP, TracingTaskRow.closed_at.is_(None), TracingTaskRow.day < at
    )
    close(session.scalars(stale).all(), MISSED, now)
    assigner = Assigner(session)
    waiting = select(TracingTaskRow).where(
        TracingTaskRow.closed_at.is_(None), TracingTaskRow.tracer.is_(None)
    )
    for task in session.scalars(waiting.order_by(TracingTaskRow.due_at, TracingTaskRow.id)):
        task.team, task.tracer = assigner.assign(task.region, now)
    if not platform.policy.tracing.daily_follow_up:
        return
    quarantined = select(TierRow.person_ref, TierRow.tier).where(
        TierRow.tier >= 1, TierRow.quarantine_until >= at
    )
    tiers: dict[str, int] = {ref: tier for ref, tier in session.execute(quarantined)}  # noqa: C416
    due = datetime.combine(at + timedelta(days=1), time(), tzinfo=UTC)
    for history in _histories(session, tiers):
        follow_up = history.follow_up(at)
        if follow_up is None:
            continue
        last = history.tasks[-1]
        team, tracer = assigner.assign(last.region, now, prefer=last.tracer)
        session.add(
            TracingTaskRow(
                id=new_ref(), person_ref=last.person_ref, kind=FOLLOW_UP, tier=tiers[last.person_ref],
                exposure_date=last.exposure_date, setting=last.setting, region=last.region, team=team,
                tracer=tracer, priority=last.priority, due_at=due, day=at, status=follow_up, attempts=0,
                created_at=now, updated_at=now,
            )
        )  # fmt: skip


def close(tasks: Collection[TracingTaskRow], status: str, now: datetime) -> None:
    """Close `tasks` with `status`."""
    for task in tasks:
        task.status, task.closed_at, task.updated_at = status, now, now


@dataclass(frozen=True)
class _History:
    """A person's tasks, oldest first."""

    tasks: list[TracingTaskRow]

    def follow_up(self, at: date) -> str | None:
        """The status of the follow-up due on `at` (lost after LOST_AFTER missed days in a row), or
        None when none is due: no consent to follow-up, or one exists already."""
        consents = [task.consent for task in self.tasks if task.consent is not None]
        if not consents or not consents[-1]:
            return None
        days = sorted(
            (
                (task.day, task.status)
                for task in self.tasks
                if task.kind == FOLLOW_UP and task.day is not None
            ),
            reverse=True,
        )
        if days and days[0][0] >= at:
            return None
        missed = 0
        for _, status in days:
            if status != MISSED:
                break
            missed += 1
        return LOST if missed >= LOST_AFTER else TO_CALL


def _histories(session: Session, people: Collection[str]) -> Iterator[_History]:
    for chunk in _sorted_lists(people):
        query = select(TracingTaskRow).where(TracingTaskRow.person_ref.in_(chunk))
        by_person: dict[str, list[TracingTaskRow]] = {}
        for task in session.scalars(query.order_by(TracingTaskRow.created_at, TracingTaskRow.id)):
            by_person.setdefault(task.person_ref, []).append(task)
        for ref in sorted(by_person):
            yield _History(by_person[ref])


def _open_tasks(session: Session, people: Collection[str]) -> dict[str, list[TracingTaskRow]]:
    opened: dict[str, list[TracingTaskRow]] = {}
    for chunk in _sorted_lists(people):
        for task in session.scalars(_OPEN_TASKS, {"refs": chunk}):
            opened.setdefault(task.person_ref, []).append(task)
    return opened


class _Exposures:
    """What a contact's exposures within the lookback say: who they share a household with, whether
    one was in health care, and each exposure's days, setting and the other person (with the tiers
    of those others)."""

    def __init__(self) -> None:
        self.household: set[str] = set()
        self.health_care = False
        self.seen: list[tuple[date, date, str, str]] = []
        self.unique: set[tuple[date, date, str, str]] = set()
        self.tiers: Mapping[str, int] = {}

    def relevant(self, standing: Standing) -> tuple[date, str] | None:
        """The date and setting of the exposure that gave `standing`: one covering its last exposure
        day, with someone one tier closer to a case when there is one."""
        day = standing.last_exposure
        if day is None:
            return None
        covering = [(other, setting) for first, last, setting, other in self.seen if first <= day <= last]
        closer = [setting for other, setting in covering if self.tiers.get(other) == standing.tier - 1]
        if closer or covering:
            return day, (closer or [setting for _, setting in covering])[0]
        return None


def _exposure_facts(
    session: Session, people: Collection[str], at: date, lookback_days: int
) -> dict[str, _Exposures]:
    first = at - timedelta(days=lookback_days)
    wanted = set(people)
    facts: dict[str, _Exposures] = {}
    others: set[str] = set()
    connection = session.connection()
    for chunk in _sorted_lists(wanted):
        rows = connection.execute(_EXPOSURES, {"refs": chunk, "at": at, "first": first})
        for a, b, date_from, date_to, setting in rows:
            for ref, other in ((a, b), (b, a)):
                if ref not in wanted:
                    continue
                found = facts.setdefault(ref, _Exposures())
                seen = (date_from, date_to, setting, other)
                if seen in found.unique:
                    continue
                found.unique.add(seen)
                found.seen.append(seen)
                found.health_care |= setting == HEALTH_CARE
                if setting == HOUSEHOLD:
                    found.household.add(other)
                others.add(other)
    tiers: dict[str, int] = {}
    for chunk in _sorted_lists(others):
        tiers.update({ref: tier for ref, tier in connection.execute(_TIERS, {"refs": chunk})})  # noqa: C416
    for found in facts.values():
        found.tiers = tiers
    return facts


# Statements run for every report, built once; `refs` expands to a list of people at execution.
_REFS: BindParameter[list[str]] = bindparam("refs", expanding=True)
_OPEN_TASKS = select(TracingTaskRow).where(
    TracingTaskRow.person_ref.in_(_REFS), TracingTaskRow.closed_at.is_(None)
)
_EXPOSURES = (
    select(
        ExposureRow.person_ref, ExposureRow.contact_ref, ExposureRow.date_from, ExposureRow.date_to,
        ExposureRow.setting,
    )
    .where(
        or_(ExposureRow.person_ref.in_(_REFS), ExposureRow.contact_ref.in_(_REFS)),
        ExposureRow.date_from <= bindparam("at"), ExposureRow.date_to >= bindparam("first"),
    )
    .order_by(ExposureRow.id)
)  # fmt: skip
_TIERS = select(TierRow.person_ref, TierRow.tier).where(TierRow.person_ref.in_(_REFS))


def _sorted_lists(people: Collection[str]) -> Iterator[list[str]]:
    # Each person once, in ref order: tasks are handed out in a stable order.
    return in_lists(sorted(set(people)))
