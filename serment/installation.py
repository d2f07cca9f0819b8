"""One Serment installation: its data directory and database, created, opened and checked.

The edges (CLI, app factory) read the settings and call these use cases; they never touch the
store themselves.
"""

from __future__ import annotations

import os
import shutil
import threading
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cached_property
from pathlib import Path

from sqlalchemy import select

from serment import __version__
from serment.access import OPERATOR, Platform, Request, authorise, operator
from serment.audit import AuditEntry, append
from serment.backup import BackupError, BackupReport, RestoreReport, back_up, restore, shred_epochs
from serment.clock import Clock, SystemClock
from serment.logs import get_logger
from serment.people.retention import PurgeReport, purge
from serment.policy import Policy, PolicyError, load_policy
from serment.secrecy import FileKeyStore, KeyStore, KeyStoreError, RotationReport
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
from serment.tracing import LISTENERS, RELATIONSHIPS
from serment.tracing.tier_lists import recompute_tiers

MARKER = ".serment"
KEYS_DIR = "keys"
# Where file imports spool their uploads, encrypted (serment/secrecy/spool.py), cleared at every start.
UPLOADS_DIR = "uploads"
# Where backups started from the administrator's pages go, under the data directory.
BACKUPS_DIR = "backups"
DATA_DIR_MODE = 0o700

log = get_logger(__name__)


class InstallationError(Exception):
    """Something a person must fix before Serment can run; the message says what."""


@dataclass(frozen=True)
class Installation:
    """An open installation: where its files are, its database, clock, policy and keys."""

    data_dir: Path
    database: Database
    clock: Clock
    policy: Policy
    keys: KeyStore

    @cached_property
    def platform(self) -> Platform:
        """What the use cases are given."""
        return Platform(
            database=self.database, clock=self.clock, policy=self.policy, keys=self.keys,
            relationships=RELATIONSHIPS, listeners=LISTENERS,
        )  # fmt: skip

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
    policy = _policy(settings)
    installation_id = str(uuid.uuid4())
    database = Database(settings.database)
    try:
        if not settings.uses_embedded_database:
            # Checked before anything is erased: a refusal must leave everything as it was.
            _refuse_installed_database(database)
        replaced = _prepare_data_dir(data_dir, force=force)
        FileKeyStore.create(data_dir / KEYS_DIR, passphrase=settings.passphrase, clock=clock)
        _migrate(database)
        with database.write() as session:
            session.add(
                InstallationRow(id=installation_id, created_at=clock.now(), created_by_version=__version__)
            )
            entry = AuditEntry(
                actor=OPERATOR, action="installed", outcome="ok",
                detail={"installation": installation_id, "policy": policy.name, "version": __version__},
            )  # fmt: skip
            append(session, entry, clock.now())
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
    policy = _policy(settings)
    try:
        keys: KeyStore = FileKeyStore.open(data_dir / KEYS_DIR, passphrase=settings.passphrase, clock=clock)
    except KeyStoreError as error:
        raise InstallationError(str(error)) from None
    database = Database(settings.database)
    if migrate:
        try:
            _migrate(database)
        except InstallationError:
            database.dispose()
            raise
    return Installation(
        data_dir=data_dir, database=database, clock=clock or SystemClock(), policy=policy, keys=keys
    )


def announce_start(installation: Installation, request_id: str | None = None) -> None:
    """Record in the audit log that the platform starts serving under its policy, after removing
    any upload a crash left behind (its spool is ciphertext whose key died with the process: removed
    all the same, so that the disk does not fill up)."""
    _clear_uploads(installation.data_dir / UPLOADS_DIR)
    with installation.database.write() as session:
        entry = AuditEntry(
            actor=OPERATOR, action="policy_load", outcome="ok", request_id=request_id,
            detail={"policy": installation.policy.name, "version": __version__},
        )  # fmt: skip
        append(session, entry, installation.clock.now())


def rotate_keys(installation: Installation, request: Request | None = None) -> RotationReport:
    """Replace the key-encryption key, re-wrapping every key under the new one, and audit it: for
    `request` (an administrator's, from the pages), or for the operator at the terminal."""
    request = request or operator()
    _allow(installation, request, "manage_keys")
    report = installation.keys.rotate()
    detail = {"from": report.old_version, "to": report.new_version, "rewrapped": report.rewrapped}
    _audit_operator(installation, "key_rotation", detail, request)
    return report


def purge_installation(
    installation: Installation, at: datetime | None = None, *, dry_run: bool = False
) -> PurgeReport:
    """Destroy what the policy says has expired at `at` (default: now), in the live key store and in
    every backup this installation wrote."""
    report = purge(installation.platform, operator(), at or installation.clock.now(), dry_run=dry_run)
    if not dry_run:
        shred_epochs(installation.data_dir, report.epochs)
    return report


class DailyUpkeep(threading.Thread):
    """For `serment serve`: at start, then at the start of every day (UTC), purges what expired and
    recomputes the tiers for the new day (exposures leave the lookback, quarantines end), until stopped.
    `every` replaces the daily rhythm, for tests."""

    def __init__(self, installation: Installation, every: timedelta | None = None) -> None:
        super().__init__(name="serment-daily-upkeep", daemon=True)
        self._installation = installation
        self._every = every
        self._stopped = threading.Event()

    def run(self) -> None:
        while not self._stopped.is_set():
            try:
                report = purge_installation(self._installation)
                log.info("purge", epochs=len(report.epochs), people=report.expired_people)
            except Exception:
                log.exception("purge failed; it will be tried again")
            try:
                tiers = recompute_tiers(self._installation.platform, SURVEILLANCE_OPERATOR)
                log.info("tiers", at=tiers.at.isoformat(), changed=tiers.changed, removed=tiers.removed)
            except Exception:
                log.exception("recomputing the tiers failed; it will be tried again")
            self._stopped.wait(self._wait())

    def _wait(self) -> float:
        if self._every is not None:
            return self._every.total_seconds()
        now = self._installation.clock.now()
        tomorrow = datetime.combine(now.date() + timedelta(days=1), datetime.min.time(), tzinfo=now.tzinfo)
        return max((tomorrow - now).total_seconds(), 1.0)

    def stop(self) -> None:
        """Ask the thread to end after its current run."""
        self._stopped.set()


# The operator recomputes the tiers (pseudonymous lists) as an epidemiologist would.
SURVEILLANCE_OPERATOR = operator(role="epidemiologist", purpose="surveillance")


def back_up_installation(
    installation: Installation, settings: Settings, directory: Path, request: Request | None = None
) -> BackupReport:
    """Write an encrypted backup of the database and key store to `directory`, and audit it with
    where it went, its size and how long it took: for `request` (an administrator's, from the
    pages), or for the operator at the terminal."""
    request = request or operator()
    _allow(installation, request, "backup")
    started = time.monotonic()
    try:
        report = back_up(
            installation.data_dir, installation.database, installation.keys, directory,
            passphrase=settings.backup_secret, at=installation.clock.now(),
        )  # fmt: skip
    except BackupError as error:
        raise InstallationError(str(error)) from None
    detail: dict[str, str | int | bool | None] = {
        "epoch_keys": report.epoch_keys, "directory": str(report.directory),
        "database_bytes": report.database_bytes, "milliseconds": round((time.monotonic() - started) * 1000),
    }  # fmt: skip
    _audit_operator(installation, "backup", detail, request)
    return report


def page_backup_directory(installation: Installation) -> Path:
    """Where a backup started from the administrator's pages goes: a new directory under the data
    directory's `backups`, named by the time it starts (copy it to another machine afterwards)."""
    stamp = installation.clock.now().strftime("%Y%m%dT%H%M%S.%fZ")
    return installation.data_dir / BACKUPS_DIR / stamp


def restore_installation(settings: Settings, directory: Path, clock: Clock | None = None) -> RestoreReport:
    """Replace the installation's database and keys by a backup's (the server must be stopped).

    Creates the data directory if it does not exist yet; epoch keys destroyed since stay destroyed.
    """
    data_dir = settings.data_dir.resolve()
    if not (data_dir / MARKER).is_file():
        _prepare_data_dir(data_dir, force=False)
        (data_dir / MARKER).write_text("Serment data directory, restored from a backup.\n", encoding="utf-8")
    database = Database(settings.database)
    try:
        report = restore(
            data_dir, database, data_dir / KEYS_DIR, directory,
            passphrase=settings.backup_secret, key_passphrase=settings.passphrase,
        )  # fmt: skip
    except BackupError as error:
        database.dispose()
        raise InstallationError(str(error)) from None
    database.dispose()
    installation = open_installation(settings, migrate=True, clock=clock)
    try:
        _audit_operator(installation, "restore", {"backup_created_at": report.created_at})
    finally:
        installation.close()
    return report


def _allow(installation: Installation, request: Request, action: str) -> None:
    # The guard's checks for an act on no person; a refusal is audited by the transaction.
    platform = installation.platform
    platform.run(lambda session: authorise(platform, session, request, action, None))


def _audit_operator(
    installation: Installation,
    action: str,
    detail: Mapping[str, str | int | bool | None],
    request: Request | None = None,
) -> None:
    request = request or operator()
    with installation.database.write() as session:
        entry = request.actor.entry(
            action, "ok", purpose="administration", request_id=request.request_id, detail=detail
        )
        append(session, entry, installation.clock.now())


def _clear_uploads(uploads: Path) -> None:
    if not uploads.is_dir():
        return
    for leftover in uploads.iterdir():
        if leftover.is_file():
            # Best effort on SSDs and journaling file systems, as for destroyed keys.
            leftover.write_bytes(b"\0" * leftover.stat().st_size)
            leftover.unlink()
        log.warning("removed an upload left by an interrupted import")


def _policy(settings: Settings) -> Policy:
    try:
        return load_policy(settings.policy)
    except PolicyError as error:
        raise InstallationError(str(error)) from None


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
