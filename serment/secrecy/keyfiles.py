"""Key files: where the key store's documents live, and how they are kept at rest.

Every document is a small JSON object tagged with its format. On disk (<data_dir>/keys, mode 0700, files
0600), a document is written to a temporary file, synced, then renamed over the old one; a lock file
serialises the processes sharing the directory; a destroyed document is overwritten before it is
removed. In memory (tests) the same documents are kept as bytes. The master key's own document is here
too: stored in clear, or wrapped under a key derived from a passphrase with Argon2id.
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

from serment.secrecy.seal import SealError, unwrap_key, wrap_key

FORMAT = "serment/keys/v1"
KEK_FILE = re.compile(r"kek/v([1-9][0-9]{0,8})\.json")
EPOCH_FILE = re.compile(r"epochs/([a-z_]{1,32})/([0-9]{4}-(?:0[1-9]|1[0-2]))\.json")
SINGLETONS = ("master.json", "pseudonym.json", "tombstones.json")
_SALT_LENGTH = 16

Document = dict[str, Any]
Slot = tuple[str, str]
_T = TypeVar("_T")


class KeyStoreError(Exception):
    """The key store cannot do what was asked; the message says what to do about it, in one line."""


@dataclass(frozen=True)
class KdfParameters:
    """Argon2id cost of turning the passphrase into the key that protects the master key."""

    memory_kib: int = 65536
    iterations: int = 3
    lanes: int = 4

    def __post_init__(self) -> None:
        if self.lanes < 1 or self.iterations < 1 or self.memory_kib < 8 * self.lanes:
            raise KeyStoreError("Argon2id needs lanes >= 1, iterations >= 1 and memory_kib >= 8 x lanes")


class Documents(Protocol):
    """Where a key store keeps its documents, by name ("kek/v1.json"), under one lock."""

    def read(self, name: str) -> Document | None: ...
    def write(self, name: str, document: Document) -> None: ...
    def destroy(self, name: str) -> bool: ...
    def names(self, folder: str) -> list[str]: ...
    def locked(self) -> AbstractContextManager[object]: ...
    def stamp(self) -> object: ...


class MemoryDocuments:
    """Documents held in memory, for tests; encoded and checked as files are."""

    def __init__(self) -> None:
        self._documents: dict[str, bytes] = {}
        self._lock = threading.RLock()

    def read(self, name: str) -> Document | None:
        raw = self._documents.get(name)
        return None if raw is None else parse(raw, name)

    def write(self, name: str, document: Document) -> None:
        self._documents[name] = dump(document | {"format": FORMAT})

    def destroy(self, name: str) -> bool:
        return self._documents.pop(name, None) is not None

    def names(self, folder: str) -> list[str]:
        return sorted(name for name in self._documents if name.startswith(folder))

    def locked(self) -> AbstractContextManager[object]:
        return self._lock

    def stamp(self) -> object:
        return None


class FileDocuments:
    """Documents as files in a directory of their own: atomic writes, a lock file, overwrite on destroy."""

    def __init__(self, directory: Path) -> None:
        self._directory = directory
        self._lock = threading.RLock()
        self._held = False

    def read(self, name: str) -> Document | None:
        try:
            raw = (self._directory / name).read_bytes()
        except FileNotFoundError:
            return None
        return parse(raw, name)

    def write(self, name: str, document: Document) -> None:
        path = self._directory / name
        _ensure_directory(path.parent)
        descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=".", suffix=".tmp")
        try:
            with os.fdopen(descriptor, "wb") as file:
                file.write(dump(document | {"format": FORMAT}))
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
        return sorted(name for name in found if is_key_file(name))

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


def is_key_file(name: str) -> bool:
    """Whether `name` is the name of a key store document."""
    return (
        name in SINGLETONS or KEK_FILE.fullmatch(name) is not None or EPOCH_FILE.fullmatch(name) is not None
    )


def epoch_file(slot: Slot) -> str:
    """The document name of the epoch key of `slot` (category, month)."""
    return f"epochs/{slot[0]}/{slot[1]}.json"


def epoch_label(slot: Slot) -> str:
    """What the epoch key of `slot` is bound to when wrapped."""
    return f"epoch:{slot[0]}:{slot[1]}"


def epoch_slot(name: str) -> Slot:
    """The (category, month) of the epoch key document `name`."""
    match = EPOCH_FILE.fullmatch(name)
    if match is None:
        raise KeyStoreError(f"{name} is not an epoch key file; remove it from the key store")
    return match[1], match[2]


def protect_master(master: bytes, passphrase: str | None, kdf: KdfParameters) -> Document:
    """The document of the master key: in clear without a passphrase, else wrapped under Argon2id."""
    if passphrase is None:
        return {"protection": "none", "key": b64(master)}
    salt = os.urandom(_SALT_LENGTH)
    wrapped = wrap_key(_derive(passphrase, salt, kdf), master, "master")
    parameters = {"memory_kib": kdf.memory_kib, "iterations": kdf.iterations, "lanes": kdf.lanes}
    return {"protection": "argon2id", "salt": b64(salt), "wrapped": b64(wrapped)} | parameters


def open_master(document: Document, passphrase: str | None, what: str) -> bytes:
    """The master key of `document`, opened with `passphrase` when it has one; `what` names its owner
    in the errors ("the key store", "the snapshot")."""
    protection = field(document, "protection", str)
    if protection == "none":
        return field_bytes(document, "key")
    if protection != "argon2id":
        raise KeyStoreError(
            f"{what} protects its master key with {protection!r}, which this Serment cannot open"
        )
    if passphrase is None:
        raise KeyStoreError(f"{what} is protected by a passphrase; set SERMENT_KEY_PASSPHRASE")
    kdf = KdfParameters(*(field(document, name, int) for name in ("memory_kib", "iterations", "lanes")))
    try:
        return unwrap_key(
            _derive(passphrase, field_bytes(document, "salt"), kdf),
            field_bytes(document, "wrapped"),
            "master",
        )
    except SealError:
        raise KeyStoreError(f"the passphrase does not open {what}") from None


def _derive(passphrase: str, salt: bytes, kdf: KdfParameters) -> bytes:
    argon = Argon2id(
        salt=salt, length=32, iterations=kdf.iterations, lanes=kdf.lanes, memory_cost=kdf.memory_kib
    )
    return argon.derive(passphrase.encode())


def unwrap_document(wrapping_key: bytes, document: Document, label: str) -> bytes:
    """The key wrapped in `document` under `wrapping_key` and `label`."""
    try:
        return unwrap_key(wrapping_key, field_bytes(document, "wrapped"), label)
    except SealError:
        raise KeyStoreError(f"the {label} key does not open; restore the key store from a backup") from None


def parse(raw: bytes, name: str, expected: str = FORMAT) -> Document:
    """The document `name` read from `raw`, checked to be of the `expected` format."""
    try:
        document = json.loads(raw)
    except ValueError:
        document = None
    if not isinstance(document, dict) or document.get("format") != expected:
        raise KeyStoreError(
            f"the key store's {name} is damaged or from another version; restore it from a backup"
        )
    return document


def dump(document: Document) -> bytes:
    """`document` as the bytes of its file."""
    return json.dumps(document, sort_keys=True, indent=2).encode() + b"\n"


def field(document: Document, name: str, kind: type[_T]) -> _T:
    """The field `name` of `document`, checked to be a `kind`."""
    value = document.get(name)
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise KeyStoreError(f"a key store file has no valid {name!r}; restore the key store from a backup")
    return value


def field_bytes(document: Document, name: str) -> bytes:
    """The base64 field `name` of `document`, decoded."""
    try:
        return base64.b64decode(field(document, name, str), validate=True)
    except binascii.Error:
        raise KeyStoreError(
            f"a key store file has no valid {name!r}; restore the key store from a backup"
        ) from None


def field_time(document: Document, name: str) -> datetime:
    """The timezone-aware ISO 8601 moment in the field `name` of `document`."""
    try:
        moment = datetime.fromisoformat(field(document, name, str))
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None:
        raise KeyStoreError(f"a key store file has no valid {name!r}; restore the key store from a backup")
    return moment


def b64(data: bytes) -> str:
    """`data` in base64, as documents hold bytes."""
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
