"""Tracer tasks: a call for every contact who enters a tier the policy calls, daily follow-ups until
their quarantine ends, assignment to a team and tracer, outcomes. Built out by the tracing issue's
tasks part; the two functions below are the contract the rest of tracing relies on."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from serment.access import Actor, Platform
from serment.store.tables import TracingTaskRow
from serment.tracing.tiers import Standing


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


def after_tiers(
    platform: Platform,
    session: Session,
    before: Mapping[str, Standing],
    after: Mapping[str, Standing | None],
    at: date,
) -> None:
    """Create, update or close tasks for the people whose standing changed at `at`: `before` holds
    their old standing (absent: none), `after` their new one (None: no tier any more)."""


def schedule_day(platform: Platform, session: Session, at: date) -> None:
    """Once the tiers hold for a new day `at`: create that day's follow-up tasks for the contacts in
    quarantine and mark the follow-ups left undone before it."""
