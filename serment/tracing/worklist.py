"""A tracer's day at their desk: their open tasks most urgent first, today's follow-ups, one task.

The pages read these a page at a time, from the partial index of open tasks by tracer, priority and
due time, so that a queue answers as fast with a million people as with a thousand. Each contact
shown is a read of that person through the guard (`queues.task_views`), audited; a task of another
tracer is refused, and the refusal audited with the person it names.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from http import HTTPStatus

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from serment.access import Platform, Refused, Request
from serment.store.tables import TracingTaskRow
from serment.tracing.queues import TaskView, task_views
from serment.tracing.tasks import CALL, FOLLOW_UP, TaskError, TaskNotFound, task_access

# Which open tasks a queue shows: all of them, first calls only, or follow-ups only.
ALL_OPEN = "open"
SHOWS = (ALL_OPEN, CALL, FOLLOW_UP)


@dataclass(frozen=True)
class Worklist:
    """One page of a tracer's tasks, the number in all, and the time they were read (for overdue)."""

    total: int
    tasks: list[TaskView]
    now: datetime


@dataclass(frozen=True)
class FollowUps:
    """A tracer's follow-ups of one day: the open ones (one page of them), and how many are done."""

    day: date
    open: Worklist
    done: int


def my_queue(
    platform: Platform, request: Request, *, show: str = ALL_OPEN, limit: int = 50, offset: int = 0
) -> Worklist:
    """One page of the caller's open tasks (`show`: all, first calls or follow-ups), the highest
    priority first, then the soonest due."""
    if show not in SHOWS:
        raise TaskError(f"{show!r} is not a queue; the queues are {', '.join(SHOWS)}")
    kind = None if show == ALL_OPEN else TracingTaskRow.kind == show
    return platform.run(
        lambda session: _worklist(platform, session, request, kind, limit=limit, offset=offset)
    )


def follow_ups(platform: Platform, request: Request, *, limit: int = 50, offset: int = 0) -> FollowUps:
    """The caller's follow-ups of today: one page of the open ones, most urgent first, and how many
    of today's are done already."""
    today = platform.clock.now().date()
    of_today = (TracingTaskRow.kind == FOLLOW_UP) & (TracingTaskRow.day == today)

    def read(session: Session) -> FollowUps:
        page = _worklist(platform, session, request, of_today, limit=limit, offset=offset)
        done = select(func.count()).where(
            TracingTaskRow.tracer == request.actor.name, of_today, TracingTaskRow.closed_at.is_not(None)
        )
        return FollowUps(today, page, session.scalar(done) or 0)

    return platform.run(read)


def open_task(platform: Platform, request: Request, task_id: str) -> TaskView:
    """The caller's task `task_id`, with its contact while it is open. Raises TaskNotFound, or
    Refused (audited, naming the person) for another tracer's task."""

    def read(session: Session) -> TaskView:
        access = task_access(platform, session, request, "read")
        task = session.get(TracingTaskRow, task_id)
        if task is None:
            raise TaskNotFound(f"no task has the id {task_id}; the tracer's queue lists their tasks")
        if task.tracer != request.actor.name:
            reason = f"the task {task_id} is not assigned to {request.actor.name}"
            entry = request.actor.entry(
                "read", "refused", purpose=access.purpose, subject=task.person_ref, reason=reason,
                request_id=request.request_id,
            )  # fmt: skip
            raise Refused(reason, entry, HTTPStatus.FORBIDDEN)
        return task_views(platform, session, request, [task])[0]

    return platform.run(read)


def _worklist(
    platform: Platform,
    session: Session,
    request: Request,
    only: ColumnElement[bool] | None,
    *,
    limit: int,
    offset: int,
) -> Worklist:
    if limit < 1 or offset < 0:
        raise TaskError(f"a page holds at least one task from offset 0 or more, not {limit} from {offset}")
    task_access(platform, session, request, "read")
    # `closed_at IS NULL` as written in the partial index, so that the database uses it.
    mine = [TracingTaskRow.tracer == request.actor.name, TracingTaskRow.closed_at.is_(None)]
    if only is not None:
        mine.append(only)
    total = session.scalar(select(func.count()).select_from(TracingTaskRow).where(*mine)) or 0
    order = (TracingTaskRow.priority.desc(), TracingTaskRow.due_at, TracingTaskRow.id)
    query = select(TracingTaskRow).where(*mine).order_by(*order).limit(limit).offset(offset)
    tasks = list(session.scalars(query))
    return Worklist(total, task_views(platform, session, request, tasks), platform.clock.now())
