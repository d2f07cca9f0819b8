"""Opposition requests across people, for the data-protection officer who answers them: every
opposition registered, by whom and through which channel, and whether it was withdrawn.

Each person's own list, and registering or withdrawing one, are in `oppositions`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from serment.access import Platform, Request, record
from serment.access.oversight import across_people
from serment.store.tables import OppositionRow

State = Literal["active", "withdrawn"]
STATES: tuple[State, ...] = ("active", "withdrawn")


@dataclass(frozen=True)
class OppositionRequest:
    """One opposition of one person (by ref) to a purpose: how it came and who registered it, and
    when it was withdrawn and by whom."""

    id: int
    ref: str
    purpose: str
    channel: str
    registered_at: datetime
    registered_by: str
    withdrawn_at: datetime | None
    withdrawn_by: str | None


def list_opposition_requests(
    platform: Platform,
    request: Request,
    *,
    ref: str | None = None,
    state: State | None = None,
    limit: int = 50,
    offset: int = 0,
) -> list[OppositionRequest]:
    """One page of the oppositions of everyone (or of the person `ref`), newest first, active or
    withdrawn ones only when `state` says so. For a purpose that reaches anyone's records (the
    data-protection officer's audit); audited as the caller's `oppose` action."""
    if limit < 1 or offset < 0:
        raise ValueError(f"a page holds at least one opposition from offset 0 on; got {limit}, {offset}")

    def read(session: Session) -> list[OppositionRequest]:
        record(platform, session, across_people(platform, session, request, "oppose"), ref)
        statement = select(OppositionRow).order_by(OppositionRow.id.desc()).limit(limit).offset(offset)
        if ref is not None:
            statement = statement.where(OppositionRow.person_ref == ref)
        if state == "active":
            statement = statement.where(OppositionRow.withdrawn_at.is_(None))
        elif state == "withdrawn":
            statement = statement.where(OppositionRow.withdrawn_at.is_not(None))
        return [
            OppositionRequest(
                row.id, row.person_ref, row.purpose, row.channel, row.registered_at, row.registered_by,
                row.withdrawn_at, row.withdrawn_by,
            )
            for row in session.scalars(statement)
        ]  # fmt: skip

    return platform.run(read)
