"""An attacker with access to the database changes, deletes or reorders audit events with plain SQL;
`verify` notices and names the first broken event."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Connection, delete, select, text, update

from serment.audit import AuditEntry, AuditEvent, append, purge_before, verify
from serment.audit import chain as audit_chain
from serment.installation import Installation
from serment.store import Database
from serment.store.tables import AuditAnchorRow, AuditEventRow

START = datetime(2026, 3, 2, 8, 30, tzinfo=UTC)
EVENTS = 10
MIDDLE = 5
# Every stored column but seq, with a value the column accepts and event MIDDLE does not hold.
TAMPERED = [
    ("at", datetime(2026, 1, 1, 12, 0, tzinfo=UTC)),
    ("at", START + timedelta(minutes=MIDDLE, microseconds=1)),
    ("actor", "mallory"),
    ("role", "epidemiologist"),
    ("role", None),
    ("organisation", "ARS"),
    ("purpose", "research"),
    ("action", "export"),
    ("subject", "01JNQ7ZKX3V8W2T6Y4R9M5P0ZZ"),
    ("subject", None),
    ("outcome", "refused"),
    ("reason", None),
    ("request_id", "req-forged"),
    ("detail", '{"kek_version":4}'),
    ("detail", None),
    ("prev_hash", "f" * 64),
    ("hash", "e" * 64),
]
TAMPERABLE = {column.name for column in AuditEventRow.__table__.columns} - {"seq"}
PAYLOAD = TAMPERABLE - {"prev_hash", "hash"}


@pytest.fixture
def database(installation: Installation) -> Database:
    """The installation's database with an empty audit log, whatever initialising it recorded."""
    with installation.database.write() as session:
        session.execute(delete(AuditEventRow))
        session.execute(delete(AuditAnchorRow))
    return installation.database


@pytest.fixture
def events(database: Database) -> list[AuditEvent]:
    """Ten events with every field filled, one transaction each."""
    recorded = []
    for number in range(1, EVENTS + 1):
        entry = AuditEntry(
            actor=f"dr-{number}", action="read", outcome="allowed", role="clinician",
            organisation="CHU de Lyon", purpose="care", subject="01JNQ7ZKX3V8W2T6Y4R9M5P0AB",
            reason="patient seen in consultation", request_id=f"req-{number}", detail={"kek_version": 3},
        )  # fmt: skip
        with database.write() as session:
            recorded.append(append(session, entry, START + timedelta(minutes=number)))
    return recorded


def broken_at(database: Database) -> tuple[int | None, str | None]:
    with database.read() as session:
        verification = verify(session)
    assert not verification.intact
    assert verification.head is None
    assert (
        verification.summary() == f"chain broken at event {verification.first_broken}: {verification.problem}"
    )
    return verification.first_broken, verification.problem


def test_every_stored_column_but_seq_is_tampered_with_below() -> None:
    assert {column for column, _ in TAMPERED} == TAMPERABLE


@pytest.mark.usefixtures("events")
@pytest.mark.parametrize(
    ("column", "value"), TAMPERED, ids=[f"{column}={value}" for column, value in TAMPERED]
)
def test_changing_any_field_of_an_event_names_that_event(
    database: Database, column: str, value: object
) -> None:
    with database.engine.begin() as connection:
        connection.execute(update(AuditEventRow).where(AuditEventRow.seq == MIDDLE).values({column: value}))
    first_broken, problem = broken_at(database)
    assert first_broken == MIDDLE
    if column == "prev_hash":
        assert problem == f"it does not follow event {MIDDLE - 1}: its prev_hash is not that event's hash"
    else:
        assert problem == "its contents do not match its hash"


@pytest.mark.usefixtures("events")
def test_changing_the_first_event_is_seen_too(database: Database) -> None:
    with database.engine.begin() as connection:
        connection.execute(text("UPDATE audit_events SET actor = 'mallory' WHERE seq = 1"))
    assert broken_at(database) == (1, "its contents do not match its hash")


@pytest.mark.usefixtures("events")
def test_relinking_the_first_event_is_seen(database: Database) -> None:
    with database.engine.begin() as connection:
        connection.execute(
            text("UPDATE audit_events SET prev_hash = :forged WHERE seq = 1"), {"forged": "a" * 64}
        )
    assert broken_at(database) == (1, "it does not start the chain: its prev_hash is not the genesis hash")


@pytest.mark.usefixtures("events")
def test_deleting_a_middle_event_is_named_by_the_event_after_the_gap(database: Database) -> None:
    with database.engine.begin() as connection:
        connection.execute(text("DELETE FROM audit_events WHERE seq = 6"))
    assert broken_at(database) == (7, "event 6 is missing")


@pytest.mark.usefixtures("events")
def test_deleting_several_events_names_them_all(database: Database) -> None:
    with database.engine.begin() as connection:
        connection.execute(text("DELETE FROM audit_events WHERE seq BETWEEN 4 AND 6"))
    assert broken_at(database) == (7, "events 4 to 6 are missing")


@pytest.mark.usefixtures("events")
def test_deleting_the_oldest_event_is_seen(database: Database) -> None:
    with database.engine.begin() as connection:
        connection.execute(text("DELETE FROM audit_events WHERE seq = 1"))
    assert broken_at(database) == (2, "event 1 is missing")


@pytest.mark.usefixtures("events")
def test_renumbering_after_a_deletion_is_seen(database: Database) -> None:
    with database.engine.begin() as connection:
        connection.execute(text("DELETE FROM audit_events WHERE seq = 6"))
        for seq in range(7, EVENTS + 1):
            connection.execute(text("UPDATE audit_events SET seq = seq - 1 WHERE seq = :seq"), {"seq": seq})
    assert broken_at(database) == (6, "it does not follow event 5: its prev_hash is not that event's hash")


def test_deleting_the_newest_events_cannot_be_seen_from_the_database_alone(
    database: Database, events: list[AuditEvent]
) -> None:
    with database.engine.begin() as connection:
        connection.execute(text("DELETE FROM audit_events WHERE seq > 8"))
    with database.read() as session:
        verification = verify(session)
    # Documented: an intact but shorter chain, whose head differs from one exported earlier.
    assert (verification.intact, verification.events, verification.head) == (True, 8, events[7].hash)
    assert verification.head != events[-1].hash


def stored_rows(connection: Connection) -> dict[int, dict[str, object]]:
    return {row.seq: row._asdict() for row in connection.execute(select(AuditEventRow.__table__))}


@pytest.mark.usefixtures("events")
@pytest.mark.parametrize(("first", "second"), [(4, 7), (5, 6)])
def test_swapping_two_events_contents_names_the_first(database: Database, first: int, second: int) -> None:
    with database.engine.begin() as connection:
        rows = stored_rows(connection)
        one, other = ({k: v for k, v in rows[seq].items() if k in PAYLOAD} for seq in (first, second))
        connection.execute(update(AuditEventRow).where(AuditEventRow.seq == first).values(other))
        connection.execute(update(AuditEventRow).where(AuditEventRow.seq == second).values(one))
    assert broken_at(database) == (first, "its contents do not match its hash")


@pytest.mark.usefixtures("events")
@pytest.mark.parametrize(("first", "second"), [(4, 7), (5, 6)])
def test_swapping_two_events_with_their_hashes_names_the_first(
    database: Database, first: int, second: int
) -> None:
    with database.engine.begin() as connection:
        rows = stored_rows(connection)
        one, other = ({k: v for k, v in rows[seq].items() if k != "seq"} for seq in (first, second))
        # Out of the way first: hash and prev_hash are unique.
        parked = {"hash": "1" * 64, "prev_hash": "2" * 64}
        connection.execute(update(AuditEventRow).where(AuditEventRow.seq == first).values(parked))
        connection.execute(update(AuditEventRow).where(AuditEventRow.seq == second).values(one))
        connection.execute(update(AuditEventRow).where(AuditEventRow.seq == first).values(other))
    first_broken, problem = broken_at(database)
    assert first_broken == first
    assert problem == f"it does not follow event {first - 1}: its prev_hash is not that event's hash"


UNREADABLE_CASES = [
    ([], 1000, (5, "one of its stored values cannot be read")),
    ([], 3, (5, "one of its stored values cannot be read")),
    (["DELETE FROM audit_events WHERE seq = 4"], 1000, (5, "event 4 is missing")),
    (
        ["UPDATE audit_events SET actor = 'mallory' WHERE seq = 3"],
        1000,
        (3, "its contents do not match its hash"),
    ),
]


@pytest.mark.usefixtures("events")
@pytest.mark.parametrize(("also", "batch_size", "expected"), UNREADABLE_CASES)
def test_an_unreadable_value_is_named_in_its_place(
    database: Database,
    monkeypatch: pytest.MonkeyPatch,
    also: list[str],
    batch_size: int,
    expected: tuple[int, str],
) -> None:
    if database.dialect != "sqlite":
        pytest.skip("only SQLite lets a timestamp column hold something that is not a time")
    monkeypatch.setattr(audit_chain, "BATCH_SIZE", batch_size)
    with database.engine.begin() as connection:
        connection.execute(text("UPDATE audit_events SET at = 'last tuesday' WHERE seq = 5"))
        for statement in also:
            connection.execute(text(statement))
    assert broken_at(database) == expected


def purged(database: Database) -> None:
    with database.write() as session:
        assert purge_before(session, START + timedelta(minutes=4), START + timedelta(days=400)) == 3
        assert verify(session).intact


@pytest.mark.usefixtures("events")
def test_forging_the_anchor_hash_is_seen(database: Database) -> None:
    purged(database)
    with database.engine.begin() as connection:
        connection.execute(update(AuditAnchorRow).values(prev_hash="c" * 64))
    assert broken_at(database) == (
        4,
        "it does not follow the purge anchor: its prev_hash is not the anchor's",
    )


@pytest.mark.usefixtures("events")
def test_moving_the_anchor_back_is_seen(database: Database) -> None:
    purged(database)
    with database.engine.begin() as connection:
        connection.execute(update(AuditAnchorRow).values(first_seq=2))
    assert broken_at(database) == (4, "events 2 to 3 are missing")


@pytest.mark.usefixtures("events")
def test_moving_the_anchor_forward_is_seen(database: Database) -> None:
    purged(database)
    with database.engine.begin() as connection:
        connection.execute(update(AuditAnchorRow).values(first_seq=6))
    assert broken_at(database) == (4, "the purge anchor says the log starts at event 6, yet event 4 is there")


@pytest.mark.usefixtures("events")
def test_deleting_the_anchor_is_seen(database: Database) -> None:
    purged(database)
    with database.engine.begin() as connection:
        connection.execute(delete(AuditAnchorRow))
    assert broken_at(database) == (4, "events 1 to 3 are missing")
