"""Searching the audit log: the events matching a data-protection officer's filters, newest first,
one page at a time, and the newest event of an action.

Every filter is a column comparison the indexes answer (`at`, `actor`, `subject`, `action`,
`outcome`, `purpose`), and a page is read with LIMIT and OFFSET in the log's own order (`seq`,
newest first): a search never loads the log, however long it is.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session

from serment.audit.events import DetailValue
from serment.store.tables import AuditEventRow


@dataclass(frozen=True)
class AuditQuery:
    """What to look for: each filter given must match exactly; `since` is inclusive and `until`
    exclusive (timezone-aware); `through` is the newest seq to consider, so that the pages of one
    search stay the same while the log grows. None leaves a column free."""

    actor: str | None = None
    subject: str | None = None
    purpose: str | None = None
    action: str | None = None
    outcome: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    through: int | None = None


@dataclass(frozen=True)
class LoggedEvent:
    """One event of the log as the data-protection officer reads it: who, in which role and
    organisation, for which purpose, did what to which person ref, with what outcome and why."""

    seq: int
    at: datetime
    actor: str
    role: str | None
    organisation: str | None
    purpose: str | None
    action: str
    subject: str | None
    outcome: str
    reason: str | None
    detail: Mapping[str, DetailValue] | None


_SHOWN = (
    AuditEventRow.seq,
    AuditEventRow.at,
    AuditEventRow.actor,
    AuditEventRow.role,
    AuditEventRow.organisation,
    AuditEventRow.purpose,
    AuditEventRow.action,
    AuditEventRow.subject,
    AuditEventRow.outcome,
    AuditEventRow.reason,
    AuditEventRow.detail,
)


def search(session: Session, query: AuditQuery, *, limit: int, offset: int = 0) -> list[LoggedEvent]:
    """One page of the events matching `query`, newest first (by `seq`, the order they were logged)."""
    if limit < 1:
        raise ValueError(f"a page of audit events holds at least one event; got limit={limit}")
    if offset < 0:
        raise ValueError(f"an audit search offset cannot be negative; got offset={offset}")
    statement = (
        select(*_SHOWN)
        .where(*_conditions(query))
        .order_by(AuditEventRow.seq.desc())
        .limit(limit)
        .offset(offset)
    )
    return [_event(row._asdict()) for row in session.execute(statement)]


def newest(session: Session, action: str) -> LoggedEvent | None:
    """The newest event of `action` in the retained log, or None."""
    found = search(session, AuditQuery(action=action), limit=1)
    return found[0] if found else None


def _conditions(query: AuditQuery) -> list[ColumnElement[bool]]:
    equal = {
        AuditEventRow.actor: query.actor,
        AuditEventRow.subject: query.subject,
        AuditEventRow.purpose: query.purpose,
        AuditEventRow.action: query.action,
        AuditEventRow.outcome: query.outcome,
    }
    conditions = [column == value for column, value in equal.items() if value is not None]
    if query.since is not None:
        conditions.append(AuditEventRow.at >= query.since)
    if query.until is not None:
        conditions.append(AuditEventRow.at < query.until)
    if query.through is not None:
        conditions.append(AuditEventRow.seq <= query.through)
    return conditions


def _event(fields: dict[str, object]) -> LoggedEvent:
    stored = fields.pop("detail")
    detail = json.loads(stored) if isinstance(stored, str) else None
    return LoggedEvent(**fields, detail=detail)  # type: ignore[arg-type]
