"""Purging the oldest audit events under the retention policy, and exporting the log for anchoring."""

from __future__ import annotations

import gc
import json
from contextlib import closing
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import delete, select

from serment.audit import GENESIS, AuditEntry, AuditEvent, append, event_hash, export, purge_before, verify
from serment.audit import chain as audit_chain
from serment.installation import Installation
from serment.store import Database
from serment.store.tables import AuditAnchorRow, AuditEventRow

START = datetime(2026, 3, 2, 8, 30, tzinfo=UTC)
PURGED_AT = datetime(2027, 4, 1, 3, 0, tzinfo=UTC)


@pytest.fixture
def database(installation: Installation) -> Database:
    """The installation's database with an empty audit log, whatever initialising it recorded."""
    with installation.database.write() as session:
        session.execute(delete(AuditEventRow))
        session.execute(delete(AuditAnchorRow))
    return installation.database


def minute(number: int) -> datetime:
    return START + timedelta(minutes=number)


def record(database: Database, minutes: list[int]) -> list[AuditEvent]:
    """One event at each of `minutes` after START, in that order (so times may go backwards)."""
    events = []
    for number, at in enumerate(minutes, start=1):
        entry = AuditEntry(
            actor="cli", action="backup", outcome="ok", request_id=f"req-{number}", detail={"archive": number}
        )
        with database.write() as session:
            events.append(append(session, entry, minute(at)))
    return events


def anchor(database: Database) -> tuple[int, str, int, datetime] | None:
    with database.read() as session:
        row = session.get(AuditAnchorRow, 1)
        return None if row is None else (row.first_seq, row.prev_hash, row.purged_events, row.purged_at)


def purge(database: Database, before_minute: int, at: datetime = PURGED_AT) -> int:
    with database.write() as session:
        return purge_before(session, minute(before_minute), at)


def verified(database: Database) -> tuple[bool, int, str | None]:
    with database.read() as session:
        verification = verify(session)
    return verification.intact, verification.events, verification.head


def test_purging_deletes_the_older_events_and_anchors_the_rest(database: Database) -> None:
    events = record(database, list(range(1, 11)))
    assert purge(database, 6) == 5
    assert anchor(database) == (6, events[4].hash, 5, PURGED_AT)
    assert verified(database) == (True, 5, events[-1].hash)
    with database.read() as session:
        assert session.scalars(select(AuditEventRow.seq).order_by(AuditEventRow.seq)).all() == [
            6,
            7,
            8,
            9,
            10,
        ]


def test_purging_twice_advances_the_anchor_and_adds_up(database: Database) -> None:
    events = record(database, list(range(1, 11)))
    assert purge(database, 4) == 3
    later = PURGED_AT + timedelta(days=30)
    assert purge(database, 8, later) == 4
    assert anchor(database) == (8, events[6].hash, 7, later)
    assert verified(database) == (True, 3, events[-1].hash)


def test_purging_again_with_nothing_older_changes_nothing(database: Database) -> None:
    record(database, list(range(1, 11)))
    assert purge(database, 6) == 5
    before = anchor(database)
    assert purge(database, 6, PURGED_AT + timedelta(days=1)) == 0
    assert purge(database, 2, PURGED_AT + timedelta(days=1)) == 0
    assert anchor(database) == before


def test_purging_an_empty_log_records_no_anchor(database: Database) -> None:
    assert purge(database, 6) == 0
    assert anchor(database) is None


def test_only_a_prefix_is_purged_even_when_times_go_backwards(database: Database) -> None:
    events = record(database, [1, 2, 9, 3, 4])
    assert purge(database, 5) == 2
    assert anchor(database) == (3, events[1].hash, 2, PURGED_AT)
    assert verified(database) == (True, 3, events[-1].hash)


def test_appending_after_purging_everything_continues_from_the_anchor(database: Database) -> None:
    events = record(database, list(range(1, 6)))
    assert purge(database, 60) == 5
    assert verified(database) == (True, 0, events[-1].hash)
    with database.read() as session:
        assert verify(session).summary() == f"0 events, chain intact, head {events[-1].hash}"
    [after] = record(database, [61])
    assert (after.seq, after.prev_hash) == (6, events[-1].hash)
    assert verified(database) == (True, 1, after.hash)


def test_appending_after_a_partial_purge_continues_the_chain(database: Database) -> None:
    record(database, list(range(1, 6)))
    purge(database, 3)
    [after] = record(database, [10])
    assert after.seq == 6
    assert verified(database) == (True, 4, after.hash)


def test_a_naive_cutoff_is_refused(database: Database) -> None:
    with pytest.raises(ValueError, match="timezone-aware"), database.write() as session:
        purge_before(session, datetime(2026, 3, 2), PURGED_AT)  # noqa: DTZ001


def exported(database: Database, since: datetime | None = None) -> list[dict[str, object]]:
    with database.read() as session:
        return list(export(session, since))


def test_the_export_holds_every_event_in_order_with_its_hashes(database: Database) -> None:
    events = record(database, [1, 2, 3, 4])
    records = exported(database)
    assert [record["seq"] for record in records] == [1, 2, 3, 4]
    assert [record["hash"] for record in records] == [event.hash for event in events]
    assert records[0]["prev_hash"] == GENESIS
    assert records[0]["at"] == "2026-03-02T08:31:00.000000Z"
    assert records[0]["detail"] == '{"archive":1}'
    assert set(records[0]) == {column.name for column in AuditEventRow.__table__.columns}


def test_the_export_is_json_and_can_be_checked_elsewhere(database: Database) -> None:
    record(database, [1, 2, 3])
    copy = json.loads(json.dumps(exported(database)))
    previous = GENESIS
    for event in copy:
        assert event["prev_hash"] == previous
        assert event_hash(event) == event["hash"]
        previous = event["hash"]


def test_the_export_starts_at_since(database: Database) -> None:
    record(database, [1, 2, 3, 4, 5])
    assert [record["seq"] for record in exported(database, minute(3))] == [3, 4, 5]
    assert [record["seq"] for record in exported(database, minute(3) + timedelta(microseconds=1))] == [4, 5]
    assert exported(database, minute(6)) == []


def test_the_export_after_a_purge_holds_the_retained_events(database: Database) -> None:
    events = record(database, [1, 2, 3, 4, 5])
    purge(database, 3)
    records = exported(database)
    assert [record["seq"] for record in records] == [3, 4, 5]
    assert records[0]["prev_hash"] == events[1].hash


def test_an_abandoned_export_releases_its_cursor(database: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    record(database, [1, 2, 3, 4, 5])
    monkeypatch.setattr(audit_chain, "BATCH_SIZE", 2)
    with database.read() as session, closing(export(session)) as records:
        assert next(records)["seq"] == 1
    # On PostgreSQL a server-side cursor left open would warn (an error here) when collected.
    gc.collect()
