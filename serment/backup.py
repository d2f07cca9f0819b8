"""Backups: a consistent, encrypted snapshot of the database and, separately, of the key store.

A backup directory holds `manifest.json` (no secret: what is where, the KDF salt, file hashes),
`database.enc` (SQLite's online backup, or `pg_dump`), `keys/core.enc` (master key, key-encryption
keys, pseudonym secret, tombstones) and one `keys/epochs/<category>_<month>.enc` per epoch key.
Everything is encrypted with AES-256-GCM in chunks under a key derived from the backup passphrase
with Argon2id. Epoch keys sit in files of their own so that a purge can shred them from every
backup it knows of, without the passphrase: a backup then never holds a destroyed epoch key, and
a restore never brings one back (the live key store's tombstones win).
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import secrets
import shutil
import sqlite3
import struct
import subprocess
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import IO, Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.argon2 import Argon2id

from serment.secrecy import FileKeyStore, KeyStore, KeyStoreError
from serment.store import Database

FORMAT = "serment/backup/v1"
REGISTRY = "backups.json"
CHUNK = 1 << 20
_NONCE = 12
_KDF = {"memory_kib": 65536, "iterations": 3, "lanes": 4}


class BackupError(Exception):
    """A backup or restore that cannot be done; the message says why and what to do."""


@dataclass(frozen=True)
class BackupReport:
    """Where the backup went and what it holds."""

    directory: Path
    database_bytes: int
    epoch_keys: int


@dataclass(frozen=True)
class RestoreReport:
    """What was restored, and the epoch keys the backup held that stay destroyed."""

    created_at: str
    epoch_keys: int
    still_destroyed: int


def back_up(
    data_dir: Path,
    database: Database,
    keys: KeyStore,
    directory: Path,
    *,
    passphrase: str | None,
    at: datetime,
) -> BackupReport:
    """Write an encrypted backup of the database and the key store into `directory` (new or empty)."""
    key, kdf = _new_backup_key(passphrase)
    directory = directory.resolve()
    if directory.exists() and any(directory.iterdir()):
        raise BackupError(f"{directory} is not empty; give a new directory for each backup")
    (directory / "keys" / "epochs").mkdir(parents=True, exist_ok=True, mode=0o700)
    files: dict[str, str] = {}
    with tempfile.TemporaryDirectory(dir=data_dir) as scratch:
        dump = Path(scratch) / "database.dump"
        _dump_database(database, dump)
        size = dump.stat().st_size
        with dump.open("rb") as plain:
            files["database.enc"] = _encrypt_file(key, "database", plain, directory / "database.enc")
    snapshot = json.loads(keys.export_snapshot())
    documents: dict[str, Any] = snapshot.pop("documents")
    epochs = {name: document for name, document in documents.items() if name.startswith("epochs/")}
    core = {"snapshot": snapshot, "documents": {n: d for n, d in documents.items() if n not in epochs}}
    files["keys/core.enc"] = _encrypt_bytes(key, "keys/core", _json(core), directory / "keys" / "core.enc")
    for name, document in epochs.items():
        relative = _epoch_file(name)
        payload = _json({"name": name, "document": document})
        files[relative] = _encrypt_bytes(key, relative, payload, directory / relative)
    manifest = {
        "format": FORMAT,
        "created_at": at.isoformat(),
        "dialect": database.dialect,
        "kdf": kdf,
        "files": files,
    }
    _write_json(directory / "manifest.json", manifest)
    _register(data_dir, directory)
    return BackupReport(directory, size, len(epochs))


def restore(
    data_dir: Path,
    database: Database,
    keys_dir: Path,
    directory: Path,
    *,
    passphrase: str | None,
    key_passphrase: str | None,
) -> RestoreReport:
    """Put the backup's database in place of the current one and import its keys into the key store.

    The server must be stopped. Epoch keys destroyed in the live key store stay destroyed.
    """
    directory = directory.resolve()
    manifest = _read_manifest(directory)
    key = _backup_key(passphrase, manifest["kdf"])
    files: dict[str, str] = manifest["files"]
    for relative, digest in files.items():
        path = directory / relative
        if path.exists() and _sha256(path) != digest:
            raise BackupError(f"{path} has changed since the backup was written; it cannot be trusted")
    core = json.loads(_decrypt_bytes(key, "keys/core", directory / "keys" / "core.enc"))
    documents: dict[str, Any] = dict(core["documents"])
    epoch_files = sorted(name for name in files if name.startswith("keys/epochs/"))
    for relative in epoch_files:
        path = directory / relative
        if path.exists():
            entry = json.loads(_decrypt_bytes(key, relative, path))
            documents[entry["name"]] = entry["document"]
    snapshot = _json({**core["snapshot"], "documents": documents})
    store = _key_store_for_restore(keys_dir, key_passphrase)
    destroyed_before = {(t.category, t.month) for t in store.tombstones()}
    try:
        store.import_snapshot(snapshot)
    except KeyStoreError as error:
        raise BackupError(str(error)) from None
    restored_epochs = {
        (name.split("/")[1], name.split("/")[2].removesuffix(".json"))
        for name in documents
        if name.startswith("epochs/")
    }
    with tempfile.TemporaryDirectory(dir=data_dir) as scratch:
        dump = Path(scratch) / "database.dump"
        with dump.open("wb") as plain:
            _decrypt_file(key, "database", directory / "database.enc", plain)
        _load_database(database, dump, manifest["dialect"])
    return RestoreReport(
        manifest["created_at"], len(restored_epochs), len(restored_epochs & destroyed_before)
    )


def shred_epochs(data_dir: Path, epochs: Iterable[tuple[str, str]]) -> int:
    """Remove the given epoch keys from every backup this installation wrote; returns files shredded."""
    targets = [f"keys/epochs/{category}_{month}.enc" for category, month in epochs]
    shredded = 0
    for directory in _registered(data_dir):
        manifest_path = directory / "manifest.json"
        if not manifest_path.is_file():
            continue
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
        for relative in targets:
            path = directory / relative
            if path.exists():
                _overwrite_and_unlink(path)
                shredded += 1
            manifest["files"].pop(relative, None)
        _write_json(manifest_path, manifest)
    return shredded


def _key_store_for_restore(keys_dir: Path, key_passphrase: str | None) -> FileKeyStore:
    try:
        if keys_dir.is_dir() and any(keys_dir.iterdir()):
            return FileKeyStore.open(keys_dir, passphrase=key_passphrase)
        return FileKeyStore.create(keys_dir, passphrase=key_passphrase)
    except KeyStoreError as error:
        raise BackupError(str(error)) from None


def _new_backup_key(passphrase: str | None) -> tuple[bytes, dict[str, Any]]:
    salt = secrets.token_bytes(16)
    kdf = {"salt": salt.hex(), **_KDF}
    return _backup_key(passphrase, kdf), kdf


def _backup_key(passphrase: str | None, kdf: dict[str, Any]) -> bytes:
    if not passphrase:
        raise BackupError("backups are encrypted with a passphrase: set SERMENT_BACKUP_PASSPHRASE")
    return Argon2id(
        salt=bytes.fromhex(kdf["salt"]),
        length=32,
        iterations=int(kdf["iterations"]),
        lanes=int(kdf["lanes"]),
        memory_cost=int(kdf["memory_kib"]),
    ).derive(passphrase.encode())


def _chunks(name: str, index: int, last: bool) -> bytes:
    return f"{FORMAT}|{name}|{index}|{'last' if last else 'more'}".encode()


def _encrypt_file(key: bytes, name: str, plain: IO[bytes], target: Path) -> str:
    aead = AESGCM(key)
    with _private(target) as out:
        index = 0
        chunk = plain.read(CHUNK)
        while True:
            following = plain.read(CHUNK)
            last = not following
            nonce = secrets.token_bytes(_NONCE)
            sealed = aead.encrypt(nonce, chunk, _chunks(name, index, last))
            out.write(struct.pack(">I", len(sealed)) + nonce + sealed)
            if last:
                break
            chunk, index = following, index + 1
    return _sha256(target)


def _decrypt_file(key: bytes, name: str, source: Path, out: IO[bytes]) -> None:
    aead = AESGCM(key)
    with source.open("rb") as sealed_file:
        for index, (nonce, sealed, last) in enumerate(_records(sealed_file)):
            try:
                out.write(aead.decrypt(nonce, sealed, _chunks(name, index, last)))
            except InvalidTag:
                raise BackupError(
                    f"{source} does not open with this passphrase, or it was altered or truncated"
                ) from None


def _records(sealed_file: IO[bytes]) -> Iterator[tuple[bytes, bytes, bool]]:
    header = sealed_file.read(4)
    while header:
        (length,) = struct.unpack(">I", header)
        nonce = sealed_file.read(_NONCE)
        sealed = sealed_file.read(length)
        header = sealed_file.read(4)
        yield nonce, sealed, not header


def _encrypt_bytes(key: bytes, name: str, payload: bytes, target: Path) -> str:
    return _encrypt_file(key, name, io.BytesIO(payload), target)


def _decrypt_bytes(key: bytes, name: str, source: Path) -> bytes:
    collected = io.BytesIO()
    _decrypt_file(key, name, source, collected)
    return collected.getvalue()


def _dump_database(database: Database, target: Path) -> None:
    if database.dialect == "sqlite":
        source = sqlite3.connect(database.url.database or "")
        try:
            destination = sqlite3.connect(target)
            try:
                source.backup(destination)
            finally:
                destination.close()
        finally:
            source.close()
        return
    command = ["pg_dump", "--format=custom", "--no-owner", f"--file={target}", *_libpq(database)]
    _run(command, "pg_dump")


def _load_database(database: Database, dump: Path, dialect: str) -> None:
    if dialect != database.dialect:
        raise BackupError(
            f"the backup holds a {dialect} database; this installation runs on {database.dialect}"
        )
    database.dispose()
    if database.dialect == "sqlite":
        source = sqlite3.connect(dump)
        try:
            destination = sqlite3.connect(database.url.database or "")
            try:
                source.backup(destination)
            finally:
                destination.close()
        finally:
            source.close()
        return
    command = [
        "pg_restore",
        "--clean",
        "--if-exists",
        "--no-owner",
        "--single-transaction",
        *_libpq(database),
        str(dump),
    ]
    _run(command, "pg_restore")


def _libpq(database: Database) -> list[str]:
    url = database.url.set(drivername="postgresql")
    options = url.query.get("options")
    arguments = [f"--dbname={url.set(query={}).render_as_string(hide_password=False)}"]
    if isinstance(options, str) and options.startswith("-csearch_path="):
        arguments.append(f"--schema={options.removeprefix('-csearch_path=')}")
    return arguments


def _run(command: list[str], name: str) -> None:
    if shutil.which(command[0]) is None:
        raise BackupError(f"{name} is not installed; install PostgreSQL's client tools (postgresql-client)")
    finished = subprocess.run(command, capture_output=True, text=True, check=False)
    if finished.returncode != 0:
        first = (finished.stderr.strip().splitlines() or ["no message"])[0]
        raise BackupError(f"{name} failed: {first}")


def _read_manifest(directory: Path) -> dict[str, Any]:
    path = directory / "manifest.json"
    try:
        manifest: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        raise BackupError(f"{directory} holds no readable Serment backup (manifest.json)") from None
    if manifest.get("format") != FORMAT:
        raise BackupError(f"{directory} holds a backup of another format than {FORMAT}")
    return manifest


def _register(data_dir: Path, directory: Path) -> None:
    known = [str(path) for path in _registered(data_dir)]
    if str(directory) not in known:
        known.append(str(directory))
    _write_json(data_dir / REGISTRY, {"backups": known})


def _registered(data_dir: Path) -> list[Path]:
    path = data_dir / REGISTRY
    if not path.is_file():
        return []
    return [Path(entry) for entry in json.loads(path.read_text(encoding="utf-8")).get("backups", [])]


def _epoch_file(document_name: str) -> str:
    _, category, month = document_name.removesuffix(".json").split("/")
    return f"keys/epochs/{category}_{month}.enc"


def _json(document: object) -> bytes:
    return json.dumps(document, sort_keys=True).encode()


def _write_json(path: Path, document: object) -> None:
    temporary = path.with_suffix(".tmp")
    with _private(temporary) as out:
        out.write(json.dumps(document, indent=2, sort_keys=True).encode() + b"\n")
    temporary.replace(path)


def _private(path: Path) -> IO[bytes]:
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    return os.fdopen(descriptor, "wb")


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as source:
        for block in iter(lambda: source.read(CHUNK), b""):
            digest.update(block)
    return digest.hexdigest()


def _overwrite_and_unlink(path: Path) -> None:
    # Best effort on SSDs and journaling file systems; the unreadable wrapping is what counts.
    size = path.stat().st_size
    with path.open("r+b") as target:
        target.write(b"\0" * size)
        target.flush()
        os.fsync(target.fileno())
    path.unlink()
