"""The store on SQLite and PostgreSQL: migrations, transactions, UTC times, connection settings."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta, timezone

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Column, Integer, MetaData, Table, select, text
from sqlalchemy.exc import StatementError

from serment.installation import Installation, InstallationError, open_installation
from serment.settings import Settings
from serment.store import Database, SchemaState, StoreUnavailable, head_revision, schema_state
from serment.store.schema import alembic_config
from serment.store.tables import Base, InstallationRow
from serment.store.types import UTCDateTime


def test_migrations_create_exactly_the_tables_the_code_defines(installation: Installation) -> None:
    with installation.database.engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert differences == []


def test_a_database_goes_from_empty_to_current_and_back(installation: Installation) -> None:
    database = installation.database
    assert schema_state(database) is SchemaState.CURRENT
    with database.engine.begin() as connection:
        command.downgrade(alembic_config(connection), "base")
    assert schema_state(database) is SchemaState.EMPTY


def test_a_schema_from_a_newer_serment_is_refused(settings: Settings, installation: Installation) -> None:
    with installation.database.write() as session:
        session.execute(text("UPDATE alembic_version SET version_num = 'f00d'"))
    assert schema_state(installation.database) is SchemaState.AHEAD
    with pytest.raises(InstallationError, match="newer Serment"):
        open_installation(settings, migrate=True)


def test_the_installation_row_keeps_its_utc_time(installation: Installation) -> None:
    with installation.database.read() as session:
        row = session.scalars(select(InstallationRow)).one()
    assert row.created_at == datetime(2026, 3, 2, 8, 30, tzinfo=UTC)
    assert row.created_at.tzinfo is UTC


def _times_table(database: Database) -> Table:
    table = Table("times", MetaData(), Column("id", Integer, primary_key=True), Column("at", UTCDateTime()))
    table.create(database.engine)
    return table


def test_times_in_other_zones_are_stored_as_utc(installation: Installation) -> None:
    table = _times_table(installation.database)
    noon_in_hanoi = datetime(2026, 5, 1, 12, 0, tzinfo=timezone(timedelta(hours=7)))
    with installation.database.write() as session:
        session.execute(table.insert().values(id=1, at=noon_in_hanoi))
    with installation.database.read() as session:
        stored = session.execute(select(table.c.at)).scalar_one()
    assert stored == datetime(2026, 5, 1, 5, 0, tzinfo=UTC)
    assert stored.tzinfo is UTC


def test_a_naive_time_is_refused(installation: Installation) -> None:
    table = _times_table(installation.database)
    with (
        pytest.raises(StatementError, match="naive datetime"),
        installation.database.write() as session,
    ):
        session.execute(table.insert().values(id=1, at=datetime(2026, 5, 1, 12, 0)))  # noqa: DTZ001


def test_a_write_commits_on_success_and_rolls_back_on_error(installation: Installation) -> None:
    database = installation.database
    with database.write() as session:
        session.execute(text("CREATE TABLE notes (id INTEGER PRIMARY KEY)"))
    with database.write() as session:
        session.execute(text("INSERT INTO notes (id) VALUES (1)"))

    def fail_after_a_write() -> None:
        with database.write() as session:
            session.execute(text("INSERT INTO notes (id) VALUES (2)"))
            raise RuntimeError("the use case failed after its first write")

    with pytest.raises(RuntimeError):
        fail_after_a_write()
    with database.read() as session:
        assert session.execute(text("SELECT id FROM notes")).scalars().all() == [1]


def test_sqlite_runs_in_wal_mode_with_foreign_keys_and_full_sync(
    installation: Installation, database_url: str | None
) -> None:
    if database_url is not None:
        pytest.skip("SQLite pragmas")
    with installation.database.read() as session:
        pragma = {
            name: session.execute(text(f"PRAGMA {name}")).scalar()
            for name in ("journal_mode", "foreign_keys", "busy_timeout", "synchronous")
        }
    assert pragma == {
        "journal_mode": "wal",
        "foreign_keys": 1,
        "busy_timeout": 10_000,
        "synchronous": 2,
    }


def test_concurrent_sqlite_writers_queue_instead_of_losing_updates(
    installation: Installation, database_url: str | None
) -> None:
    if database_url is not None:
        pytest.skip("on PostgreSQL, code that reads then writes takes row locks itself")
    database = installation.database
    with database.write() as session:
        session.execute(text("CREATE TABLE counter (id INTEGER PRIMARY KEY, n INTEGER NOT NULL)"))
        session.execute(text("INSERT INTO counter VALUES (1, 0)"))
    errors: list[BaseException] = []

    def increment(times: int) -> None:
        try:
            for _ in range(times):
                with database.write() as session:
                    n = session.execute(text("SELECT n FROM counter WHERE id = 1")).scalar_one()
                    session.execute(text("UPDATE counter SET n = :n WHERE id = 1"), {"n": n + 1})
        except BaseException as error:
            errors.append(error)

    workers = [threading.Thread(target=increment, args=(50,)) for _ in range(4)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert errors == []
    with database.read() as session:
        assert session.execute(text("SELECT n FROM counter")).scalar_one() == 200


def test_an_unreachable_database_is_named_without_its_password() -> None:
    database = Database("postgresql+psycopg://serment:hunter2-secret@127.0.0.1:1/serment")
    with pytest.raises(StoreUnavailable) as caught:
        database.ping()
    message = str(caught.value)
    assert "127.0.0.1:1" in message
    assert "does not answer" in message
    assert "hunter2-secret" not in message


def test_head_revision_is_the_newest_migration() -> None:
    assert head_revision() == "0012"
