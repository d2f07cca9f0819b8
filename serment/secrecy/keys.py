"""The key store: a master key wraps versioned key-encryption keys (KEKs); the current KEK wraps the
pseudonym root secret and the epoch keys, one per data category and month.

Rotation re-wraps under a new KEK and destroys the old one, re-encrypting no data. Destroying an epoch
key leaves a tombstone, so that epoch can never be created or imported again: that is how retention
makes expired data unreadable everywhere, backups included. Both stores keep the same documents, one
in memory (tests), one as files (<data_dir>/keys): how documents are stored is in `keyfiles`, how
snapshots are written and checked in `snapshots`; this module is the hierarchy.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Protocol

from serment.clock import Clock, SystemClock
from serment.secrecy.keyfiles import (
    EPOCH_FILE,
    KEK_FILE,
    Document,
    Documents,
    FileDocuments,
    KdfParameters,
    KeyStoreError,
    MemoryDocuments,
    Slot,
    b64,
    epoch_file,
    epoch_label,
    epoch_slot,
    field,
    field_time,
    open_master,
    protect_master,
    unwrap_document,
)
from serment.secrecy.seal import new_key, wrap_key
from serment.secrecy.snapshots import dump_snapshot, parse_snapshot, plan_import

__all__ = [
    "EpochInfo",
    "FileKeyStore",
    "KdfParameters",
    "KeyDestroyed",
    "KeyStore",
    "KeyStoreError",
    "MemoryKeyStore",
    "RotationReport",
    "Tombstone",
]

_CATEGORY = re.compile(r"[a-z_]{1,32}")
_MONTH = re.compile(r"[0-9]{4}-(?:0[1-9]|1[0-2])")


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


class _WrappedKeyStore:
    """The behaviour both stores share; they differ only in where documents live."""

    def __init__(self, documents: Documents, master: bytes, passphrase: str | None, clock: Clock) -> None:
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
            name, label = epoch_file(slot), epoch_label(slot)
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
                slot = epoch_slot(name)
                if slot not in destroyed:
                    document = self._require(name)
                    version, created = field(document, "kek_version", int), field_time(document, "created_at")
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
            return self._documents.destroy(epoch_file(slot))

    def rotate(self) -> RotationReport:
        """Create the next KEK, re-wrap the pseudonym secret and every live epoch key under it, then destroy
        the older KEKs. No data is re-encrypted, and an interrupted rotation can simply be run again."""
        with self._documents.locked():
            self._refresh()
            old = self.kek_version()
            new, kek = old + 1, new_key()
            label = f"kek:v{new}"
            wrapped = b64(wrap_key(self._master, kek, label))
            self._documents.write(
                f"kek/v{new}.json", {"version": new, "created_at": self._now(), "wrapped": wrapped}
            )
            self._keks[new] = kek
            destroyed, rewrapped = self._tombstone_map(), 0
            for name in ["pseudonym.json", *self._documents.names("epochs/")]:
                if name != "pseudonym.json" and epoch_slot(name) in destroyed:
                    self._documents.destroy(name)
                    continue
                document = self._require(name)
                label = "pseudonym" if name == "pseudonym.json" else epoch_label(epoch_slot(name))
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
                if not (EPOCH_FILE.fullmatch(name) and epoch_slot(name) in destroyed)
            }
            return dump_snapshot(documents, self._now())

    def import_snapshot(self, snapshot: bytes) -> None:
        """Replace the key material with a snapshot's, for restoring a backup; the master key and its
        passphrase stay this store's. Epochs destroyed here stay destroyed and keep their tombstones.

        Everything is checked before anything is written; if the import is interrupted, run it again.
        """
        documents = parse_snapshot(snapshot)
        with self._documents.locked():
            self._refresh()
            destroyed = self._tombstone_map()
            try:
                for slot, tombstone in _tombstones_of(documents.get("tombstones.json")).items():
                    destroyed.setdefault(slot, tombstone)
                plan = plan_import(documents, destroyed, self._master, self._passphrase)
            except (KeyStoreError, ValueError) as error:
                raise KeyStoreError(f"the snapshot cannot be imported: {error}") from None
            self._write_tombstones(destroyed)
            for name in self._documents.names("epochs/"):
                if epoch_slot(name) in destroyed:
                    self._documents.destroy(name)
            for name, document in plan.items():
                self._documents.write(name, document)
            for name in self._documents.names(""):
                if name not in plan and name not in ("master.json", "tombstones.json"):
                    self._documents.destroy(name)
            self._forget()

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
        names = self._documents.names("kek/")
        return [int(match[1]) for name in names if (match := KEK_FILE.fullmatch(name))]

    def _kek(self, version: int) -> bytes:
        key = self._keks.get(version)
        if key is None:
            key = unwrap_document(self._master, self._require(f"kek/v{version}.json"), f"kek:v{version}")
            self._keks[version] = key
        return key

    def _wrap_current(self, key: bytes, label: str) -> Document:
        version = self.kek_version()
        return {"kek_version": version, "wrapped": b64(wrap_key(self._kek(version), key, label))}

    def _open_wrapped(self, document: Document, label: str) -> bytes:
        return unwrap_document(self._kek(field(document, "kek_version", int)), document, label)

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
        documents, master, clock = MemoryDocuments(), new_key(), clock or SystemClock()
        _initialise(documents, master, protect_master(master, None, KdfParameters()), clock)
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
        documents, master, clock = FileDocuments(directory), new_key(), clock or SystemClock()
        with documents.locked():
            _initialise(documents, master, protect_master(master, passphrase, kdf or KdfParameters()), clock)
        return cls(documents, master, passphrase, clock)

    @classmethod
    def open(
        cls, directory: Path, *, passphrase: str | None = None, clock: Clock | None = None
    ) -> FileKeyStore:
        """Open the key store in `directory`, with its passphrase when it has one."""
        documents = FileDocuments(directory)
        master_document = documents.read("master.json") if directory.is_dir() else None
        if master_document is None:
            raise KeyStoreError(f"no key store at {directory}")
        if passphrase is not None and field(master_document, "protection", str) == "none":
            raise KeyStoreError(
                "the key store has no passphrase, but one was given; unset SERMENT_KEY_PASSPHRASE"
            )
        master = open_master(master_document, passphrase, "the key store")
        store = cls(documents, master, passphrase, clock or SystemClock())
        # Fail at start-up rather than at the first report when the store is damaged.
        store._kek(store.kek_version())
        return store


def _initialise(documents: Documents, master: bytes, master_document: Document, clock: Clock) -> None:
    now, kek, secret = clock.now().isoformat(), new_key(), new_key()
    documents.write(
        "kek/v1.json", {"version": 1, "created_at": now, "wrapped": b64(wrap_key(master, kek, "kek:v1"))}
    )
    pseudonym = {"created_at": now, "kek_version": 1, "wrapped": b64(wrap_key(kek, secret, "pseudonym"))}
    documents.write("pseudonym.json", pseudonym)
    documents.write("tombstones.json", {"tombstones": []})
    # Written last: a directory without master.json is not (yet) a key store.
    documents.write("master.json", master_document)


def _slot(category: str, month: str) -> Slot:
    if not _CATEGORY.fullmatch(category):
        raise ValueError(
            f"{category!r} is not a data category: use 1 to 32 lower-case letters and underscores"
        )
    if not _MONTH.fullmatch(month):
        raise ValueError(f"{month!r} is not a month: write it YYYY-MM, as in 2026-03")
    return category, month


def _tombstones_of(document: Document | None) -> dict[Slot, Tombstone]:
    if document is None:
        return {}
    found: dict[Slot, Tombstone] = {}
    for entry in field(document, "tombstones", list):
        if not isinstance(entry, dict):
            raise KeyStoreError("the tombstones of the key store are damaged; restore them from a backup")
        slot = _slot(field(entry, "category", str), field(entry, "month", str))
        found[slot] = Tombstone(slot[0], slot[1], field_time(entry, "destroyed_at"))
    return found
