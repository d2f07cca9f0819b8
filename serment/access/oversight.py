"""Oversight: verifying, searching and exporting the audit log, and a person's access history.

For the data-protection officer, and for patients reading who accessed their own record.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from serment.access.actors import Request
from serment.access.guard import Access, authorise, guard, record
from serment.access.platform import Platform, Refused
from serment.audit import (
    AccessRecord,
    AuditQuery,
    LoggedEvent,
    Verification,
    append,
    export,
    history,
    newest,
    search,
    verify,
)
from serment.audit.events import DetailValue


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


# The action of the event that records a verification's result, so that the page can show the latest.
VERIFIED = "audit_verified"
# A person ref, as the vault makes them: anything else cannot name anyone in the log.
_REF = re.compile(r"[a-z2-7]{26}")


class AuditQueryInvalid(ValueError):
    """A search the log cannot answer as asked (a person ref that cannot be one, a reversed period)."""


@dataclass(frozen=True)
class RecordedVerification:
    """A verification of the chain as the log recorded it: when, by whom, what it found, how long
    it took."""

    at: datetime
    actor: str
    events: int
    intact: bool
    head: str | None
    first_broken: int | None
    problem: str | None
    milliseconds: int


def across_people(platform: Platform, session: Session, request: Request, action: str) -> Access:
    """Allow `request` to perform `action` over everyone's records (a search, a list, a report), or
    raise Refused (audited): besides the grant, its purpose must reach anyone, so that a purpose
    limited to one's own record (self) or to assigned people never opens a view of everybody."""
    access = authorise(platform, session, request, action, None)
    relationship = platform.policy.relationship(access.purpose)
    if relationship != "none":
        reason = f"the purpose {access.purpose} reaches {relationship} people only, not everyone's records"
        entry = request.actor.entry(
            action, "refused", purpose=access.purpose, reason=reason, request_id=request.request_id
        )
        raise Refused(reason, entry)
    return access


def search_audit(
    platform: Platform, request: Request, query: AuditQuery, *, limit: int = 50, offset: int = 0
) -> list[LoggedEvent]:
    """One page of the audit events matching `query`, newest first. The search is itself audited
    (action `audit`), naming the person searched for, so that their own access history shows it."""
    if query.subject is not None and not _REF.fullmatch(query.subject):
        raise AuditQueryInvalid("a person ref is 26 characters, lower-case letters a to z and digits 2 to 7")
    if query.since is not None and query.until is not None and query.until <= query.since:
        raise AuditQueryInvalid("the period ends before it starts")

    def read(session: Session) -> list[LoggedEvent]:
        access = across_people(platform, session, request, "audit")
        record(platform, session, access, query.subject)
        return search(session, query, limit=limit, offset=offset)

    return platform.run(read)


def record_verification(platform: Platform, request: Request) -> RecordedVerification:
    """Verify the whole chain now, and record what was found and how long it took as an event of
    the log itself (action `audit_verified`), for `last_verification`.

    The walk reads a snapshot outside any write transaction: on a long log it takes a while, and
    writers must not wait for it.
    """

    def allow(session: Session) -> None:
        record(platform, session, across_people(platform, session, request, "audit"), None)

    platform.run(allow)
    started = time.perf_counter()
    with platform.database.read() as session:
        found = verify(session)
    milliseconds = round((time.perf_counter() - started) * 1000)
    detail: dict[str, DetailValue] = {
        "events": found.events, "intact": found.intact, "head": found.head,
        "first_broken": found.first_broken, "problem": found.problem, "milliseconds": milliseconds,
    }  # fmt: skip
    entry = request.actor.entry(VERIFIED, "ok", purpose="audit", request_id=request.request_id, detail=detail)
    now = platform.clock.now()
    with platform.transaction() as session:
        append(session, entry, now)
    return _recorded(now, request.actor.name, detail)


def last_verification(platform: Platform, request: Request) -> RecordedVerification | None:
    """The newest verification recorded by `record_verification`, or None if there was none."""

    def read(session: Session) -> RecordedVerification | None:
        record(platform, session, across_people(platform, session, request, "audit"), None)
        event = newest(session, VERIFIED)
        if event is None or event.detail is None:
            return None
        return _recorded(event.at, event.actor, event.detail)

    return platform.run(read)


def _recorded(at: datetime, actor: str, detail: Mapping[str, DetailValue]) -> RecordedVerification:
    def number(key: str) -> int | None:
        value = detail.get(key)
        return value if isinstance(value, int) and not isinstance(value, bool) else None

    def text(key: str) -> str | None:
        value = detail.get(key)
        return value if isinstance(value, str) else None

    return RecordedVerification(
        at=at, actor=actor, events=number("events") or 0, intact=detail.get("intact") is True,
        head=text("head"), first_broken=number("first_broken"), problem=text("problem"),
        milliseconds=number("milliseconds") or 0,
    )  # fmt: skip
