"""A person's access history: every audited access to their record, as the person may see it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from serment.store.tables import AuditEventRow


@dataclass(frozen=True)
class AccessRecord:
    """One access to a person's record: when, who (account, role, organisation), for which purpose,
    what was done and whether it was allowed."""

    at: datetime
    actor: str
    role: str | None
    organisation: str | None
    purpose: str | None
    action: str
    outcome: str
    reason: str | None


def history(
    session: Session, subject: str, *, limit: int = 100, offset: int = 0
) -> tuple[int, list[AccessRecord]]:
    """The total number of retained audit events about the person `subject` (a person ref) and one
    page of them, newest first, refused attempts included: what a patient sees when listing who
    accessed their record.
    """
    if limit < 1:
        raise ValueError(f"a page of access history holds at least one record; got limit={limit}")
    if offset < 0:
        raise ValueError(f"an access history offset cannot be negative; got offset={offset}")
    about = AuditEventRow.subject == subject
    total = session.scalar(select(func.count()).where(about)) or 0
    page = session.execute(
        select(
            AuditEventRow.at,
            AuditEventRow.actor,
            AuditEventRow.role,
            AuditEventRow.organisation,
            AuditEventRow.purpose,
            AuditEventRow.action,
            AuditEventRow.outcome,
            AuditEventRow.reason,
        )
        .where(about)
        # seq breaks ties between events recorded at the same instant, so pages never overlap.
        .order_by(AuditEventRow.at.desc(), AuditEventRow.seq.desc())
        .limit(limit)
        .offset(offset)
    )
    return total, [AccessRecord(**row._asdict()) for row in page]
