"""The data-protection officer's search of the audit log, as a use case: each filter, pages that hold
still while the log grows, the search itself audited, and no view of everyone for a purpose that
reaches one's own record only."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import delete, select

from serment.access import Actor, Platform, Refused, Request
from serment.access.oversight import AuditQueryInvalid, last_verification, record_verification, search_audit
from serment.audit import AuditEntry, AuditQuery, append
from serment.installation import Installation
from serment.store.tables import AuditAnchorRow, AuditEventRow

START = datetime(2026, 2, 2, 9, 0, tzinfo=UTC)
ALICE = "aaaaaaaaaaaaaaaaaaaaaaaaaa"
BOB = "bbbbbbbbbbbbbbbbbbbbbbbbbb"
DPO = Request(Actor(name="dpo-1", role="dpo", organisation="CNIL"), purpose="audit")


@pytest.fixture
def logged(installation: Installation) -> list[int]:
    """Twenty events, one an hour, alternating Alice and Bob, every fifth refused; their seqs."""
    with installation.database.write() as session:
        session.execute(delete(AuditEventRow))
        session.execute(delete(AuditAnchorRow))
        seqs = []
        for number in range(20):
            entry = AuditEntry(
                actor="dr-a" if number < 10 else "dr-b", action="read" if number % 2 else "export",
                outcome="refused" if number % 5 == 0 else "allowed", role="clinician", purpose="care",
                subject=ALICE if number % 2 else BOB,
            )  # fmt: skip
            seqs.append(append(session, entry, START + timedelta(hours=number)).seq)
    return seqs


def _seqs(platform: Platform, query: AuditQuery, **page: int) -> list[int]:
    return [event.seq for event in search_audit(platform, DPO, query, **page)]


def test_each_filter_narrows_the_search_and_results_come_newest_first(
    platform: Platform, logged: list[int]
) -> None:
    assert _seqs(platform, AuditQuery(through=logged[-1])) == logged[::-1]
    assert _seqs(platform, AuditQuery(actor="dr-b")) == logged[10:][::-1]
    assert _seqs(platform, AuditQuery(subject=ALICE)) == logged[1::2][::-1]
    assert _seqs(platform, AuditQuery(action="export", through=logged[-1])) == logged[0::2][::-1]
    assert _seqs(platform, AuditQuery(outcome="refused")) == [logged[15], logged[10], logged[5], logged[0]]
    assert _seqs(platform, AuditQuery(purpose="care")) == logged[::-1]
    window = AuditQuery(since=START + timedelta(hours=3), until=START + timedelta(hours=6))
    assert _seqs(platform, window) == [logged[5], logged[4], logged[3]]


def test_pages_hold_still_while_the_log_grows(platform: Platform, logged: list[int]) -> None:
    first = _seqs(platform, AuditQuery(through=logged[-1]), limit=8)
    second = _seqs(platform, AuditQuery(through=logged[-1]), limit=8, offset=8)
    assert first + second == logged[::-1][:16]


def test_a_search_is_audited_with_the_person_searched_for(
    installation: Installation, logged: list[int]
) -> None:
    search_audit(installation.platform, DPO, AuditQuery(subject=ALICE))
    with installation.database.read() as session:
        newest = session.scalars(select(AuditEventRow).order_by(AuditEventRow.seq.desc()).limit(1)).one()
    assert (newest.actor, newest.action, newest.subject, newest.purpose) == ("dpo-1", "audit", ALICE, "audit")


def test_a_malformed_ref_or_a_reversed_period_is_refused_with_its_reason(platform: Platform) -> None:
    with pytest.raises(AuditQueryInvalid, match="26 characters"):
        search_audit(platform, DPO, AuditQuery(subject="Robert'); DROP TABLE people;--"))
    with pytest.raises(AuditQueryInvalid, match="ends before it starts"):
        search_audit(platform, DPO, AuditQuery(since=START, until=START))


def test_only_a_purpose_reaching_everyone_searches_the_log(installation: Installation) -> None:
    patient = Request(Actor(name="patient-1", role="patient", person_ref=ALICE), purpose="self")
    clinician = Request(Actor(name="dr-a", role="clinician"), purpose="care")
    for request in (patient, clinician):
        with pytest.raises(Refused):
            search_audit(installation.platform, request, AuditQuery())
    with installation.database.read() as session:
        refused = session.scalars(select(AuditEventRow.actor).where(AuditEventRow.outcome == "refused")).all()
    assert {"patient-1", "dr-a"} <= set(refused)


def test_a_verification_is_recorded_in_the_log_with_how_long_it_took(
    installation: Installation, logged: list[int]
) -> None:
    platform = installation.platform
    assert last_verification(platform, DPO) is None
    done = record_verification(platform, DPO)
    assert done.intact
    assert done.events == len(logged) + 2  # and the officer's two accesses: the look, then the walk
    assert last_verification(platform, DPO) == done
    with installation.database.read() as session:
        row = session.scalars(select(AuditEventRow).where(AuditEventRow.action == "audit_verified")).one()
    assert row.actor == "dpo-1"
    assert '"intact":true' in (row.detail or "")
