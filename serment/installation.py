"""One Serment installation: its data directory and database, created, opened and checked.

The edges (CLI, app factory) read the settings and call these use cases; they never touch the
store themselves.
"""

from __future__ import annotations

import os
import shutil
import uuid
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select

from serment import __version__
from serment.clock import Clock, SystemClock
from serment.logs import get_logger
from serment.settings import Settings
from serment.store import (
    Database,
    SchemaState,
    StoreUnavailable,
    head_revision,
    schema_state,
    upgrade_to_head,
)
from serment.store.tables import InstallationRow

MARKER = ".serment"
DATA_DIR_MODE = 0o700

log = get_logger(__name__)


class InstallationError(Exception):
    """Something a person must fix before Serment can run; the message says what."""


@dataclass(frozen=True)
class Installation:
    """An open installation: where its files are, its database and its clock."""

    data_dir: Path
    database: Database
    clock: Clock

    def close(self) -> None:
        """Release the database connections."""
        self.database.dispose()


@dataclass(frozen=True)
class InitReport:
    """What `initialise` did."""

    installation_id: str
    data_dir: Path
    database: str
    replaced_existing: bool


@dataclass(frozen=True)
class Health:
    """Whether this installation can serve: the database answers and its schema is current."""

    version: str
    database_reachable: bool
    schema: SchemaState | None

    @property
    def ok(self) -> bool:
        """True when every check passed."""
        return self.database_reachable and self.schema is SchemaState.CURRENT


def initialise(settings: Settings, *, force: bool = False, clock: Clock | None = None) -> InitReport:
    """Create the data directory (mode 0700) and the database, and record the installation.

    Refuses an existing non-empty directory unless `force` is given, and even then refuses to
    erase a directory that is not a Serment data directory.
    """
    clock = clock or SystemClock()
    data_dir = settings.data_dir.resolve()
    installation_id = str(uuid.uuid4())
    database = Database(settings.database)
    try:
        if not settings.uses_embedded_database:
            # Checked before anything is erased: a refusal must leave everything as it was.
            _refuse_installed_database(database)
        replaced = _prepare_data_dir(data_dir, force=force)
        _migrate(database)
        with database.write() as session:
            session.add(
                InstallationRow(id=installation_id, created_at=clock.now(), created_by_version=__version__)
            )
    finally:
        database.dispose()
    (data_dir / MARKER).write_text(
        f"Serment data directory of installation {installation_id}. Keep it private; back it up with "
        "`serment backup`.\n",
        encoding="utf-8",
    )
    return InitReport(installation_id, data_dir, database.describe(), replaced)


def open_installation(
    settings: Settings, *, migrate: bool = False, clock: Clock | None = None
) -> Installation:
    """Open an initialised installation; with `migrate`, bring its schema to this version first."""
    data_dir = settings.data_dir.resolve()
    if not (data_dir / MARKER).is_file():
        raise InstallationError(
            f"{data_dir} is not a Serment data directory; create it with `serment init --data-dir {data_dir}`"
        )
    if not os.access(data_dir, os.W_OK | os.X_OK):
        raise InstallationError(f"the data directory {data_dir} is not writable by this user")
    database = Database(settings.database)
    if migrate:
        try:
            _migrate(database)
        except InstallationError:
            database.dispose()
            raise
    return Installation(data_dir=data_dir, database=database, clock=clock or SystemClock())


def check_health(installation: Installation) -> Health:
    """Check that the database answers and that its schema is the one this version expects."""
    try:
        installation.database.ping()
        state = schema_state(installation.database)
    except StoreUnavailable:
        return Health(version=__version__, database_reachable=False, schema=None)
    return Health(version=__version__, database_reachable=True, schema=state)


def _prepare_data_dir(data_dir: Path, *, force: bool) -> bool:
    replaced = False
    if data_dir.exists() and not data_dir.is_dir():
        raise InstallationError(f"{data_dir} exists and is not a directory")
    if data_dir.is_dir() and any(data_dir.iterdir()):
        if not force:
            raise InstallationError(
                f"{data_dir} already exists and is not empty; pass --force to erase it and start "
                "again (this destroys the data in it)"
            )
        if not (data_dir / MARKER).is_file():
            raise InstallationError(
                f"{data_dir} is not empty and is not a Serment data directory; refusing to erase it, "
                "even with --force"
            )
        _erase_contents(data_dir)
        replaced = True
    try:
        data_dir.mkdir(mode=DATA_DIR_MODE, parents=True, exist_ok=True)
        data_dir.chmod(DATA_DIR_MODE)
        probe = data_dir / ".write-probe"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as error:
        raise InstallationError(
            f"cannot create the data directory {data_dir}: {error.strerror or error}"
        ) from None
    return replaced


def _refuse_installed_database(database: Database) -> None:
    if _reachable_state(database) is SchemaState.EMPTY:
        return
    with database.read() as session:
        existing = session.scalars(select(InstallationRow)).first()
    if existing is not None:
        raise InstallationError(
            f"the database {database.describe()} already holds the Serment installation "
            f"{existing.id} (created {existing.created_at:%Y-%m-%d}); give an empty database"
        )


def _erase_contents(data_dir: Path) -> None:
    for entry in data_dir.iterdir():
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry)
        else:
            entry.unlink()


def _migrate(database: Database) -> None:
    state = _reachable_state(database)
    if state is SchemaState.AHEAD:
        raise InstallationError(
            f"the database {database.describe()} was migrated by a newer Serment than {__version__} "
            f"(this version knows migrations up to {head_revision()}); upgrade Serment"
        )
    if state is not SchemaState.CURRENT:
        upgrade_to_head(database)
        log.info("database schema upgraded", database=database.describe(), schema=head_revision())


def _reachable_state(database: Database) -> SchemaState:
    try:
        database.ping()
    except StoreUnavailable as error:
        raise InstallationError(str(error)) from None
    return schema_state(database)
