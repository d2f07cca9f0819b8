"""The opposition registry: a person's objection to a purpose, which the guard honours.

Only the purposes the policy marks as opposable can be opposed (research and surveillance in the
presets; care and tracing are legal duties during an epidemic).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal, get_args

from sqlalchemy import select
from sqlalchemy.orm import Session

from serment.access import Platform, Request, guard
from serment.audit import append
from serment.store.tables import OppositionRow

Channel = Literal["web", "api", "mail", "phone", "in_person"]
CHANNELS: tuple[str, ...] = get_args(Channel)


class OppositionError(Exception):
    """An opposition that cannot be registered or withdrawn; the message says why."""


@dataclass(frozen=True)
class Opposition:
    """One opposition of a person to a purpose."""

    purpose: str
    channel: str
    registered_at: datetime
    registered_by: str
    withdrawn_at: datetime | None


def register_opposition(
    platform: Platform, request: Request, ref: str, purpose: str, channel: str = "api"
) -> tuple[Opposition, bool]:
    """Record that the person opposes `purpose`; returns it and whether it is new."""
    if channel not in CHANNELS:
        raise OppositionError(f"{channel} is not a channel; the channels are {', '.join(CHANNELS)}")

    def oppose(session: Session) -> tuple[Opposition, bool]:
        guard(platform, session, request, "oppose", ref)
        _check_opposable(platform, purpose)
        active = _active(session, ref, purpose)
        if active is not None:
            return _opposition(active), False
        row = OppositionRow(
            person_ref=ref,
            purpose=purpose,
            channel=channel,
            registered_at=platform.clock.now(),
            registered_by=request.actor.name,
        )
        session.add(row)
        entry = request.actor.entry(
            "opposition_registered", "ok", purpose=purpose, subject=ref, request_id=request.request_id,
            detail={"channel": channel},
        )  # fmt: skip
        append(session, entry, platform.clock.now())
        return _opposition(row), True

    return platform.run(oppose)


def withdraw_opposition(platform: Platform, request: Request, ref: str, purpose: str) -> Opposition:
    """Withdraw the person's active opposition to `purpose`."""

    def withdraw(session: Session) -> Opposition:
        guard(platform, session, request, "oppose", ref)
        active = _active(session, ref, purpose)
        if active is None:
            raise OppositionError(f"the person has no active opposition to {purpose}")
        active.withdrawn_at = platform.clock.now()
        active.withdrawn_by = request.actor.name
        entry = request.actor.entry(
            "opposition_withdrawn", "ok", purpose=purpose, subject=ref, request_id=request.request_id
        )
        append(session, entry, platform.clock.now())
        return _opposition(active)

    return platform.run(withdraw)


def list_oppositions(platform: Platform, request: Request, ref: str) -> list[Opposition]:
    """Every opposition of the person, active and withdrawn, oldest first."""

    def read(session: Session) -> list[Opposition]:
        guard(platform, session, request, "oppose", ref)
        rows = session.scalars(
            select(OppositionRow).where(OppositionRow.person_ref == ref).order_by(OppositionRow.id)
        ).all()
        return [_opposition(row) for row in rows]

    return platform.run(read)


def _check_opposable(platform: Platform, purpose: str) -> None:
    opposable = platform.policy.opposable_purposes()
    if purpose not in opposable:
        raise OppositionError(
            f"{purpose} cannot be opposed under the policy {platform.policy.name}; "
            f"the purposes that can be are {', '.join(opposable) or 'none'}"
        )


def _active(session: Session, ref: str, purpose: str) -> OppositionRow | None:
    return session.scalars(
        select(OppositionRow).where(
            OppositionRow.person_ref == ref,
            OppositionRow.purpose == purpose,
            OppositionRow.withdrawn_at.is_(None),
        )
    ).first()


def _opposition(row: OppositionRow) -> Opposition:
    return Opposition(row.purpose, row.channel, row.registered_at, row.registered_by, row.withdrawn_at)
