"""Engine, sessions and transactions over SQLite or PostgreSQL."""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from typing import Any, TypeVar

from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import URL, Engine, make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

SQLITE_BUSY_TIMEOUT_MS = 10_000
POSTGRESQL_CONNECT_TIMEOUT_S = 5


class StoreUnavailable(Exception):
    """The database cannot be reached; the message says where and why, without credentials."""


class Database:
    """One database: an engine, its session factory, and read and write transactions.

    On SQLite every connection runs in WAL mode with foreign keys on, full synchronous commits
    and a busy timeout; write transactions take the write lock at BEGIN (BEGIN IMMEDIATE), so
    two writers queue instead of failing halfway. Writers of one process queue first on a lock of
    their own: SQLite's busy handler sleeps up to 100 ms between tries, which leaves the database
    idle while threads wait, where a lock hands over at once.
    """

    def __init__(self, url: str) -> None:
        self.url: URL = make_url(url)
        self.engine: Engine = _create_engine(self.url)
        self.sessions: sessionmaker[Session] = sessionmaker(self.engine, expire_on_commit=False)
        self._writers: AbstractContextManager[Any] = (
            threading.Lock() if self.engine.dialect.name == "sqlite" else nullcontext()
        )

    @property
    def dialect(self) -> str:
        """`sqlite` or `postgresql`."""
        return self.engine.dialect.name

    def describe(self) -> str:
        """The URL with any password hidden, for messages and logs."""
        return self.url.render_as_string(hide_password=True)

    @contextmanager
    def read(self) -> Iterator[Session]:
        """A session for reading; whatever it did is rolled back when the block ends."""
        with self.sessions() as session:
            yield session

    @contextmanager
    def write(self) -> Iterator[Session]:
        """A transaction that commits when the block ends without an exception, else rolls back."""
        with self._writers, self.sessions() as session:
            # Procure the connection now so that SQLite takes the write lock at BEGIN.
            session.connection(execution_options={"sqlite_begin": "IMMEDIATE"})
            yield session
            session.commit()

    def ping(self) -> None:
        """Raise StoreUnavailable unless the database answers a trivial query."""
        try:
            with self.engine.connect() as connection:
                connection.execute(text("SELECT 1"))
        except SQLAlchemyError as error:
            raise StoreUnavailable(
                f"the database {self.describe()} does not answer: {_reason(error)}"
            ) from error

    def dispose(self) -> None:
        """Close every pooled connection."""
        self.engine.dispose()


def _create_engine(url: URL) -> Engine:
    # Statement parameters may hold personal data: never put them in an error message or a log.
    if url.get_backend_name() == "sqlite":
        engine = create_engine(
            url,
            hide_parameters=True,
            connect_args={"check_same_thread": False, "timeout": SQLITE_BUSY_TIMEOUT_MS / 1000},
        )
        event.listen(engine, "connect", _configure_sqlite_connection)
        event.listen(engine, "begin", _begin_sqlite_transaction)
        return engine
    return create_engine(
        url,
        hide_parameters=True,
        pool_pre_ping=True,
        connect_args={"connect_timeout": POSTGRESQL_CONNECT_TIMEOUT_S},
    )


def _configure_sqlite_connection(dbapi_connection: Any, _record: Any) -> None:
    # Let SQLAlchemy, not the sqlite3 module, decide when transactions begin (SQLAlchemy's
    # documented recipe), so that BEGIN IMMEDIATE below is honoured.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        # An acknowledged write survives a power cut, not only a crash of the process.
        cursor.execute("PRAGMA synchronous=FULL")
    finally:
        cursor.close()


def _begin_sqlite_transaction(connection: Any) -> None:
    mode = connection.get_execution_options().get("sqlite_begin", "DEFERRED")
    connection.exec_driver_sql(f"BEGIN {mode}")


def _reason(error: SQLAlchemyError) -> str:
    original = getattr(error, "orig", None)
    text_ = str(original if original is not None else error).strip().splitlines()
    return text_[0] if text_ else type(error).__name__


T = TypeVar("T")
# SQLite takes at most 32,766 parameters in one statement: lists of this many values fit even in a
# statement naming its list twice (either end of an exposure).
IN_LIST_SIZE = 5000


def in_lists(values: Iterable[T], size: int = IN_LIST_SIZE) -> Iterator[list[T]]:
    """`values` in lists of at most `size`, in order: for `IN` lists over many rows."""
    listed = list(values)
    for start in range(0, len(listed), size):
        yield listed[start : start + size]
