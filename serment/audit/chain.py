"""The hash chain: appending events, verifying the chain, exporting it, and purging its oldest part.

Each event stores `prev_hash`, the hash of the event before it (`GENESIS` for the first), and its
own `hash` over every stored field, `seq` and `prev_hash` included. Changing, deleting or reordering
any event therefore breaks the chain at a place `verify` names. When older events are purged, the
one-row anchor table keeps the sequence number and the hash the first retained event must follow.

What the database alone cannot show: deleting the newest events (the chain that is left is
intact, only shorter), or rewriting the whole log, or forging the anchor, with hashes recomputed.
Against those, `export` the log (or just its head) regularly and keep the copy somewhere the
database's administrators cannot write: a later `verify` whose head is not a continuation of the
exported one, or an exported event that no longer matches, shows the rewrite.

Concurrency: two writers must never fork the chain. On SQLite callers append inside
`Database.write()`, whose BEGIN IMMEDIATE serialises writers. On PostgreSQL `append` and
`purge_before` take `pg_advisory_xact_lock(CHAIN_LOCK_KEY)`, held until the transaction ends,
before reading the head. Should a lock be missed, the primary key on `seq` and the unique
`prev_hash` still refuse a second event after the same head.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Generator, Iterator
from contextlib import closing
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import BigInteger, Select, delete, event, func, insert, literal, select
from sqlalchemy.orm import Session

from serment.audit.events import AuditEntry, AuditEvent, event_hash, iso_utc
from serment.store.tables import AuditAnchorRow, AuditEventRow

GENESIS = "0" * 64

# The key of pg_advisory_xact_lock that serialises writers of the chain on PostgreSQL: the ASCII
# bytes "SERMAUDT" read as a big-endian bigint, unlikely to clash with another application's lock.
CHAIN_LOCK_KEY = 0x5345524D41554454

# The anchor table holds at most this one row.
ANCHOR_ID = 1

# Rows fetched per round trip when walking the whole log (server-side cursor on PostgreSQL).
BATCH_SIZE = 1000

_COLUMNS = tuple(AuditEventRow.__table__.columns)
_IN_ANCHOR = AuditAnchorRow.id == ANCHOR_ID
# The anchor is read in the walk's own statement: on PostgreSQL under READ COMMITTED a purge
# committing between two statements would otherwise look like deleted events.
_WALK = select(
    *_COLUMNS,
    select(AuditAnchorRow.first_seq).where(_IN_ANCHOR).scalar_subquery().label("anchor_first_seq"),
    select(AuditAnchorRow.prev_hash).where(_IN_ANCHOR).scalar_subquery().label("anchor_prev_hash"),
)
_UNREADABLE = "one of its stored values cannot be read"


@dataclass(frozen=True)
class Verification:
    """The result of `verify`, for `serment audit verify` and the health checks.

    `events` counts the events read (up to and including the first broken one); `head` is the hash
    of the newest event (or of the purge anchor when every event was purged) when the chain is
    intact, else None; `first_broken` is the seq at which the break was seen and `problem` says what
    was found there.
    """

    events: int
    intact: bool
    head: str | None
    first_broken: int | None
    problem: str | None

    def summary(self) -> str:
        """One line for a person: "N events, chain intact, head <hash>" or where and why it broke."""
        if not self.intact:
            return f"chain broken at event {self.first_broken}: {self.problem}"
        noun = "event" if self.events == 1 else "events"
        if self.head is None:
            return f"{self.events} {noun}, chain intact, log empty"
        return f"{self.events} {noun}, chain intact, head {self.head}"


def append(session: Session, entry: AuditEntry, at: datetime) -> AuditEvent:
    """Add `entry` to the end of the chain at time `at` (timezone-aware, from the caller's clock), in
    the caller's transaction, so that the audited action and its event commit or fail together.

    On SQLite call it inside `Database.write()`; on PostgreSQL it locks the chain itself. A race the
    locks missed raises IntegrityError at the flush instead of forking the chain.
    """
    write_deferred(session)
    return _write(session, [(entry, at)])[0]


def defer(session: Session, entry: AuditEntry, at: datetime) -> None:
    """Add `entry` to the chain when the caller's transaction ends (see `write_deferred`): the same
    chain and hashes as `append`, but a use case that audits many accesses reads the head once and
    writes its events in one statement."""
    session.info.setdefault(_DEFERRED, []).append((entry, _utc(at)))


def write_deferred(session: Session) -> int:
    """Write the events deferred in this transaction, in order; call it before committing. Returns
    how many were written."""
    pending: list[tuple[AuditEntry, datetime]] = session.info.pop(_DEFERRED, [])
    if pending:
        _write(session, pending)
    return len(pending)


def _write(session: Session, entries: list[tuple[AuditEntry, datetime]]) -> list[AuditEvent]:
    session.flush()
    _lock_chain(session)
    seq, prev_hash = _next_link(session)
    rows, events = [], []
    for entry, when in entries:
        at = _utc(when)
        recorded = {field.name: getattr(entry, field.name) for field in dataclasses.fields(entry)}
        stored = {**recorded, "detail": entry.stored_detail(), "seq": seq, "at": at, "prev_hash": prev_hash}
        digest = event_hash(stored)
        rows.append({**stored, "hash": digest})
        events.append(AuditEvent(seq=seq, at=at, hash=digest, prev_hash=prev_hash, **recorded))
        seq, prev_hash = seq + 1, digest
    session.execute(insert(AuditEventRow), rows)
    return events


def verify(session: Session) -> Verification:
    """Walk the retained chain in seq order from the purge anchor (or the genesis) and report the
    first event that is out of sequence, does not follow its predecessor, or does not match its own
    hash; for operators (`serment audit verify`) and monitoring.

    A changed event is named itself, a deleted one by the event after the gap, two swapped events
    by the first of them. Deleting the newest events leaves a shorter intact chain and cannot be
    seen from the database alone: compare the head with one exported earlier (see `export`).
    """
    expected: tuple[int, str] | None = None  # the seq and prev_hash the next event must have
    anchored = False
    previous: int | None = None
    count = 0
    with closing(_stored_events(session)) as stored:
        for event in stored:
            count += 1
            if expected is None:
                anchored = event.anchor is not None
                expected = event.anchor or (1, GENESIS)
            if event.fields is None:
                problem = (
                    _out_of_sequence(event.seq, expected[0]) if event.seq != expected[0] else _UNREADABLE
                )
                return Verification(count, False, None, event.seq, problem)
            found = _break_in(event.fields, *expected, previous, anchored=anchored)
            if found is not None:
                return Verification(count, False, None, event.seq, found)
            previous, expected = event.seq, (event.seq + 1, event.fields["hash"])
    if expected is None:
        anchor = _anchor(session)
        return Verification(0, True, None if anchor is None else anchor[1], None, None)
    return Verification(count, True, expected[1], None, None)


def export(session: Session, since: datetime | None = None) -> Iterator[dict[str, object]]:
    """Every retained event with `at` at or after `since` (all when None), in seq order, as JSON-ready
    dicts with their `seq`, `prev_hash` and `hash`, for anchoring the log somewhere else.

    `at` is the canonical ISO 8601 "Z" string and `detail` the stored JSON text, so that
    `event_hash(record) == record["hash"]` can be checked on the copy. Consume the iterator inside
    the session's block: it streams from the database.
    """
    statement = select(*_COLUMNS).order_by(AuditEventRow.seq)
    if since is not None:
        statement = statement.where(AuditEventRow.at >= _utc(since))
    for row in _stream(session, statement):
        record: dict[str, object] = row._asdict()
        record["at"] = iso_utc(row.at)
        yield record


def purge_before(session: Session, cutoff: datetime, at: datetime) -> int:
    """Delete the oldest events, those before `cutoff`, for the retention purge; return how many.

    Only a prefix of the chain is deleted: the events up to the first one at or after `cutoff`, so
    an older-dated event recorded after a newer one stays. The anchor row then holds the seq of the
    first retained event, the hash of the last deleted one, the running total of purged events and
    `at`. Verify (and export) before purging: a purged prefix can no longer be checked.
    """
    cutoff, at = _utc(cutoff), _utc(at)
    _lock_chain(session)
    boundary = session.scalar(select(func.min(AuditEventRow.seq)).where(AuditEventRow.at >= cutoff))
    newest_purged = select(AuditEventRow.seq, AuditEventRow.hash).order_by(AuditEventRow.seq.desc()).limit(1)
    if boundary is not None:
        newest_purged = newest_purged.where(AuditEventRow.seq < boundary)
    last = session.execute(newest_purged).first()
    if last is None:
        return 0
    purged = session.scalar(select(func.count()).where(AuditEventRow.seq <= last.seq)) or 0
    session.execute(delete(AuditEventRow).where(AuditEventRow.seq <= last.seq))
    anchor = session.get(AuditAnchorRow, ANCHOR_ID, populate_existing=True)
    if anchor is None:
        anchor = AuditAnchorRow(id=ANCHOR_ID, purged_events=0)
        session.add(anchor)
    anchor.first_seq = last.seq + 1
    anchor.prev_hash = last.hash
    anchor.purged_events += purged
    anchor.purged_at = at
    session.flush()
    return purged


# Where `defer` keeps a transaction's events until `write_deferred`.
_DEFERRED = "serment.audit.deferred"


@event.listens_for(Session, "before_commit")
def _write_before_commit(session: Session) -> None:
    # No deferred event is lost, whoever commits the transaction.
    write_deferred(session)


def _lock_chain(session: Session) -> None:
    # SQLite needs no lock here: Database.write() already holds its only write lock.
    if session.connection().dialect.name == "postgresql":
        session.execute(select(func.pg_advisory_xact_lock(literal(CHAIN_LOCK_KEY, BigInteger))))


def _next_link(session: Session) -> tuple[int, str]:
    head = session.execute(
        select(AuditEventRow.seq, AuditEventRow.hash).order_by(AuditEventRow.seq.desc()).limit(1)
    ).first()
    if head is not None:
        return head.seq + 1, head.hash
    anchor = _anchor(session)
    return anchor if anchor is not None else (1, GENESIS)


def _anchor(session: Session) -> tuple[int, str] | None:
    row = session.execute(
        select(AuditAnchorRow.first_seq, AuditAnchorRow.prev_hash).where(AuditAnchorRow.id == ANCHOR_ID)
    ).first()
    return None if row is None else (row.first_seq, row.prev_hash)


def _break_in(
    fields: dict[str, Any], expected_seq: int, expected_prev: str, previous: int | None, *, anchored: bool
) -> str | None:
    if fields["seq"] != expected_seq:
        return _out_of_sequence(fields["seq"], expected_seq)
    if fields["prev_hash"] != expected_prev:
        return _unlinked(previous, anchored=anchored)
    if event_hash(fields) != fields["hash"]:
        return "its contents do not match its hash"
    return None


def _out_of_sequence(seq: int, expected_seq: int) -> str:
    if seq < expected_seq:
        return f"the purge anchor says the log starts at event {expected_seq}, yet event {seq} is there"
    if seq == expected_seq + 1:
        return f"event {expected_seq} is missing"
    return f"events {expected_seq} to {seq - 1} are missing"


def _unlinked(previous: int | None, *, anchored: bool) -> str:
    if previous is not None:
        return f"it does not follow event {previous}: its prev_hash is not that event's hash"
    if anchored:
        return "it does not follow the purge anchor: its prev_hash is not the anchor's"
    return "it does not start the chain: its prev_hash is not the genesis hash"


@dataclass(frozen=True)
class _Stored:
    """An event as `verify` reads it: its stored fields (None when one cannot be read back) and the
    purge anchor as it stood in the same snapshot."""

    seq: int
    fields: dict[str, Any] | None
    anchor: tuple[int, str] | None


def _stored_events(session: Session) -> Generator[_Stored, None, None]:
    after: int | None = None
    try:
        for row in _stream(session, _WALK.order_by(AuditEventRow.seq)):
            after = row.seq
            yield _stored(row._asdict())
    except (ValueError, TypeError):
        # SQLite lets an attacker store text a time column cannot read back; it spoils a whole batch,
        # so read on one event at a time to name the culprit.
        yield from _stored_events_one_by_one(session, after)


def _stored_events_one_by_one(session: Session, after: int | None) -> Iterator[_Stored]:
    while True:
        following = select(AuditEventRow.seq).order_by(AuditEventRow.seq).limit(1)
        seq = session.scalar(following if after is None else following.where(AuditEventRow.seq > after))
        if seq is None:
            return
        try:
            row = session.execute(_WALK.where(AuditEventRow.seq == seq)).one()
        except (ValueError, TypeError):
            yield _Stored(seq, None, _anchor(session))
        else:
            yield _stored(row._asdict())
        after = seq


def _stored(fields: dict[str, Any]) -> _Stored:
    first_seq, prev_hash = fields.pop("anchor_first_seq"), fields.pop("anchor_prev_hash")
    anchor = None if first_seq is None else (first_seq, prev_hash)
    return _Stored(fields["seq"], fields, anchor)


def _stream(session: Session, statement: Select[Any]) -> Iterator[Any]:
    # Batches keep memory flat on a large log; on PostgreSQL yield_per also streams the cursor,
    # which must be closed even when the walk stops early.
    with session.execute(statement.execution_options(yield_per=BATCH_SIZE)) as result:
        yield from result


def _utc(at: datetime) -> datetime:
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError("the audit log needs timezone-aware times; got a naive datetime")
    return at.astimezone(UTC)
