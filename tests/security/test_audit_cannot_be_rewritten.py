"""Promise 5, attacked with write access to the SQLite file: change, delete or swap any single audit
event and `serment audit verify` fails at that event, exit 1."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from typer.testing import CliRunner

from serment.access import Actor
from serment.audit import append
from serment.cli import app
from serment.clock import FixedClock
from serment.installation import Installation
from serment.settings import Settings


@pytest.fixture
def chain(installation: Installation, database_url: str | None, clock: FixedClock) -> Path:
    """An embedded installation with a dozen audit events; returns its data directory."""
    if database_url is not None:
        pytest.skip("the attack edits the SQLite file directly")
    actor = Actor(name="clinician-1", role="clinician", organisation="CHU")
    with installation.database.write() as session:
        for index in range(12):
            append(
                session, actor.entry("read", "allowed", purpose="care", subject=f"{index:026d}"), clock.now()
            )
    installation.close()
    return installation.data_dir


def _verify(data_dir: Path) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["audit", "verify", "--data-dir", str(data_dir)])
    return result.exit_code, (result.stdout + result.stderr).strip()


def _sql(data_dir: Path, statement: str) -> None:
    connection = sqlite3.connect(data_dir / "serment.db")
    with connection:
        connection.execute(statement)
    connection.close()


def test_an_intact_chain_verifies(chain: Path) -> None:
    code, said = _verify(chain)
    assert code == 0
    # installed and the 12 reads; verify's own access is written after it has verified the chain
    assert said.startswith("13 events, chain intact, head ")


@pytest.mark.parametrize(
    ("attack", "event"),
    [
        ("UPDATE audit_events SET purpose = 'research' WHERE seq = 5", 5),
        ("UPDATE audit_events SET actor = 'someone-else' WHERE seq = 7", 7),
        ("UPDATE audit_events SET outcome = 'refused' WHERE seq = 3", 3),
        ("UPDATE audit_events SET subject = '00000000000000000000000099' WHERE seq = 9", 9),
        ("DELETE FROM audit_events WHERE seq = 6", 7),
    ],
)
def test_a_changed_or_deleted_event_is_named(chain: Path, attack: str, event: int) -> None:
    _sql(chain, attack)
    code, said = _verify(chain)
    assert code == 1
    assert said.startswith(f"error: chain broken at event {event}"), said


def test_two_swapped_events_are_named(chain: Path) -> None:
    connection = sqlite3.connect(chain / "serment.db")
    with connection:
        rows = {
            seq: row
            for seq, *row in connection.execute(
                "SELECT seq, at, actor, purpose, action, subject, outcome "
                "FROM audit_events WHERE seq IN (4, 8)"
            )
        }
        for seq, other in ((4, 8), (8, 4)):
            connection.execute(
                "UPDATE audit_events "
                "SET at=?, actor=?, purpose=?, action=?, subject=?, outcome=? WHERE seq=?",
                (*rows[other], seq),
            )
    connection.close()
    code, said = _verify(chain)
    assert code == 1
    assert said.startswith("error: chain broken at event 4"), said


def test_verify_refuses_nothing_to_an_operator_and_records_itself(chain: Path, settings: Settings) -> None:
    first = _verify(chain)
    second = _verify(chain)
    assert first[1].split(",")[0] == "13 events"
    assert second[1].split(",")[0] == "14 events", "the first verification is itself audited"
