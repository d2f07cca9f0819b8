"""A laboratory's past imports: when each file came, from which account, and how its rows fared.

These are counts about files, not about anyone: listing them passes the guard's checks of the role
(without an audit event, since no person is read). A laboratory sees its organisation's imports; an
account without an organisation sees its own.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from http import HTTPStatus

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.sql import ColumnElement

from serment.access import Platform, Refused, Request, authorise
from serment.store.tables import ImportRow

REPORT = "report"


@dataclass(frozen=True)
class PastImport:
    """One imported file: its id, when and by whom, its rows read, stored, refused and already known."""

    id: str
    imported_at: datetime
    actor: str
    rows: int
    stored: int
    refused: int
    duplicates: int


@dataclass(frozen=True)
class ImportPage:
    """A page of past imports, newest first; `has_next` when an older page exists."""

    items: tuple[PastImport, ...]
    has_next: bool


def list_own_imports(platform: Platform, request: Request, *, limit: int = 50, offset: int = 0) -> ImportPage:
    """The imports of the caller's organisation (or their own), newest first."""

    def read(session: Session) -> ImportPage:
        authorise(platform, session, request, REPORT, None)
        rows = session.scalars(
            select(ImportRow)
            .where(_theirs(request))
            .order_by(ImportRow.imported_at.desc(), ImportRow.id.desc())
            .limit(limit + 1)
            .offset(offset)
        ).all()
        return ImportPage(tuple(_past(row) for row in rows[:limit]), has_next=len(rows) > limit)

    return platform.run(read)


def read_own_import(platform: Platform, request: Request, import_id: str) -> PastImport:
    """One import of the caller's organisation (or their own); Refused (404, audited) otherwise."""

    def read(session: Session) -> PastImport:
        authorise(platform, session, request, REPORT, None)
        row = session.scalars(select(ImportRow).where(ImportRow.id == import_id, _theirs(request))).first()
        if row is None:
            reason = f"no import {import_id} by {request.actor.organisation or request.actor.name}"
            entry = request.actor.entry(
                REPORT, "refused", purpose=request.purpose, reason=reason, request_id=request.request_id
            )
            raise Refused(reason, entry, HTTPStatus.NOT_FOUND)
        return _past(row)

    return platform.run(read)


def _theirs(request: Request) -> ColumnElement[bool]:
    actor = request.actor
    if actor.organisation:
        return ImportRow.organisation == actor.organisation
    return ImportRow.actor == actor.name


def _past(row: ImportRow) -> PastImport:
    return PastImport(row.id, row.imported_at, row.actor, row.rows, row.stored, row.refused, row.duplicates)
