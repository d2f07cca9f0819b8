"""What the administrator does with accounts and API tokens beyond creating them (`accounts`):
list them, disable and enable an account, lift a lockout, revoke a token; and the platform's own
operations (key rotations, purges, backups) as the audit log recorded them.

Nothing here reads a person: a patient account shows only that it is linked to someone, never who.
Each change is audited like `add_user`, under the purpose administration.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from serment.access.actors import Request
from serment.access.guard import guard
from serment.access.platform import Platform
from serment.audit import append
from serment.store.tables import ApiTokenRow, AuditEventRow, UserRow, WebSessionRow

PURPOSE = "administration"
# The platform's operations the administrator's pages show, by the action each needs.
KEY_OPERATIONS = ("key_rotation", "purge")
BACKUP_OPERATIONS = ("backup", "restore")
# A change to one account, made in the transaction that audits it.
_Apply = Callable[[UserRow, datetime], None]


class AdministrationError(Exception):
    """An administrative change that cannot be made; the message says why."""


@dataclass(frozen=True)
class AccountView:
    """An account as its administrator sees it. `locked_until` only while the lockout lasts;
    `last_sign_in` the last time it opened a session in a browser; `linked` whether it is a
    patient's (never whose)."""

    name: str
    role: str
    organisation: str | None
    created_at: datetime
    locked_until: datetime | None
    disabled_at: datetime | None
    last_sign_in: datetime | None
    linked: bool


@dataclass(frozen=True)
class TokenView:
    """An API token as its administrator sees it: never its secret, which is not kept."""

    id: str
    account: str
    created_at: datetime
    expires_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


@dataclass(frozen=True)
class Operation:
    """One of the platform's own operations, as the audit log recorded it."""

    at: datetime
    actor: str
    action: str
    outcome: str
    detail: Mapping[str, object]


def list_accounts(
    platform: Platform, request: Request, *, limit: int = 50, offset: int = 0
) -> tuple[int, list[AccountView]]:
    """The number of accounts and one page of them, by name."""

    def read(session: Session) -> tuple[int, list[AccountView]]:
        guard(platform, session, request, "manage_users", None)
        total = session.scalar(select(func.count()).select_from(UserRow)) or 0
        users = session.scalars(select(UserRow).order_by(UserRow.name).limit(limit).offset(offset)).all()
        last_sessions = session.execute(
            select(WebSessionRow.user_id, func.max(WebSessionRow.created_at))
            .where(WebSessionRow.user_id.in_([user.id for user in users]))
            .group_by(WebSessionRow.user_id)
        )
        signed_in = {user_id: at for user_id, at in last_sessions}  # noqa: C416
        now = platform.clock.now()
        return total, [
            AccountView(
                name=user.name, role=user.role, organisation=user.organisation, created_at=user.created_at,
                locked_until=user.locked_until if user.locked_until and user.locked_until > now else None,
                disabled_at=user.disabled_at, last_sign_in=signed_in.get(user.id),
                linked=user.person_ref is not None,
            )
            for user in users
        ]  # fmt: skip

    return platform.run(read)


def disable_account(platform: Platform, request: Request, *, name: str) -> None:
    """Disable the account `name`: its sessions and tokens stop working at once. An administrator
    cannot disable their own account (nobody might be left to enable it)."""
    if name == request.actor.name:
        raise AdministrationError("you cannot disable your own account; ask another administrator")
    _change(platform, request, name, "user_disabled", _disable)


def enable_account(platform: Platform, request: Request, *, name: str) -> None:
    """Enable the disabled account `name` again."""
    _change(platform, request, name, "user_enabled", _enable)


def unlock_account(platform: Platform, request: Request, *, name: str) -> None:
    """Lift the lockout that failed sign-ins put on the account `name`."""
    _change(platform, request, name, "user_unlocked", _unlock)


def list_tokens(
    platform: Platform, request: Request, *, limit: int = 50, offset: int = 0
) -> tuple[int, list[TokenView]]:
    """The number of API tokens and one page of them, the newest first."""

    def read(session: Session) -> tuple[int, list[TokenView]]:
        guard(platform, session, request, "manage_users", None)
        total = session.scalar(select(func.count()).select_from(ApiTokenRow)) or 0
        rows = session.execute(
            select(ApiTokenRow, UserRow.name)
            .join(UserRow, UserRow.id == ApiTokenRow.user_id)
            .order_by(ApiTokenRow.created_at.desc(), ApiTokenRow.id)
            .limit(limit)
            .offset(offset)
        ).all()
        return total, [
            TokenView(
                token.id, name, token.created_at, token.expires_at, token.last_used_at, token.revoked_at
            )
            for token, name in rows
        ]

    return platform.run(read)


def revoke_token(platform: Platform, request: Request, *, token_id: str) -> None:
    """Revoke the API token `token_id`: it opens nothing from now on."""

    def revoke(session: Session) -> None:
        guard(platform, session, request, "manage_users", None)
        token = session.get(ApiTokenRow, token_id)
        if token is None:
            raise AdministrationError(f"no API token has the id {token_id}")
        if token.revoked_at is not None:
            raise AdministrationError(f"the API token {token_id} is revoked already")
        now = platform.clock.now()
        token.revoked_at = now
        owner = session.get_one(UserRow, token.user_id)
        entry = request.actor.entry(
            "token_revoked", "ok", purpose=PURPOSE, request_id=request.request_id,
            detail={"account": owner.name, "token": token_id},
        )  # fmt: skip
        append(session, entry, now)

    platform.run(revoke)


def recent_operations(
    platform: Platform, request: Request, actions: Collection[str], *, needs: str, limit: int = 10
) -> list[Operation]:
    """The last `limit` operations among `actions` (key rotations, purges, backups), newest first,
    for a role allowed `needs` (manage_keys, backup)."""

    def read(session: Session) -> list[Operation]:
        guard(platform, session, request, needs, None)
        query = (
            select(AuditEventRow)
            .where(
                AuditEventRow.purpose == PURPOSE,
                AuditEventRow.action.in_(sorted(actions)),
                # The operation itself, not the guard's events of the accesses named like it.
                AuditEventRow.outcome == "ok",
            )
            .order_by(AuditEventRow.seq.desc())
            .limit(limit)
        )
        return [
            Operation(
                row.at, row.actor, row.action, row.outcome, json.loads(row.detail) if row.detail else {}
            )
            for row in session.scalars(query)
        ]

    return platform.run(read)


def _change(platform: Platform, request: Request, name: str, action: str, apply: _Apply) -> None:
    def change(session: Session) -> None:
        guard(platform, session, request, "manage_users", None)
        user = session.scalars(select(UserRow).where(UserRow.name == name)).first()
        if user is None:
            raise AdministrationError(f"no account is named {name}")
        now = platform.clock.now()
        apply(user, now)
        entry = request.actor.entry(
            action, "ok", purpose=PURPOSE, request_id=request.request_id, detail={"account": name}
        )
        append(session, entry, now)

    platform.run(change)


def _disable(user: UserRow, now: datetime) -> None:
    if user.disabled_at is not None:
        raise AdministrationError(f"the account {user.name} is disabled already")
    user.disabled_at = now


def _enable(user: UserRow, now: datetime) -> None:
    if user.disabled_at is None:
        raise AdministrationError(f"the account {user.name} is not disabled")
    user.disabled_at = None


def _unlock(user: UserRow, now: datetime) -> None:
    if user.locked_until is None or user.locked_until <= now:
        raise AdministrationError(f"the account {user.name} is not locked")
    user.locked_until = None
    user.failed_logins = 0
