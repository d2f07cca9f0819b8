"""The keys as their administrator sees them, never a key itself: which key store holds them, the
version of the key-encryption key, each live epoch key with the day the policy destroys it, and
each destroyed one (see `retention` for the destruction)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from serment.access import Platform, Request, guard
from serment.people.retention import month_end
from serment.secrecy import FileKeyStore, MemoryKeyStore, Tombstone

# The kinds of key store, by their class.
STORE_KINDS = {FileKeyStore: "file", MemoryKeyStore: "memory"}


@dataclass(frozen=True)
class EpochView:
    """A live epoch key: its data category and month, the KEK version wrapping it, when it was made,
    and when the policy's retention destroys it (None for a category the policy does not keep)."""

    category: str
    month: str
    kek_version: int
    created_at: datetime
    expires_at: datetime | None


@dataclass(frozen=True)
class KeyStatus:
    """What the key store can tell without revealing a secret."""

    store: str
    kek_version: int
    epochs: tuple[EpochView, ...]
    destroyed: tuple[Tombstone, ...]


def key_status(platform: Platform, request: Request) -> KeyStatus:
    """The status of the installation's keys, for a role allowed to manage them (audited)."""

    def read(session: Session) -> KeyStatus:
        guard(platform, session, request, "manage_keys", None)
        keys = platform.keys
        policy = platform.policy
        epochs = tuple(
            EpochView(
                epoch.category, epoch.month, epoch.kek_version, epoch.created_at,
                policy.expires_at(epoch.category, month_end(epoch.month))
                if epoch.category in policy.retention else None,
            )
            for epoch in keys.epochs()
        )  # fmt: skip
        kind = STORE_KINDS.get(type(keys), type(keys).__name__)
        return KeyStatus(kind, keys.kek_version(), epochs, keys.tombstones())

    return platform.run(read)
