"""Oversight: verifying and exporting the audit log, and a person's access history.

For the data-protection officer, and for patients reading who accessed their own record.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

from sqlalchemy.orm import Session

from serment.access.actors import Request
from serment.access.guard import guard
from serment.access.platform import Platform
from serment.audit import AccessRecord, Verification, export, history, verify


def verify_audit(platform: Platform, request: Request) -> Verification:
    """Walk the whole audit chain and say whether it is intact, and where it breaks if not."""

    def check(session: Session) -> Verification:
        guard(platform, session, request, "audit", None)
        return verify(session)

    return platform.run(check)


def export_audit(
    platform: Platform, request: Request, since: datetime | None = None
) -> Iterator[dict[str, object]]:
    """Every audit event since `since`, oldest first, for anchoring the chain elsewhere."""
    with platform.transaction() as session:
        guard(platform, session, request, "audit", None)
    with platform.database.read() as session:
        yield from export(session, since)


def access_history(
    platform: Platform, request: Request, ref: str, *, limit: int = 100, offset: int = 0
) -> tuple[int, list[AccessRecord]]:
    """Who accessed the person's record, when, in which role and organisation, for which purpose."""

    def read(session: Session) -> tuple[int, list[AccessRecord]]:
        guard(platform, session, request, "history", ref)
        return history(session, ref, limit=limit, offset=offset)

    return platform.run(read)
