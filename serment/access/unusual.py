"""The unusual-access report: for the data-protection officer, each user's accesses over a period set
against what their work explains, most unusual first.

A user's accesses are explained by their relationships with the people they opened: someone they
reported (a case, a result, or a contact they named), someone one of their tracing tasks names, or
their own record. A tracer reads the contacts of their tasks, a clinician the people they reported;
an epidemiologist or a researcher works on pseudonymous lists and opens no identity at all, so any
identity they opened is unexplained. Refusals, accesses at night or outside working days, and failed
logins are counted beside.

Everything is counted by the database over the audit log of the period (one GROUP BY, the period's
events read through the index on `at`), with the relationships checked through the indexes of the
tables that hold them.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, SQLColumnExpression, and_, case, exists, false, func, or_, select, true
from sqlalchemy.orm import Session

from serment.access.actors import Request
from serment.access.guard import record
from serment.access.oversight import across_people
from serment.access.platform import Platform
from serment.store.tables import AuditEventRow, CaseRow, ExposureRow, ResultRow, TracingTaskRow, UserRow

# Actions that open a person's identity or record: what "reading a person" means here. Registering
# or reporting a person creates the relationship that explains later reads; listing gives refs only.
READ_ACTIONS = ("read", "update", "merge", "export")
# Working hours in the installation's time zone, Monday to Friday; public holidays are not known.
WORKDAY_START = time(7, 0)
WORKDAY_END = time(20, 0)
WORKING_DAYS = range(5)
# A longer period would make the working-hours test slow and the report too coarse to act on.
MAX_PERIOD_DAYS = 92


class UnusualPeriodInvalid(ValueError):
    """A period the report cannot cover: reversed, or longer than MAX_PERIOD_DAYS."""


@dataclass(frozen=True)
class UserActivity:
    """One user's accesses over the period, in one role (an account the operator uses in several
    roles has a row for each). `people_read` counts the distinct people whose record they opened,
    `explained` those their relationships account for."""

    actor: str
    role: str | None
    organisation: str | None
    people_read: int
    explained: int
    refused: int
    off_hours: int
    failed_logins: int

    @property
    def unexplained(self) -> int:
        """People read that no relationship of the user explains."""
        return self.people_read - self.explained


def working_hours(first: date, last: date, zone: str) -> list[tuple[datetime, datetime]]:
    """The working periods from day `first` to day `last` (inclusive) in the time zone `zone`, as
    timezone-aware [start, end) pairs, for telling accesses at night or on a day off."""
    tz = ZoneInfo(zone)
    periods = []
    for day in _days(first, last):
        if day.weekday() in WORKING_DAYS:
            start = datetime.combine(day, WORKDAY_START, tz)
            periods.append((start, datetime.combine(day, WORKDAY_END, tz)))
    return periods


def period_bounds(first: date, last: date, zone: str) -> tuple[datetime, datetime]:
    """The instants from the start of day `first` to the end of day `last` in `zone`, [since, until)."""
    tz = ZoneInfo(zone)
    return datetime.combine(first, time(0), tz), datetime.combine(last + timedelta(days=1), time(0), tz)


def unusual_accesses(
    platform: Platform, request: Request, first: date, last: date, zone: str, *, limit: int, offset: int = 0
) -> list[UserActivity]:
    """One page of the users active from day `first` to day `last` (inclusive, in the time zone
    `zone`), most unusual first: most people read without a relationship, then most refusals, most
    accesses outside working hours, most failed logins. Audited as the caller's `audit` action."""
    if last < first:
        raise UnusualPeriodInvalid(f"the period ends ({last}) before it starts ({first})")
    if (last - first).days + 1 > MAX_PERIOD_DAYS:
        raise UnusualPeriodInvalid(f"the report covers at most {MAX_PERIOD_DAYS} days at a time")

    def read(session: Session) -> list[UserActivity]:
        record(platform, session, across_people(platform, session, request, "audit"), None)
        return _activities(session, first, last, zone, limit=limit, offset=offset)

    return platform.run(read)


def _activities(
    session: Session, first: date, last: date, zone: str, *, limit: int, offset: int
) -> list[UserActivity]:
    event = AuditEventRow
    since, until = period_bounds(first, last, zone)
    in_period = and_(event.at >= since, event.at < until)
    is_read = and_(event.subject.is_not(None), event.action.in_(READ_ACTIONS), event.outcome == "allowed")
    # Relationships are checked once per (user, person) pair read, not once per event: a tracer opens
    # the same contact at every call.
    # An event without a role (the operator's own) is grouped under "", so that rows join on equality.
    role = func.coalesce(event.role, "")
    pairs = (
        select(event.actor.label("actor"), role.label("role"), event.subject.label("subject"))
        .where(in_period, is_read)
        .group_by(event.actor, role, event.subject)
        .subquery()
    )
    explained_pair = case((_explained(pairs.c.actor, pairs.c.subject), 1), else_=0)
    reads = (
        select(
            pairs.c.actor,
            pairs.c.role,
            func.count().label("people"),
            func.sum(explained_pair).label("explained"),
        )
        .group_by(pairs.c.actor, pairs.c.role)
        .subquery()
    )
    at_work = _within(event.at, working_hours(first, last, zone))
    others = (
        select(
            event.actor.label("actor"),
            role.label("role"),
            func.max(event.organisation).label("organisation"),
            func.sum(case((event.outcome == "refused", 1), else_=0)).label("refused"),
            func.sum(case((and_(event.subject.is_not(None), ~at_work), 1), else_=0)).label("off_hours"),
            func.sum(case((event.action == "login_failed", 1), else_=0)).label("failed_logins"),
        )
        .where(in_period)
        .group_by(event.actor, role)
        .subquery()
    )
    people = func.coalesce(reads.c.people, 0)
    explained = func.coalesce(reads.c.explained, 0)
    statement = (
        select(
            others.c.actor, others.c.role, others.c.organisation, people, explained, others.c.refused,
            others.c.off_hours, others.c.failed_logins,
        )
        .outerjoin(reads, and_(reads.c.actor == others.c.actor, reads.c.role == others.c.role))
        .order_by(
            (people - explained).desc(), others.c.refused.desc(), others.c.off_hours.desc(),
            others.c.failed_logins.desc(), others.c.actor, others.c.role,
        )
        .limit(limit)
        .offset(offset)
    )  # fmt: skip
    return [UserActivity(actor, role or None, *counts) for actor, role, *counts in session.execute(statement)]


def _explained(actor: SQLColumnExpression[str], subject: SQLColumnExpression[str]) -> ColumnElement[bool]:
    """Whether `actor` has a relationship with the person `subject`: reported them (a case, a result,
    or a contact they named), has a tracing task naming them, or is them."""
    return or_(
        exists().where(TracingTaskRow.person_ref == subject, TracingTaskRow.tracer == actor),
        exists().where(CaseRow.person_ref == subject, CaseRow.reported_by == actor),
        exists().where(ResultRow.person_ref == subject, ResultRow.reported_by == actor),
        exists().where(ExposureRow.person_ref == subject, ExposureRow.reported_by == actor),
        exists().where(ExposureRow.contact_ref == subject, ExposureRow.reported_by == actor),
        exists().where(UserRow.name == actor, UserRow.person_ref == subject),
    )


def _within(
    at: SQLColumnExpression[datetime], periods: list[tuple[datetime, datetime]]
) -> ColumnElement[bool]:
    """Whether `at` falls in one of `periods` (sorted, disjoint): it does when an odd number of their
    bounds are at or before it. A nested CASE finds that number by binary search, so that each event
    costs a handful of comparisons, not two per working day of the period."""
    bounds = [bound for period in periods for bound in period]

    def count(low: int, high: int) -> ColumnElement[bool]:
        # The number of bounds at or before `at` is known to lie in [low, high].
        if low == high:
            return true() if low % 2 else false()
        middle = (low + high) // 2
        return case((at < bounds[middle], count(low, middle)), else_=count(middle + 1, high))

    return count(0, len(bounds))


def _days(first: date, last: date) -> Iterator[date]:
    day = first
    while day <= last:
        yield day
        day += timedelta(days=1)
