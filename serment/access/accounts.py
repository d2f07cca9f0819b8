"""Accounts and authentication: argon2id passwords with lockout, API tokens hashed at rest.

Every login, failed login and token creation is an audit event.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from serment.access.actors import Actor, Request
from serment.access.guard import guard
from serment.access.platform import Platform
from serment.audit import append
from serment.policy import ROLES
from serment.store.tables import ApiTokenRow, PersonRow, UserRow

MAX_FAILED_LOGINS = 5
LOCKOUT = timedelta(minutes=15)
MAX_TOKEN_DAYS = 365
TOKEN_PREFIX = "srm"  # noqa: S105 (a public prefix that marks Serment tokens, not a secret)
_NAME = re.compile(r"[a-z0-9][a-z0-9._-]{1,63}")
_TOKEN = re.compile(rf"{TOKEN_PREFIX}_([0-9a-f]{{12}})_([A-Za-z0-9_-]{{43}})")
# Writing last_used_at on every request would turn each read into a write.
_LAST_USED_PRECISION = timedelta(minutes=5)
_hasher = PasswordHasher()
# Verified against when the account does not exist, so that both failures take the same time.
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))


class AccountError(Exception):
    """A request about accounts that cannot be done; the message says why."""


class AuthenticationFailed(Exception):
    """Credentials that do not open an account. The message is the same whatever the cause."""

    def __init__(self) -> None:
        super().__init__("unknown account, wrong password or token, or account locked")


@dataclass(frozen=True)
class NewUser:
    """An account just created, with its initial password (shown once, never stored in clear)."""

    name: str
    role: str
    organisation: str | None
    password: str


@dataclass(frozen=True)
class IssuedToken:
    """An API token just created: `token` is shown once; only its hash is kept."""

    token: str
    account: str
    expires_at: datetime


MIN_PASSWORD_LENGTH = 12


def add_user(
    platform: Platform,
    request: Request,
    *,
    name: str,
    role: str,
    organisation: str | None = None,
    password: str | None = None,
) -> NewUser:
    """Create an account with the given password, or a random one."""
    problems = account_problems(name=name, role=role, password=password)
    if problems:
        raise AccountError(problems[0][1])
    password = password or secrets.token_urlsafe(15)

    def create(session: Session) -> NewUser:
        guard(platform, session, request, "manage_users", None)
        if session.scalars(select(UserRow.id).where(UserRow.name == name)).first() is not None:
            raise AccountError(f"an account named {name} already exists")
        now = platform.clock.now()
        session.add(
            UserRow(
                name=name,
                role=role,
                organisation=organisation,
                password_hash=_hasher.hash(password),
                failed_logins=0,
                created_at=now,
            )
        )
        entry = request.actor.entry(
            "user_added", "ok", purpose="administration", request_id=request.request_id,
            detail={"account": name, "role": role},
        )  # fmt: skip
        append(session, entry, now)
        return NewUser(name, role, organisation, password)

    return platform.run(create)


def account_problems(*, name: str, role: str, password: str | None) -> list[tuple[str, str]]:
    """Every reason an account cannot be created as given, by field (name, role, password), so that
    a form says them all at once; whether the name is taken is known only when creating it."""
    problems = []
    if not _NAME.fullmatch(name):
        problems.append((
            "name",
            f"the account name {name!r} must be 2-64 lower-case letters, digits, dots, hyphens or "
            "underscores, starting with a letter or digit",
        ))  # fmt: skip
    if role not in ROLES:
        problems.append(("role", f"{role} is not a role; the roles are {', '.join(ROLES)}"))
    if password is not None and len(password) < MIN_PASSWORD_LENGTH:
        problems.append(("password", f"a password has at least {MIN_PASSWORD_LENGTH} characters"))
    return problems


def link_patient(platform: Platform, request: Request, *, name: str, person_ref: str) -> None:
    """Link the patient account `name` to the person `person_ref`, so it reaches that record only."""

    def link(session: Session) -> None:
        guard(platform, session, request, "manage_users", None)
        user = _user_named(session, name)
        if user.role != "patient":
            raise AccountError(
                f"{name} has the role {user.role}; only patient accounts are linked to a person"
            )
        if session.get(PersonRow, person_ref) is None:
            raise AccountError(f"no person has the ref {person_ref}")
        user.person_ref = person_ref
        entry = request.actor.entry(
            "patient_linked", "ok", purpose="administration", subject=person_ref,
            request_id=request.request_id, detail={"account": name},
        )  # fmt: skip
        append(session, entry, platform.clock.now())

    platform.run(link)


def create_token(platform: Platform, request: Request, *, name: str, days: int = 30) -> IssuedToken:
    """Create an API token for the account `name`, valid `days` days; the token is returned once."""
    if not 1 <= days <= MAX_TOKEN_DAYS:
        raise AccountError(f"a token lives 1 to {MAX_TOKEN_DAYS} days, not {days}")
    token_id = secrets.token_hex(6)
    secret = secrets.token_urlsafe(32)

    def issue(session: Session) -> IssuedToken:
        guard(platform, session, request, "manage_users", None)
        user = _user_named(session, name)
        now = platform.clock.now()
        expires_at = now + timedelta(days=days)
        session.add(
            ApiTokenRow(
                id=token_id,
                user_id=user.id,
                secret_hash=_digest(secret),
                created_at=now,
                expires_at=expires_at,
            )
        )
        entry = request.actor.entry(
            "token_created", "ok", purpose="administration", request_id=request.request_id,
            detail={"account": name, "token": token_id, "days": days},
        )  # fmt: skip
        append(session, entry, now)
        return IssuedToken(f"{TOKEN_PREFIX}_{token_id}_{secret}", name, expires_at)

    return platform.run(issue)


def authenticate_token(platform: Platform, token: str, request_id: str | None = None) -> Actor:
    """The actor an API token stands for, or AuthenticationFailed (audited).

    Reads only, unless the token fails (the failure is audited) or its last use is to be noted.
    """
    match = _TOKEN.fullmatch(token.strip())
    token_id, secret = (match.group(1), match.group(2)) if match else ("", "")
    now = platform.clock.now()
    with platform.database.read() as session:
        row = session.get(ApiTokenRow, token_id) if match else None
        user = session.get(UserRow, row.user_id) if row is not None else None
        failure = _token_failure(row, user, secret, now)
        actor = user_actor(user) if user is not None else None
        stale = row is not None and (
            row.last_used_at is None or now - row.last_used_at > _LAST_USED_PRECISION
        )
    if failure is None and actor is not None:
        if stale:
            with platform.database.write() as session:
                session.execute(
                    update(ApiTokenRow).where(ApiTokenRow.id == token_id).values(last_used_at=now)
                )
        return actor
    someone = Actor(name=actor.name, role=actor.role) if actor is not None else Actor("unknown", "unknown")
    entry = someone.entry(
        "login_failed", "failed", reason=failure, request_id=request_id, detail={"method": "token"}
    )
    with platform.database.write() as session:
        append(session, entry, now)
    raise AuthenticationFailed


def _token_failure(row: ApiTokenRow | None, user: UserRow | None, secret: str, now: datetime) -> str | None:
    if row is None or user is None or not hmac.compare_digest(row.secret_hash, _digest(secret)):
        return "unknown token"
    if row.revoked_at is not None:
        return "revoked token"
    if row.expires_at <= now:
        return "expired token"
    if user.disabled_at is not None:
        return "disabled account"
    return None


def authenticate_password(
    platform: Platform, name: str, password: str, request_id: str | None = None
) -> Actor:
    """The actor behind `name` and `password`, or AuthenticationFailed (audited).

    After MAX_FAILED_LOGINS failures in a row the account is locked for LOCKOUT.
    """
    failure: str | None = None
    with platform.database.write() as session:
        now = platform.clock.now()
        user = session.scalars(select(UserRow).where(UserRow.name == name)).first()
        if user is None or user.password_hash is None:
            _verify(_DUMMY_HASH, password)
            failure = "unknown account"
        elif user.locked_until is not None and user.locked_until > now:
            failure = "account locked"
        elif user.disabled_at is not None:
            failure = "disabled account"
        elif not _verify(user.password_hash, password):
            user.failed_logins += 1
            failure = "wrong password"
            if user.failed_logins >= MAX_FAILED_LOGINS:
                user.locked_until = now + LOCKOUT
                user.failed_logins = 0
                failure = f"wrong password; locked for {int(LOCKOUT.total_seconds() // 60)} minutes"
        actor = user_actor(user) if user is not None else Actor(name=name[:64], role="unknown")
        if failure is not None or user is None:
            entry = actor.entry("login_failed", "failed", reason=failure, request_id=request_id)
            append(session, entry, now)
        else:
            user.failed_logins = 0
            user.locked_until = None
            if user.password_hash is not None and _hasher.check_needs_rehash(user.password_hash):
                user.password_hash = _hasher.hash(password)
            append(session, actor.entry("login", "ok", request_id=request_id), now)
            return actor
    raise AuthenticationFailed


def _verify(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def _digest(secret: str) -> str:
    # The secret is 256 random bits: a plain SHA-256 cannot be brute-forced, unlike a password.
    return hashlib.sha256(secret.encode()).hexdigest()


def actor_named(platform: Platform, name: str) -> Actor:
    """The actor of the enabled account `name`, for acts typed at the server's terminal on its behalf
    (a lab file imported with `serment report import --as`)."""
    with platform.database.read() as session:
        user = session.scalars(select(UserRow).where(UserRow.name == name)).first()
        if user is None or user.disabled_at is not None:
            raise AccountError(f"no enabled account is named {name}")
        return user_actor(user)


def _user_named(session: Session, name: str) -> UserRow:
    user = session.scalars(select(UserRow).where(UserRow.name == name)).first()
    if user is None:
        raise AccountError(f"no account is named {name}")
    return user


def user_actor(user: UserRow) -> Actor:
    """The actor an account stands for."""
    return Actor(
        name=user.name,
        role=user.role,
        organisation=user.organisation,
        user_id=user.id,
        person_ref=user.person_ref,
    )
