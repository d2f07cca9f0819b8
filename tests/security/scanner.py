"""Looks for identifiers in clear in every byte of every file under a directory, as a thief would
(vectorised with numpy, so that a whole demo database is read in seconds)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

PREFIX = 6
# Bytes of a file looked at in one go (each becomes an 8-byte key: 64 MiB of keys at most).
CHUNK = 8 * 1024 * 1024


@dataclass(frozen=True)
class Hit:
    """An identifier found in clear: where, and in which encoding."""

    path: Path
    offset: int
    identifier: str
    encoding: str


def variants(identifier: str, *, caseless: bool = True) -> dict[bytes, str]:
    """The byte strings an identifier may take on disk, in UTF-8 and UTF-16 (both byte orders): as
    written, upper case, capitalised, and lower case and casefolded; without the lower-case forms
    unless `caseless` (then one written in lower case is looked for upper case and capitalised)."""
    found: dict[bytes, str] = {}
    cases = {identifier, identifier.upper(), identifier.title()}
    if caseless:
        cases |= {identifier.lower(), identifier.casefold()}
    else:
        cases = {text for text in cases if text != text.lower()}
    for text in cases:
        for encoding in ("utf-8", "utf-16-le", "utf-16-be"):
            found[text.encode(encoding)] = encoding
    return found


def scan(root: Path, identifiers: Iterable[str], *, caseless_from: int = 0) -> list[Hit]:
    """Every place under `root` (a directory or one file) where one of `identifiers` appears in clear;
    in lower case too for identifiers of at least `caseless_from` bytes (pseudonymous refs are random
    lower-case base32: among a whole outbreak's refs, a short name in lower case turns up by chance)."""
    needles: dict[bytes, tuple[str, str]] = {}
    for identifier in identifiers:
        caseless = len(identifier.encode("utf-8")) >= caseless_from
        for needle, encoding in variants(identifier, caseless=caseless).items():
            if len(needle) < PREFIX:
                raise ValueError(f"{identifier!r} is too short to scan for without false alarms")
            needles[needle] = (identifier, encoding)
    by_prefix: dict[int, list[bytes]] = {}
    for needle in needles:
        by_prefix.setdefault(_key(needle[:PREFIX]), []).append(needle)
    prefixes = np.fromiter(by_prefix, dtype=np.uint64, count=len(by_prefix))
    files = [root] if root.is_file() else sorted(p for p in root.rglob("*") if p.is_file())
    hits: list[Hit] = []
    for path in files:
        data = path.read_bytes()
        for offset in _candidates(data, prefixes):
            for needle in by_prefix[_key(data[offset : offset + PREFIX])]:
                if data.startswith(needle, offset):
                    identifier, encoding = needles[needle]
                    hits.append(Hit(path, offset, identifier, encoding))
    return hits


def _key(prefix: bytes) -> int:
    return int.from_bytes(prefix, "little")


def _candidates(data: bytes, prefixes: np.ndarray) -> list[int]:
    """The offsets in `data` where some needle's first PREFIX bytes start: every window of PREFIX bytes
    is read as one little-endian integer and looked up in the sorted prefixes, a chunk at a time so that
    memory stays bounded on a large database file."""
    found: list[int] = []
    for start in range(0, max(len(data) - PREFIX + 1, 0), CHUNK):
        chunk = np.frombuffer(
            data, dtype=np.uint8, offset=start, count=min(CHUNK + PREFIX - 1, len(data) - start)
        )
        windows = len(chunk) - PREFIX + 1
        if windows <= 0:
            break
        keys = np.zeros(windows, dtype=np.uint64)
        for shift in range(PREFIX):
            keys |= chunk[shift : shift + windows].astype(np.uint64) << np.uint64(8 * shift)
        found.extend(int(start + offset) for offset in np.flatnonzero(np.isin(keys, prefixes)))
    return found
