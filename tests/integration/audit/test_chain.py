"""Appending to the audit chain and verifying it, on SQLite and PostgreSQL, alone and concurrently."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from serment.audit import GENESIS, AuditEntry, AuditEvent, append, event_hash, verify
from serment.audit import chain as audit_chain
from serment.installation import Installation
from serment.store import Database
from serment.store.tables import AuditAnchorRow, AuditEventRow

START = datetime(2026, 3, 2, 8, 30, tzinfo=UTC)


@pytest.fixture
def database(installation: Installation) -> Database:
    """The installation's database with an empty audit log, whatever initialising it recorded."""
    with installation.database.write() as session:
        session.execute(delete(AuditEventRow))
        session.execute(delete(AuditAnchorRow))
    return installation.database


def read(number: int) -> AuditEntry:
    return AuditEntry(
        actor=f"dr-{number}", action="read", outcome="allowed", role="clinician", organisation="CHU de Lyon",
        purpose="care", subject="01JNQ7ZKX3V8W2T6Y4R9M5P0AB", request_id=f"req-{number}",
    )  # fmt: skip


def record(database: Database, count: int) -> list[AuditEvent]:
    events = []
    for number in range(1, count + 1):
        with database.write() as session:
            events.append(append(session, read(number), START + timedelta(minutes=number)))
    return events


def test_an_empty_log_is_intact_and_has_no_head(database: Database) -> None:
    with database.read() as session:
        verification = verify(session)
    assert (verification.events, verification.intact, verification.head) == (0, True, None)
    assert verification.summary() == "0 events, chain intact, log empty"


@pytest.mark.parametrize("count", [1, 2, 12])
def test_appended_events_form_an_intact_chain(database: Database, count: int) -> None:
    events = record(database, count)
    assert [event.seq for event in events] == list(range(1, count + 1))
    assert [event.prev_hash for event in events] == [GENESIS, *(event.hash for event in events[:-1])]
    with database.read() as session:
        verification = verify(session)
    assert verification.intact
    assert (verification.events, verification.head, verification.first_broken) == (
        count,
        events[-1].hash,
        None,
    )
    noun = "event" if count == 1 else "events"
    assert verification.summary() == f"{count} {noun}, chain intact, head {events[-1].hash}"


def test_the_event_returned_is_the_event_stored(database: Database) -> None:
    entry = AuditEntry(
        actor="cli", action="key_rotation", outcome="ok", role="admin", purpose="administration",
        reason="rotation trimestrielle, comme prévu ✓", detail={"from": 3, "to": 4, "dry_run": False},
    )  # fmt: skip
    in_paris = datetime(2026, 3, 2, 9, 30, 0, 250001, tzinfo=timezone(timedelta(hours=1)))
    with database.write() as session:
        event = append(session, entry, in_paris)
    assert event.entry == entry
    assert event.at == datetime(2026, 3, 2, 8, 30, 0, 250001, tzinfo=UTC)
    with database.read() as session:
        row = session.scalars(select(AuditEventRow)).one()
        assert verify(session).intact
    assert (row.seq, row.at, row.reason, row.hash) == (1, event.at, entry.reason, event.hash)
    assert row.detail == '{"dry_run":false,"from":3,"to":4}'
    stored = {name: getattr(row, name) for name in AuditEventRow.__table__.columns.keys()}  # noqa: SIM118
    assert event_hash(stored) == event.hash


def test_events_appended_in_one_transaction_chain_together(database: Database) -> None:
    with database.write() as session:
        first = append(session, read(1), START)
        second = append(session, read(2), START)
    assert (second.seq, second.prev_hash) == (2, first.hash)
    with database.read() as session:
        assert verify(session).events == 2


def test_an_event_rolled_back_with_its_transaction_leaves_no_trace(database: Database) -> None:
    record(database, 2)

    def fail_after_appending() -> None:
        with database.write() as session:
            append(session, read(3), START)
            raise RuntimeError

    with pytest.raises(RuntimeError):
        fail_after_appending()
    with database.write() as session:
        assert append(session, read(3), START).seq == 3
        assert verify(session).intact


def test_a_naive_time_is_refused(database: Database) -> None:
    with pytest.raises(ValueError, match="timezone-aware"), database.write() as session:
        append(session, read(1), datetime(2026, 3, 2, 8, 30))  # noqa: DTZ001


def test_the_log_is_read_in_batches(database: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    events = record(database, 10)
    monkeypatch.setattr(audit_chain, "BATCH_SIZE", 3)
    with database.read() as session:
        verification = verify(session)
    assert (verification.intact, verification.events, verification.head) == (True, 10, events[-1].hash)


def test_concurrent_writers_never_fork_the_chain(database: Database) -> None:
    writers, appends = 4, 25
    start_together = threading.Barrier(writers)

    def write(writer: int) -> None:
        start_together.wait()
        for number in range(appends):
            with database.write() as session:
                append(session, read(writer * 100 + number), START + timedelta(seconds=number))

    with ThreadPoolExecutor(max_workers=writers) as pool:
        for done in [pool.submit(write, writer) for writer in range(writers)]:
            done.result()
    with database.read() as session:
        seqs = session.scalars(select(AuditEventRow.seq).order_by(AuditEventRow.seq)).all()
        verification = verify(session)
    assert seqs == list(range(1, writers * appends + 1))
    assert (verification.intact, verification.events) == (True, writers * appends)


def test_the_schema_refuses_a_fork_even_without_the_lock(database: Database) -> None:
    events = record(database, 3)
    fork = {
        "at": START, "actor": "mallory", "action": "read", "outcome": "allowed", "prev_hash": events[1].hash,
    }  # fmt: skip
    # A writer that read the head before another appended: same seq, or same predecessor.
    for seq, prev_hash in [(3, events[1].hash), (4, events[1].hash)]:
        forked = {**fork, "seq": seq, "prev_hash": prev_hash}
        with pytest.raises(IntegrityError), database.write() as session:
            session.add(AuditEventRow(**forked, hash=event_hash(forked)))
