"""The review queue of possible duplicates: a person reads both identities side by side and merges
them or says they are two people; a merge can be undone.

A merge moves the other person's results, cases, exposures (both ends), oppositions and patient
account to the kept person, and records the id of each row it moved; the merged record stays,
marked merged into the kept one, so that its pseudonyms find the kept person. Undoing the merge
moves exactly those rows back: what was reported for the kept person since stays with them. Notes
sealed under the person a moved row names are sealed again under the key of the person it joins.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from http import HTTPStatus
from types import MappingProxyType

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from serment.access import Access, Platform, Request, changed, guard
from serment.audit import defer
from serment.people.details import PersonRecord
from serment.people.linkage import OPEN
from serment.people.records import open_beside, open_record, seal_beside, touch_row
from serment.store.tables import (
    Base,
    CaseRow,
    DuplicatePairRow,
    ExposureRow,
    MergeRow,
    OppositionRow,
    PersonRow,
    ResultRow,
    UserRow,
)

MERGED, DISTINCT, UNDONE = "merged", "distinct", "undone"
# Decisions a reviewer may take again: an undone merge is closed, not back in the queue.
_DECIDABLE = (OPEN, UNDONE)


@dataclass(frozen=True)
class _Movable:
    """Rows a merge moves: `model`'s rows whose `column` names the merged person, by `ident`; their
    `sealed` column, if any, is sealed under that person's data key."""

    name: str
    model: type[Base]
    ident: str
    column: str
    sealed: str | None = None

    def move(self, session: Session, source: str, target: str) -> list[str | int]:
        ident, column = getattr(self.model, self.ident), getattr(self.model, self.column)
        ids: list[str | int] = list(session.scalars(select(ident).where(column == source).order_by(ident)))
        if ids:
            session.execute(update(self.model).where(ident.in_(ids)).values({self.column: target}))
        return ids

    def move_back(self, session: Session, ids: list[str | int], kept: str, merged: str) -> int:
        if not ids:
            return 0
        ident, column = getattr(self.model, self.ident), getattr(self.model, self.column)
        result = session.execute(
            update(self.model).where(ident.in_(ids), column == kept).values({self.column: merged})
        )
        return int(getattr(result, "rowcount", 0))

    def reseal(
        self, platform: Platform, session: Session, ids: list[str | int], old: PersonRow, new: PersonRow
    ) -> None:
        """Seal again, under `new`'s data key, what the rows `ids` held sealed under `old`'s."""
        if self.sealed is None or not ids:
            return
        ident, sealed = getattr(self.model, self.ident), getattr(self.model, self.sealed)
        place = {"table": self.model.__tablename__, "column": self.sealed}
        for row_id, value in session.execute(
            select(ident, sealed).where(ident.in_(ids), sealed.is_not(None))
        ):
            text = open_beside(platform, old, value, **place, row=str(row_id))
            resealed = seal_beside(platform, new, text, **place, row=str(row_id))
            session.execute(update(self.model).where(ident == row_id).values({self.sealed: resealed}))


_MOVABLE = (
    _Movable("results", ResultRow, "id", "person_ref"),
    _Movable("cases", CaseRow, "ref", "person_ref", sealed="notes"),
    _Movable("exposures", ExposureRow, "id", "person_ref"),
    _Movable("exposures_as_contact", ExposureRow, "id", "contact_ref", sealed="notes"),
    _Movable("oppositions", OppositionRow, "id", "person_ref"),
    _Movable("patient_accounts", UserRow, "id", "person_ref"),
)
Detail = dict[str, str | int | bool | None]


class DuplicateError(Exception):
    """A review-queue request that cannot be served; `status` is the HTTP status to answer."""

    status = HTTPStatus.CONFLICT
    title = "Conflict"


class NoSuchPair(DuplicateError):
    """No pair of possible duplicates has this id."""

    status = HTTPStatus.NOT_FOUND
    title = "No such pair"


class PairDecided(DuplicateError):
    """The pair was already merged or declared distinct."""


class NotInPair(DuplicateError):
    """The person to keep is not one of the pair."""

    status = HTTPStatus.UNPROCESSABLE_ENTITY
    title = "Invalid input"


class NoSuchMerge(DuplicateError):
    """No merge has this id."""

    status = HTTPStatus.NOT_FOUND
    title = "No such merge"


class MergeConflict(DuplicateError):
    """The merge, or its undoing, would contradict what happened since."""


@dataclass(frozen=True)
class DuplicatePair:
    """An open pair of the queue: both records, the score and each field's agreement level."""

    id: int
    score: float
    levels: Mapping[str, str]
    found_at: datetime
    people: tuple[PersonRecord, PersonRecord]


@dataclass(frozen=True)
class PairDecision:
    """What became of a pair."""

    id: int
    status: str
    decided_at: datetime | None
    decided_by: str | None


@dataclass(frozen=True)
class Merge:
    """A merge: who was kept, who was merged into them, how many rows of each kind moved."""

    id: int
    pair: int
    kept: str
    merged: str
    moved: Mapping[str, int]
    merged_at: datetime
    merged_by: str
    undone_at: datetime | None
    undone_by: str | None


def list_duplicates(
    platform: Platform, request: Request, *, limit: int = 20, offset: int = 0
) -> tuple[int, list[DuplicatePair]]:
    """The open pairs, best score first, and how many there are; each identity shown is a guarded,
    audited access to that person."""

    def read(session: Session) -> tuple[int, list[DuplicatePair]]:
        guard(platform, session, request, "merge", None)
        live = select(PersonRow.ref).where(
            PersonRow.erased_at.is_(None), PersonRow.expired_at.is_(None), PersonRow.merged_into.is_(None)
        )
        shown = (
            DuplicatePairRow.status == OPEN,
            DuplicatePairRow.first_ref.in_(live),
            DuplicatePairRow.second_ref.in_(live),
        )
        total = session.scalar(select(func.count()).select_from(DuplicatePairRow).where(*shown)) or 0
        rows = session.scalars(
            select(DuplicatePairRow)
            .where(*shown)
            .order_by(DuplicatePairRow.score.desc(), DuplicatePairRow.id)
            .limit(limit)
            .offset(offset)
        ).all()
        return total, [_pair(platform, session, request, row) for row in rows]

    return platform.run(read)


def merge_duplicates(platform: Platform, request: Request, pair_id: int, keep: str) -> Merge:
    """Merge the other person of the pair into `keep`, recording exactly which rows moved."""

    def merge(session: Session) -> Merge:
        access = guard(platform, session, request, "merge", None)
        pair = _decidable(session, pair_id)
        if keep not in (pair.first_ref, pair.second_ref):
            raise NotInPair(
                f"{keep} is not one of pair {pair_id}; keep {pair.first_ref} or {pair.second_ref}"
            )
        other = pair.second_ref if keep == pair.first_ref else pair.first_ref
        kept, merged = _unmerged(session, keep), _unmerged(session, other)
        guard(platform, session, request, "merge", keep)
        guard(platform, session, request, "merge", other)
        if _account_of(session, keep) is not None and _account_of(session, other) is not None:
            raise MergeConflict(
                f"both {keep} and {other} have a patient account; disable one of them before merging"
            )
        moved = {movable.name: movable.move(session, other, keep) for movable in _MOVABLE}
        for movable in _MOVABLE:
            movable.reseal(platform, session, moved[movable.name], merged, kept)
        merged.merged_into = keep
        changed(session, [keep, other])
        touch_row(platform, kept, merged.last_event_at)
        now = platform.clock.now()
        _decide(pair, MERGED, request, now)
        row = MergeRow(
            pair_id=pair.id, kept_ref=keep, merged_ref=other, moved=json.dumps(moved, sort_keys=True),
            merged_at=now, merged_by=request.actor.name,
        )  # fmt: skip
        session.add(row)
        session.flush()
        counts = {name: len(ids) for name, ids in moved.items()}
        detail: Detail = {"merge": row.id, "pair": pair.id, "merged": other, **counts}
        _audit(platform, session, access, "merge", subject=keep, detail=detail)
        return _merge_view(row)

    return platform.run(merge)


def declare_distinct(platform: Platform, request: Request, pair_id: int) -> PairDecision:
    """Close the pair as two different people: it is never proposed again."""

    def decide(session: Session) -> PairDecision:
        access = guard(platform, session, request, "merge", None)
        pair = _decidable(session, pair_id)
        guard(platform, session, request, "merge", pair.first_ref)
        guard(platform, session, request, "merge", pair.second_ref)
        _decide(pair, DISTINCT, request, platform.clock.now())
        detail: Detail = {"pair": pair.id, "other": pair.second_ref}
        _audit(platform, session, access, "not_duplicate", subject=pair.first_ref, detail=detail)
        return PairDecision(pair.id, pair.status, pair.decided_at, pair.decided_by)

    return platform.run(decide)


def undo_merge(platform: Platform, request: Request, merge_id: int) -> Merge:
    """Move back exactly the rows the merge moved and separate the two records again. The pair is
    closed as undone, not put back in the queue; a reviewer may decide it again by its id."""

    def undo(session: Session) -> Merge:
        access = guard(platform, session, request, "merge", None)
        row = session.get(MergeRow, merge_id, with_for_update=True)
        if row is None:
            raise NoSuchMerge(f"no merge has the id {merge_id}")
        if row.undone_at is not None:
            raise MergeConflict(f"merge {merge_id} was already undone on {row.undone_at.isoformat()}")
        kept, merged = session.get(PersonRow, row.kept_ref), session.get(PersonRow, row.merged_ref)
        if kept is None or merged is None or kept.erased_at is not None or merged.erased_at is not None:
            raise MergeConflict(f"a person of merge {merge_id} was erased since; nothing can be moved back")
        if kept.merged_into is not None:
            later = session.scalar(
                select(MergeRow.id).where(MergeRow.merged_ref == kept.ref, MergeRow.undone_at.is_(None))
            )
            raise MergeConflict(f"{kept.ref} was merged again since: undo merge {later} first")
        guard(platform, session, request, "merge", kept.ref)
        guard(platform, session, request, "merge", merged.ref)
        recorded: dict[str, list[str | int]] = json.loads(row.moved)
        back = {
            movable.name: movable.move_back(session, recorded.get(movable.name, []), kept.ref, merged.ref)
            for movable in _MOVABLE
        }
        for movable in _MOVABLE:
            movable.reseal(platform, session, _returned(session, movable, recorded, merged.ref), kept, merged)
        merged.merged_into = None
        changed(session, [kept.ref, merged.ref])
        now = platform.clock.now()
        row.undone_at, row.undone_by = now, request.actor.name
        pair = session.get(DuplicatePairRow, row.pair_id)
        if pair is not None:
            _decide(pair, UNDONE, request, now)
        detail: Detail = {"merge": row.id, "pair": row.pair_id, "merged": merged.ref, **back}
        _audit(platform, session, access, "undo_merge", subject=kept.ref, detail=detail)
        return _merge_view(row)

    return platform.run(undo)


def _returned(
    session: Session, movable: _Movable, recorded: dict[str, list[str | int]], merged: str
) -> list[str | int]:
    # The rows the undo just moved back: those of the merge that name the merged person again.
    ids = recorded.get(movable.name, [])
    if movable.sealed is None or not ids:
        return []
    ident, column = getattr(movable.model, movable.ident), getattr(movable.model, movable.column)
    return list(session.scalars(select(ident).where(ident.in_(ids), column == merged)))


def _pair(platform: Platform, session: Session, request: Request, row: DuplicatePairRow) -> DuplicatePair:
    records = []
    for ref in (row.first_ref, row.second_ref):
        guard(platform, session, request, "merge", ref)
        records.append(open_record(platform, session.get_one(PersonRow, ref)))
    levels = MappingProxyType(dict(json.loads(row.levels)))
    return DuplicatePair(row.id, row.score, levels, row.found_at, (records[0], records[1]))


def _decidable(session: Session, pair_id: int) -> DuplicatePairRow:
    pair = session.get(DuplicatePairRow, pair_id, with_for_update=True)
    if pair is None:
        raise NoSuchPair(f"no pair of possible duplicates has the id {pair_id}")
    if pair.status not in _DECIDABLE:
        when = pair.decided_at.isoformat() if pair.decided_at else "earlier"
        raise PairDecided(
            f"pair {pair_id} was already decided ({pair.status}) by {pair.decided_by} on {when}"
        )
    return pair


def _unmerged(session: Session, ref: str) -> PersonRow:
    person = session.get(PersonRow, ref)
    if person is not None and person.merged_into is not None:
        raise MergeConflict(f"{ref} was already merged into {person.merged_into}; decide on that person")
    if person is None or person.erased_at is not None or person.expired_at is not None:
        raise MergeConflict(f"{ref} was erased or has expired since the pair was found")
    return person


def _account_of(session: Session, ref: str) -> int | None:
    return session.scalar(select(UserRow.id).where(UserRow.person_ref == ref))


def _decide(pair: DuplicatePairRow, status: str, request: Request, at: datetime) -> None:
    pair.status = status
    pair.decided_at = at
    pair.decided_by = request.actor.name


def _audit(
    platform: Platform, session: Session, access: Access, action: str, *, subject: str, detail: Detail
) -> None:
    request = access.request
    entry = request.actor.entry(
        action, "ok", purpose=access.purpose, subject=subject, request_id=request.request_id, detail=detail
    )
    defer(session, entry, platform.clock.now())


def _merge_view(row: MergeRow) -> Merge:
    moved = {name: len(ids) for name, ids in json.loads(row.moved).items()}
    return Merge(
        row.id, row.pair_id, row.kept_ref, row.merged_ref, MappingProxyType(moved), row.merged_at,
        row.merged_by, row.undone_at, row.undone_by,
    )  # fmt: skip
