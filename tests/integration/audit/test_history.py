"""A person's access history: who accessed their record, when, in which role, for which purpose."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import delete

from serment.audit import AccessRecord, AuditEntry, append, history
from serment.installation import Installation
from serment.store import Database
from serment.store.tables import AuditAnchorRow, AuditEventRow

START = datetime(2026, 3, 2, 8, 30, tzinfo=UTC)
ALICE = "01JNQ7ZKX3V8W2T6Y4R9M5P0AA"
BOB = "01JNQ7ZKX3V8W2T6Y4R9M5P0BB"


@pytest.fixture
def database(installation: Installation) -> Database:
    """An empty audit log holding, in this order: seven events about Alice, two about Bob, one about
    nobody; the sixth about Alice refused."""
    with installation.database.write() as session:
        session.execute(delete(AuditEventRow))
        session.execute(delete(AuditAnchorRow))
    subjects = [ALICE] * 5 + [BOB] + [ALICE] + [BOB] + [None] + [ALICE]
    for number, subject in enumerate(subjects, start=1):
        refused = number == 7
        entry = AuditEntry(
            actor=f"user-{number}", action="read", outcome="refused" if refused else "allowed",
            role="tracer" if refused else "clinician", organisation="CHU de Lyon", purpose="care",
            subject=subject, reason="no grant for this purpose" if refused else None, request_id=f"r{number}",
        )  # fmt: skip
        with installation.database.write() as session:
            append(session, entry, START + timedelta(hours=number))
    return installation.database


def test_a_person_sees_every_access_to_their_record_newest_first(database: Database) -> None:
    with database.read() as session:
        total, page = history(session, ALICE)
    assert total == 7
    assert [record.actor for record in page] == [
        "user-10",
        "user-7",
        "user-5",
        "user-4",
        "user-3",
        "user-2",
        "user-1",
    ]
    assert page[1] == AccessRecord(
        at=START + timedelta(hours=7), actor="user-7", role="tracer", organisation="CHU de Lyon",
        purpose="care", action="read", outcome="refused", reason="no grant for this purpose",
    )  # fmt: skip


def test_the_history_is_paged(database: Database) -> None:
    with database.read() as session:
        pages = [history(session, ALICE, limit=3, offset=offset) for offset in (0, 3, 6, 9)]
    assert [total for total, _ in pages] == [7, 7, 7, 7]
    assert [[record.actor for record in page] for _, page in pages] == [
        ["user-10", "user-7", "user-5"],
        ["user-4", "user-3", "user-2"],
        ["user-1"],
        [],
    ]


def test_another_person_sees_only_their_own(database: Database) -> None:
    with database.read() as session:
        total, page = history(session, BOB)
        assert history(session, "01JNQ7ZKX3V8W2T6Y4R9M5P0CC") == (0, [])
    assert (total, [record.actor for record in page]) == (2, ["user-8", "user-6"])


def test_events_at_the_same_instant_keep_the_log_order(database: Database) -> None:
    with database.write() as session:
        for number in (11, 12):
            append(session, AuditEntry(f"user-{number}", "read", "allowed", subject=BOB), START)
    with database.read() as session:
        _, page = history(session, BOB)
    assert [record.actor for record in page] == ["user-8", "user-6", "user-12", "user-11"]


@pytest.mark.parametrize(("limit", "offset", "message"), [(0, 0, "limit=0"), (10, -1, "offset=-1")])
def test_a_meaningless_page_is_refused(database: Database, limit: int, offset: int, message: str) -> None:
    with pytest.raises(ValueError, match=message), database.read() as session:
        history(session, ALICE, limit=limit, offset=offset)
