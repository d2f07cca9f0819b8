"""Idempotent submissions: a request retried with the same Idempotency-Key gets the first answer,
and what it carried is stored once. The key is kept hashed; the answer holds refs only."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from serment.store.tables import IdempotencyRow

MAX_KEY_LENGTH = 255


class IdempotencyConflict(Exception):
    """The key was used before for a different request."""

    def __init__(self) -> None:
        super().__init__(
            "this Idempotency-Key was already used for a different request; use a new key for a new report"
        )


def fingerprint(payload: Any) -> str:
    """A stable hash of a request's content, to tell a retry from a different request."""
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()


def replay(session: Session, actor: str, key: str, request_hash: str) -> dict[str, Any] | None:
    """The first answer to this key from this actor, if any; IdempotencyConflict if the key was
    used for another request."""
    row = session.get(IdempotencyRow, (actor, _hash(key)))
    if row is None:
        return None
    if row.request_hash != request_hash:
        raise IdempotencyConflict
    answer: dict[str, Any] = json.loads(row.response)
    return answer


def remember(
    session: Session, actor: str, key: str, request_hash: str, *, answer: dict[str, Any], at: datetime
) -> None:
    """Keep the answer to this key, in the same transaction as what it reports."""
    session.add(
        IdempotencyRow(
            actor=actor,
            key_hash=_hash(key),
            request_hash=request_hash,
            response=json.dumps(answer),
            created_at=at,
        )
    )


def _hash(key: str) -> str:
    if not key or len(key) > MAX_KEY_LENGTH:
        raise ValueError(f"an Idempotency-Key has 1 to {MAX_KEY_LENGTH} characters")
    return hashlib.sha256(key.encode()).hexdigest()
