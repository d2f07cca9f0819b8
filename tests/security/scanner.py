"""Looks for identifiers in clear in every byte of every file under a directory, as a thief would."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

PREFIX = 6


@dataclass(frozen=True)
class Hit:
    """An identifier found in clear: where, and in which encoding."""

    path: Path
    offset: int
    identifier: str
    encoding: str


def variants(identifier: str) -> dict[bytes, str]:
    """The byte strings an identifier may take on disk: as written, upper and lower case, casefolded,
    in UTF-8 and UTF-16 (both byte orders)."""
    found: dict[bytes, str] = {}
    for text in {identifier, identifier.upper(), identifier.lower(), identifier.casefold()}:
        for encoding in ("utf-8", "utf-16-le", "utf-16-be"):
            found[text.encode(encoding)] = encoding
    return found


def scan(root: Path, identifiers: Iterable[str]) -> list[Hit]:
    """Every place under `root` where one of `identifiers` appears in clear."""
    needles: dict[bytes, tuple[str, str]] = {}
    for identifier in identifiers:
        for needle, encoding in variants(identifier).items():
            if len(needle) < PREFIX:
                raise ValueError(f"{identifier!r} is too short to scan for without false alarms")
            needles[needle] = (identifier, encoding)
    by_prefix: dict[bytes, list[bytes]] = {}
    for needle in needles:
        by_prefix.setdefault(needle[:PREFIX], []).append(needle)
    hits: list[Hit] = []
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        data = path.read_bytes()
        for offset in range(len(data) - PREFIX + 1):
            candidates = by_prefix.get(data[offset : offset + PREFIX])
            if candidates is None:
                continue
            for needle in candidates:
                if data.startswith(needle, offset):
                    identifier, encoding = needles[needle]
                    hits.append(Hit(path, offset, identifier, encoding))
    return hits
