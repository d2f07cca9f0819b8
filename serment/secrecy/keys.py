"""The key store: a master key wraps versioned key-encryption keys (KEKs); the current KEK wraps the
pseudonym root secret and the epoch keys, one per data category and month.

Rotation re-wraps under a new KEK and destroys the old one, re-encrypting no data. Destroying an epoch
key leaves a tombstone, so that epoch can never be created or imported again: that is how retention
makes expired data unreadable everywhere, backups included. Both stores keep the same documents, one
in memory (tests), one as files (<data_dir>/keys).
"""

from __future__ import annotations

import base64
import binascii
import fcntl
import json
import os
import re
import tempfile
import threading
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol, TypeVar

from cryptography.hazmat.primitives.kdf.argon2 import Argon2id

from serment.clock import Clock, SystemClock
from serment.secrecy.seal import SealError, new_key, unwrap_key, wrap_key

_FORMAT = "serment/keys/v1"
_SNAPSHOT_FORMAT = "serment/key-snapshot/v1"
_SALT_LENGTH = 16
_CATEGORY = re.compile(r"[a-z_]{1,32}")
_MONTH = re.compile(r"[0-9]{4}-(?:0[1-9]|1[0-2])")
_KEK = re.compile(r"kek/v([1-9][0-9]{0,8})\.json")
_EPOCH = re.compile(r"epochs/([a-z_]{1,32})/([0-9]{4}-(?:0[1-9]|1[0-2]))\.json")
_SINGLETONS = ("master.json", "pseudonym.json", "tombstones.json")

Document = dict[str, Any]
Slot = tuple[str, str]
_T = TypeVar("_T")


class KeyStoreError(Exception):
    """The key store cannot do what was asked; the message says what to do about it, in one line."""


class KeyDestroyed(KeyStoreError):
    """The epoch key asked for was destroyed when its retention ended; its data can no longer be read."""


@dataclass(frozen=True)
class EpochInfo:
    """A live epoch key, as operators see it: never the key itself."""

    category: str
    month: str
    kek_version: int
    created_at: datetime


@dataclass(frozen=True)
class Tombstone:
    """The record that an epoch key was destroyed, kept so that it is never created or restored again."""

    category: str
    month: str
    destroyed_at: datetime


@dataclass(frozen=True)
class RotationReport:
    """What a rotation did: the KEK versions, and how many keys (pseudonym secret, epochs) it re-wrapped."""

    old_version: int
    new_version: int
    rewrapped: int


@dataclass(frozen=True)
class KdfParameters:
    """Argon2id cost of turning the passphrase into the key that protects the master key."""

    memory_kib: int = 65536
    iterations: int = 3
    lanes: int = 4

    def __post_init__(self) -> None:
        if self.lanes < 1 or self.iterations < 1 or self.memory_kib < 8 * self.lanes:
            raise KeyStoreError("Argon2id needs lanes >= 1, iterations >= 1 and memory_kib >= 8 x lanes")


class KeyStore(Protocol):
    """The keys of one installation, for the identity vault, pseudonyms and the purge."""

    def kek_version(self) -> int: ...
    def pseudonym_secret(self) -> bytes: ...
    def epoch_key(self, category: str, month: str, *, create: bool = False) -> bytes | None: ...
    def epochs(self) -> tuple[EpochInfo, ...]: ...
    def tombstones(self) -> tuple[Tombstone, ...]: ...
    def destroy_epoch(self, category: str, month: str) -> bool: ...
    def rotate(self) -> RotationReport: ...
    def export_snapshot(self) -> bytes: ...
    def import_snapshot(self, snapshot: bytes) -> None: ...


class _Documents(Protocol):
    def read(self, name: str) -> Document | None: ...
    def write(self, name: str, document: Document) -> None: ...
    def destroy(self, name: str) -> bool: ...
    def names(self, folder: str) -> list[str]: ...
    def locked(self) -> AbstractContextManager[object]: ...
    def stamp(self) -> object: ...


class _WrappedKeyStore:
    """The behaviour both stores share; they differ only in where documents live."""

    def __init__(self, documents: _Documents, master: bytes, passphrase: str | None, clock: Clock) -> None:
        self._documents = documents
        self._master = master
        self._passphrase = passphrase
        self._clock = clock
        self._keks: dict[int, bytes] = {}
        self._pseudonym: bytes | None = None
        self._epochs: dict[Slot, bytes] = {}
        self._stamp = documents.stamp()

    def __repr__(self) -> str:
        return f"{type(self).__name__}(<keys>)"

    def kek_version(self) -> int:
        """The version of the current key-encryption key."""
        versions = self._kek_versions()
        if not versions:
            raise KeyStoreError("the key store has no key-encryption key; restore it from a backup")
        return max(versions)

    def pseudonym_secret(self) -> bytes:
        """The 32-byte root secret every pseudonym domain key is derived from."""
        self._refresh()
        if self._pseudonym is None:
            with self._documents.locked():
                self._refresh()
                self._pseudonym = self._open_wrapped(self._require("pseudonym.json"), "pseudonym")
        return self._pseudonym

    def epoch_key(self, category: str, month: str, *, create: bool = False) -> bytes | None:
        """The epoch key of `category` and `month` ("YYYY-MM"), created first when `create` is set.

        None when there is none and `create` is not set; KeyDestroyed when it was destroyed.
        """
        slot = _slot(category, month)
        self._refresh()
        key = self._epochs.get(slot)
        if key is not None:
            return key
        with self._documents.locked():
            self._refresh()
            tombstone = self._tombstone_map().get(slot)
            if tombstone is not None:
                raise KeyDestroyed(
                    f"the epoch key of {category} {month} was destroyed on "
                    f"{tombstone.destroyed_at.date().isoformat()}; its data can no longer be read"
                )
            name, label = _epoch_name(slot), _epoch_label(slot)
            document = self._documents.read(name)
            if document is not None:
                key = self._open_wrapped(document, label)
            elif not create:
                return None
            else:
                key = new_key()
                created = {"category": category, "month": month, "created_at": self._now()}
                self._documents.write(name, created | self._wrap_current(key, label))
            self._epochs[slot] = key
            return key

    def epochs(self) -> tuple[EpochInfo, ...]:
        """Every live epoch key's description, by category then month."""
        with self._documents.locked():
            self._refresh()
            destroyed = self._tombstone_map()
            found = []
            for name in self._documents.names("epochs/"):
                slot = _epoch_slot(name)
                if slot not in destroyed:
                    document = self._require(name)
                    version, created = _field(document, "kek_version", int), _time(document, "created_at")
                    found.append(EpochInfo(slot[0], slot[1], version, created))
            return tuple(found)

    def tombstones(self) -> tuple[Tombstone, ...]:
        """Every destroyed epoch, by category then month."""
        with self._documents.locked():
            return tuple(tombstone for _, tombstone in sorted(self._tombstone_map().items()))

    def destroy_epoch(self, category: str, month: str) -> bool:
        """Destroy the epoch key of `category` and `month` for good, for the purge; True if a key existed.

        The tombstone is written first, even when there was no key, so that none is created afterwards.
        """
        slot = _slot(category, month)
        with self._documents.locked():
            self._refresh()
            destroyed = self._tombstone_map()
            if slot not in destroyed:
                destroyed[slot] = Tombstone(category, month, self._clock.now())
                self._write_tombstones(destroyed)
            self._epochs.pop(slot, None)
            return self._documents.destroy(_epoch_name(slot))

    def rotate(self) -> RotationReport:
        """Create the next KEK, re-wrap the pseudonym secret and every live epoch key under it, then destroy
        the older KEKs. No data is re-encrypted, and an interrupted rotation can simply be run again."""
        with self._documents.locked():
            self._refresh()
            old = self.kek_version()
            new, kek = old + 1, new_key()
            label = f"kek:v{new}"
            wrapped = _b64(wrap_key(self._master, kek, label))
            self._documents.write(
                f"kek/v{new}.json", {"version": new, "created_at": self._now(), "wrapped": wrapped}
            )
            self._keks[new] = kek
            destroyed, rewrapped = self._tombstone_map(), 0
            for name in ["pseudonym.json", *self._documents.names("epochs/")]:
                if name != "pseudonym.json" and _epoch_slot(name) in destroyed:
                    self._documents.destroy(name)
                    continue
                document = self._require(name)
                label = "pseudonym" if name == "pseudonym.json" else _epoch_label(_epoch_slot(name))
                key = self._open_wrapped(document, label)
                self._documents.write(name, document | self._wrap_current(key, label))
                rewrapped += 1
            for version in self._kek_versions():
                if version != new:
                    self._documents.destroy(f"kek/v{version}.json")
            self._forget()
            return RotationReport(old, new, rewrapped)

    def export_snapshot(self) -> bytes:
        """A JSON backup of the wrapped key material, as stored; it holds no destroyed epoch key.

        Without a passphrase the master key is in it in clear: keep it as safe as the key directory.
        """
        with self._documents.locked():
            self._refresh()
            destroyed = self._tombstone_map()
            documents = {
                name: self._require(name)
                for name in self._documents.names("")
                if not (_EPOCH.fullmatch(name) and _epoch_slot(name) in destroyed)
            }
            return _dump({"format": _SNAPSHOT_FORMAT, "exported_at": self._now(), "documents": documents})

    def import_snapshot(self, snapshot: bytes) -> None:
        """Replace the key material with a snapshot's, for restoring a backup; the master key and its
        passphrase stay this store's. Epochs destroyed here stay destroyed and keep their tombstones.

        Everything is checked before anything is written; if the import is interrupted, run it again.
        """
        documents = _parse_snapshot(snapshot)
        with self._documents.locked():
            self._refresh()
            destroyed = self._tombstone_map()
            try:
                for slot, tombstone in _tombstones_of(documents.get("tombstones.json")).items():
                    destroyed.setdefault(slot, tombstone)
                plan = self._plan_import(documents, destroyed)
            except (KeyStoreError, ValueError) as error:
                raise KeyStoreError(f"the snapshot cannot be imported: {error}") from None
            self._write_tombstones(destroyed)
            for name in self._documents.names("epochs/"):
                if _epoch_slot(name) in destroyed:
                    self._documents.destroy(name)
            for name, document in plan.items():
                self._documents.write(name, document)
            for name in self._documents.names(""):
                if name not in plan and name not in ("master.json", "tombstones.json"):
                    self._documents.destroy(name)
            self._forget()

    def _plan_import(
        self, documents: dict[str, Document], destroyed: dict[Slot, Tombstone]
    ) -> dict[str, Document]:
        master_document = documents.get("master.json")
        if master_document is None:
            raise KeyStoreError("it holds no master key")
        protected = _field(master_document, "protection", str) != "none"
        master = _open_master(master_document, self._passphrase if protected else None, "the snapshot")
        plan: dict[str, Document] = {}
        keks: dict[int, bytes] = {}
        for name, document in documents.items():
            if match := _KEK.fullmatch(name):
                version, label = int(match[1]), f"kek:v{match[1]}"
                keks[version] = _unwrap(master, document, label)
                plan[name] = document | {"wrapped": _b64(wrap_key(self._master, keks[version], label))}
        for name, document in documents.items():
            if name == "pseudonym.json" or (_EPOCH.fullmatch(name) and _epoch_slot(name) not in destroyed):
                label = "pseudonym" if name == "pseudonym.json" else _epoch_label(_epoch_slot(name))
                kek = keks.get(_field(document, "kek_version", int))
                if kek is None:
                    raise KeyStoreError(f"it lacks the key-encryption key of {name}")
                _unwrap(kek, document, label)
                plan[name] = document
        if "pseudonym.json" not in plan:
            raise KeyStoreError("it holds no pseudonym secret")
        return plan

    def _refresh(self) -> None:
        # Another process that destroyed an epoch or imported a snapshot rewrote tombstones.json.
        stamp = self._documents.stamp()
        if stamp != self._stamp:
            self._forget()
            self._stamp = stamp

    def _forget(self) -> None:
        self._keks.clear()
        self._epochs.clear()
        self._pseudonym = None
        self._stamp = self._documents.stamp()

    def _now(self) -> str:
        return self._clock.now().isoformat()

    def _kek_versions(self) -> list[int]:
        return [int(match[1]) for name in self._documents.names("kek/") if (match := _KEK.fullmatch(name))]

    def _kek(self, version: int) -> bytes:
        key = self._keks.get(version)
        if key is None:
            key = _unwrap(self._master, self._require(f"kek/v{version}.json"), f"kek:v{version}")
            self._keks[version] = key
        return key

    def _wrap_current(self, key: bytes, label: str) -> Document:
        version = self.kek_version()
        return {"kek_version": version, "wrapped": _b64(wrap_key(self._kek(version), key, label))}

    def _open_wrapped(self, document: Document, label: str) -> bytes:
        return _unwrap(self._kek(_field(document, "kek_version", int)), document, label)

    def _require(self, name: str) -> Document:
        document = self._documents.read(name)
        if document is None:
            raise KeyStoreError(f"the key store lacks {name}; restore it from a backup")
        return document

    def _tombstone_map(self) -> dict[Slot, Tombstone]:
        return _tombstones_of(self._documents.read("tombstones.json"))

    def _write_tombstones(self, tombstones: dict[Slot, Tombstone]) -> None:
        listed = [
            {"category": t.category, "month": t.month, "destroyed_at": t.destroyed_at.isoformat()}
            for _, t in sorted(tombstones.items())
        ]
        self._documents.write("tombstones.json", {"tombstones": listed})
        self._stamp = self._documents.stamp()


class MemoryKeyStore(_WrappedKeyStore):
    """A key store held in memory, for tests: the same hierarchy and behaviour as FileKeyStore."""

    def __init__(self, clock: Clock | None = None) -> None:
        documents, master, clock = _MemoryDocuments(), new_key(), clock or SystemClock()
        _initialise(documents, master, _master_document(master, None, KdfParameters()), clock)
        super().__init__(documents, master, None, clock)


class FileKeyStore(_WrappedKeyStore):
    """The key store of an installation: JSON files in a directory of their own (mode 0700, files 0600),
    separate from the database so that a database backup alone reveals nothing."""

    @classmethod
    def create(
        cls,
        directory: Path,
        *,
        passphrase: str | None = None,
        clock: Clock | None = None,
        kdf: KdfParameters | None = None,
    ) -> FileKeyStore:
        """Create a key store in `directory` (new or empty), for `serment init`. With a passphrase, the
        master key is encrypted under an Argon2id key derived from it; without, it is stored in clear."""
        if passphrase == "":
            raise KeyStoreError("the passphrase is empty; choose one or leave SERMENT_KEY_PASSPHRASE unset")
        if directory.exists() and (not directory.is_dir() or any(directory.iterdir())):
            raise KeyStoreError(f"{directory} already exists and is not empty; choose a new key directory")
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        directory.chmod(0o700)
        documents, master, clock = _FileDocuments(directory), new_key(), clock or SystemClock()
        with documents.locked():
            _initialise(
                documents, master, _master_document(master, passphrase, kdf or KdfParameters()), clock
            )
        return cls(documents, master, passphrase, clock)

    @classmethod
    def open(
        cls, directory: Path, *, passphrase: str | None = None, clock: Clock | None = None
    ) -> FileKeyStore:
        """Open the key store in `directory`, with its passphrase when it has one."""
        documents = _FileDocuments(directory)
        master_document = documents.read("master.json") if directory.is_dir() else None
        if master_document is None:
            raise KeyStoreError(f"no key store at {directory}")
        if passphrase is not None and _field(master_document, "protection", str) == "none":
            raise KeyStoreError(
                "the key store has no passphrase, but one was given; unset SERMENT_KEY_PASSPHRASE"
            )
        master = _open_master(master_document, passphrase, "the key store")
        store = cls(documents, master, passphrase, clock or SystemClock())
        # Fail at start-up rather than at the first report when the store is damaged.
        store._kek(store.kek_version())
        return store


class _MemoryDocuments:
    def __init__(self) -> None:
        self._documents: dict[str, bytes] = {}
        self._lock = threading.RLock()

    def read(self, name: str) -> Document | None:
        raw = self._documents.get(name)
        return None if raw is None else _parse(raw, name)

    def write(self, name: str, document: Document) -> None:
        self._documents[name] = _dump(document | {"format": _FORMAT})

    def destroy(self, name: str) -> bool:
        return self._documents.pop(name, None) is not None

    def names(self, folder: str) -> list[str]:
        return sorted(name for name in self._documents if name.startswith(folder))

    def locked(self) -> AbstractContextManager[object]:
        return self._lock

    def stamp(self) -> object:
        return None


class _FileDocuments:
    def __init__(self, directory: Path) -> None:
        self._directory = directory
        self._lock = threading.RLock()
        self._held = False

    def read(self, name: str) -> Document | None:
        try:
            raw = (self._directory / name).read_bytes()
        except FileNotFoundError:
            return None
        return _parse(raw, name)

    def write(self, name: str, document: Document) -> None:
        path = self._directory / name
        _ensure_directory(path.parent)
        descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=".", suffix=".tmp")
        try:
            with os.fdopen(descriptor, "wb") as file:
                file.write(_dump(document | {"format": _FORMAT}))
                file.flush()
                os.fsync(file.fileno())
            Path(temporary).replace(path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        _fsync_directory(path.parent)

    def destroy(self, name: str) -> bool:
        path = self._directory / name
        try:
            size = path.stat().st_size
        except FileNotFoundError:
            return False
        # Best effort on SSDs and journaling file systems; the tombstone and the broken unwrap chain count.
        with path.open("r+b") as file:
            file.write(bytes(size))
            file.flush()
            os.fsync(file.fileno())
        path.unlink()
        _fsync_directory(path.parent)
        return True

    def names(self, folder: str) -> list[str]:
        root = self._directory / folder
        found = (path.relative_to(self._directory).as_posix() for path in root.rglob("*.json"))
        return sorted(
            name for name in found if name in _SINGLETONS or _KEK.fullmatch(name) or _EPOCH.fullmatch(name)
        )

    @contextmanager
    def locked(self) -> Iterator[None]:
        # The thread lock serialises this process; flock serialises the processes sharing the directory.
        with self._lock:
            if self._held:
                yield
                return
            descriptor = os.open(self._directory / ".lock", os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, 0o600)
            try:
                fcntl.flock(descriptor, fcntl.LOCK_EX)
                self._held = True
                yield
            finally:
                self._held = False
                os.close(descriptor)

    def stamp(self) -> object:
        try:
            status = (self._directory / "tombstones.json").stat()
        except FileNotFoundError:
            return None
        return (status.st_ino, status.st_mtime_ns, status.st_size)


def _initialise(documents: _Documents, master: bytes, master_document: Document, clock: Clock) -> None:
    now, kek, secret = clock.now().isoformat(), new_key(), new_key()
    documents.write(
        "kek/v1.json", {"version": 1, "created_at": now, "wrapped": _b64(wrap_key(master, kek, "kek:v1"))}
    )
    pseudonym = {"created_at": now, "kek_version": 1, "wrapped": _b64(wrap_key(kek, secret, "pseudonym"))}
    documents.write("pseudonym.json", pseudonym)
    documents.write("tombstones.json", {"tombstones": []})
    # Written last: a directory without master.json is not (yet) a key store.
    documents.write("master.json", master_document)


def _master_document(master: bytes, passphrase: str | None, kdf: KdfParameters) -> Document:
    if passphrase is None:
        return {"protection": "none", "key": _b64(master)}
    salt = os.urandom(_SALT_LENGTH)
    wrapped = wrap_key(_derive(passphrase, salt, kdf), master, "master")
    parameters = {"memory_kib": kdf.memory_kib, "iterations": kdf.iterations, "lanes": kdf.lanes}
    return {"protection": "argon2id", "salt": _b64(salt), "wrapped": _b64(wrapped)} | parameters


def _open_master(document: Document, passphrase: str | None, what: str) -> bytes:
    protection = _field(document, "protection", str)
    if protection == "none":
        return _bytes(document, "key")
    if protection != "argon2id":
        raise KeyStoreError(
            f"{what} protects its master key with {protection!r}, which this Serment cannot open"
        )
    if passphrase is None:
        raise KeyStoreError(f"{what} is protected by a passphrase; set SERMENT_KEY_PASSPHRASE")
    kdf = KdfParameters(*(_field(document, name, int) for name in ("memory_kib", "iterations", "lanes")))
    try:
        return unwrap_key(
            _derive(passphrase, _bytes(document, "salt"), kdf), _bytes(document, "wrapped"), "master"
        )
    except SealError:
        raise KeyStoreError(f"the passphrase does not open {what}") from None


def _derive(passphrase: str, salt: bytes, kdf: KdfParameters) -> bytes:
    argon = Argon2id(
        salt=salt, length=32, iterations=kdf.iterations, lanes=kdf.lanes, memory_cost=kdf.memory_kib
    )
    return argon.derive(passphrase.encode())


def _unwrap(wrapping_key: bytes, document: Document, label: str) -> bytes:
    try:
        return unwrap_key(wrapping_key, _bytes(document, "wrapped"), label)
    except SealError:
        raise KeyStoreError(f"the {label} key does not open; restore the key store from a backup") from None


def _slot(category: str, month: str) -> Slot:
    if not _CATEGORY.fullmatch(category):
        raise ValueError(
            f"{category!r} is not a data category: use 1 to 32 lower-case letters and underscores"
        )
    if not _MONTH.fullmatch(month):
        raise ValueError(f"{month!r} is not a month: write it YYYY-MM, as in 2026-03")
    return category, month


def _epoch_name(slot: Slot) -> str:
    return f"epochs/{slot[0]}/{slot[1]}.json"


def _epoch_label(slot: Slot) -> str:
    return f"epoch:{slot[0]}:{slot[1]}"


def _epoch_slot(name: str) -> Slot:
    match = _EPOCH.fullmatch(name)
    if match is None:
        raise KeyStoreError(f"{name} is not an epoch key file; remove it from the key store")
    return match[1], match[2]


def _tombstones_of(document: Document | None) -> dict[Slot, Tombstone]:
    if document is None:
        return {}
    found: dict[Slot, Tombstone] = {}
    for entry in _field(document, "tombstones", list):
        if not isinstance(entry, dict):
            raise KeyStoreError("the tombstones of the key store are damaged; restore them from a backup")
        slot = _slot(_field(entry, "category", str), _field(entry, "month", str))
        found[slot] = Tombstone(slot[0], slot[1], _time(entry, "destroyed_at"))
    return found


def _parse_snapshot(snapshot: bytes) -> dict[str, Document]:
    parsed = _parse(snapshot, "snapshot", _SNAPSHOT_FORMAT)
    documents = _field(parsed, "documents", dict)
    for name, document in documents.items():
        if not (name in _SINGLETONS or _KEK.fullmatch(name) or _EPOCH.fullmatch(name)):
            raise KeyStoreError(
                f"the snapshot holds {name!r}, which is no key store file; it cannot be imported"
            )
        if not isinstance(document, dict) or document.get("format") != _FORMAT:
            raise KeyStoreError(
                f"the snapshot's {name} is damaged or from another version; it cannot be imported"
            )
    return documents


def _parse(raw: bytes, name: str, expected: str = _FORMAT) -> Document:
    try:
        document = json.loads(raw)
    except ValueError:
        document = None
    if not isinstance(document, dict) or document.get("format") != expected:
        raise KeyStoreError(
            f"the key store's {name} is damaged or from another version; restore it from a backup"
        )
    return document


def _dump(document: Document) -> bytes:
    return json.dumps(document, sort_keys=True, indent=2).encode() + b"\n"


def _field(document: Document, name: str, kind: type[_T]) -> _T:
    value = document.get(name)
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise KeyStoreError(f"a key store file has no valid {name!r}; restore the key store from a backup")
    return value


def _bytes(document: Document, name: str) -> bytes:
    try:
        return base64.b64decode(_field(document, name, str), validate=True)
    except binascii.Error:
        raise KeyStoreError(
            f"a key store file has no valid {name!r}; restore the key store from a backup"
        ) from None


def _time(document: Document, name: str) -> datetime:
    try:
        moment = datetime.fromisoformat(_field(document, name, str))
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None:
        raise KeyStoreError(f"a key store file has no valid {name!r}; restore the key store from a backup")
    return moment


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _ensure_directory(directory: Path) -> None:
    if directory.is_dir():
        return
    _ensure_directory(directory.parent)
    directory.mkdir(mode=0o700)
    directory.chmod(0o700)
    _fsync_directory(directory.parent)


def _fsync_directory(directory: Path) -> None:
    descriptor = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
