"""Audit events: what a caller records (`AuditEntry`), what the log holds (`AuditEvent`) and the hash
that binds each stored event to its place in the chain (`event_hash`).

An event never names a person in clear: `subject` is a person ref, `detail` carries small
non-identifying facts only.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal, get_args

from sqlalchemy import String

from serment.store.tables import AuditEventRow

Outcome = Literal["allowed", "refused", "ok", "failed"]
OUTCOMES: frozenset[str] = frozenset(get_args(Outcome))

# Every stored column, in table order; the hash covers all of them but `hash` itself.
STORED_FIELDS: tuple[str, ...] = tuple(column.name for column in AuditEventRow.__table__.columns)
HASHED_FIELDS: tuple[str, ...] = tuple(name for name in STORED_FIELDS if name != "hash")

# Checked here rather than left to the database, so that SQLite refuses what PostgreSQL would.
_MAX_LENGTHS: dict[str, int] = {
    column.name: column.type.length
    for column in AuditEventRow.__table__.columns
    if isinstance(column.type, String) and column.type.length is not None
}

DetailValue = str | int | bool | None


@dataclass(frozen=True)
class AuditEntry:
    """What a caller (the guard, a service, the CLI) records: who did what, to whom, why, and how it
    ended. `subject` is a person ref, never an identifier; `detail` holds small non-identifying facts
    such as ``{"kek_version": 3}``.

    Raises ValueError when a field is empty where required, too long for the log, or of the wrong
    kind; the message names the field but never quotes its value.
    """

    actor: str
    action: str
    outcome: Outcome
    role: str | None = None
    organisation: str | None = None
    purpose: str | None = None
    subject: str | None = None
    reason: str | None = None
    request_id: str | None = None
    detail: Mapping[str, DetailValue] | None = None

    def __post_init__(self) -> None:
        for name in ("actor", "action"):
            if not getattr(self, name):
                raise ValueError(f"an audit entry needs a non-empty {name}")
        if self.outcome not in OUTCOMES:
            raise ValueError(f"an audit outcome is one of {', '.join(sorted(OUTCOMES))}")
        for field in dataclasses.fields(self):
            limit = _MAX_LENGTHS.get(field.name)
            value = getattr(self, field.name)
            if limit is None or value is None:
                continue
            if not isinstance(value, str):
                raise ValueError(f"the audit field {field.name} must be text, not {type(value).__name__}")
            if len(value) > limit:
                raise ValueError(
                    f"the audit field {field.name} holds {len(value)} characters; at most {limit}"
                )
        if self.detail is not None:
            _check_detail(self.detail)

    def stored_detail(self) -> str | None:
        """The detail as the log stores it (canonical JSON text), or None."""
        return None if self.detail is None else _canonical_json(dict(self.detail))


@dataclass(frozen=True)
class AuditEvent:
    """One event as the log holds it: the entry, its place in the chain (`seq`, `prev_hash`), its time
    and its own `hash`. Returned by `append`, for callers that report or test what was recorded."""

    seq: int
    at: datetime
    hash: str
    prev_hash: str
    actor: str
    action: str
    outcome: Outcome
    role: str | None = None
    organisation: str | None = None
    purpose: str | None = None
    subject: str | None = None
    reason: str | None = None
    request_id: str | None = None
    detail: Mapping[str, DetailValue] | None = None

    @property
    def entry(self) -> AuditEntry:
        """The entry this event records, without its place in the chain."""
        return AuditEntry(
            actor=self.actor,
            action=self.action,
            outcome=self.outcome,
            role=self.role,
            organisation=self.organisation,
            purpose=self.purpose,
            subject=self.subject,
            reason=self.reason,
            request_id=self.request_id,
            detail=self.detail,
        )


def event_hash(fields: Mapping[str, object]) -> str:
    """The SHA-256 (hex) of an event's stored fields, for `append`, `verify` and anyone checking an
    export elsewhere.

    The input is the stored form: `detail` is the stored JSON text, `at` a timezone-aware datetime or
    its canonical string. A `hash` key, if present, is left out; every other key counts, including
    `seq` and `prev_hash`, so an event cannot be moved or relinked without changing its hash.
    """
    return hashlib.sha256(canonical_form(fields)).hexdigest()


def canonical_form(fields: Mapping[str, object]) -> bytes:
    """The UTF-8 bytes `event_hash` digests: JSON with sorted keys, no spaces, unicode kept, and
    datetimes as ISO 8601 UTC with microseconds and "Z"."""
    hashed = {key: value for key, value in fields.items() if key != "hash"}
    return _canonical_json(hashed).encode("utf-8")


def iso_utc(at: datetime) -> str:
    """`at` as the log writes times: ISO 8601 in UTC, always with microseconds, ending in "Z"."""
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError("the audit log keeps timezone-aware times only, got a naive datetime")
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _canonical_json(value: object) -> str:
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False, default=_encode
    )


def _encode(value: object) -> str:
    if isinstance(value, datetime):
        return iso_utc(value)
    raise TypeError(f"an audit field cannot hold a {type(value).__name__}")


def _check_detail(detail: Mapping[str, object]) -> None:
    for key, value in detail.items():
        if not isinstance(key, str):
            raise ValueError(f"audit detail keys are text, not {type(key).__name__}")
        # No floats: another language re-checking an export may print them, and so hash them, differently.
        if value is not None and not isinstance(value, str | int | bool):
            raise ValueError(
                f"audit detail {key!r} must be text, a whole number, a boolean or None, "
                f"not {type(value).__name__}"
            )
