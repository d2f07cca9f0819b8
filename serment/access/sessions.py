"""Web sessions: a browser signs in with a password and holds a cookie naming a session on the server.

The cookie is `<id>_<secret>`; the store keeps the SHA-256 of the secret, never the secret. A session
ends when its user signs out, after SESSION_IDLE without a request, or SESSION_LIFE after sign-in,
whichever comes first. Each session carries the CSRF token its forms must send back.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import delete, or_, update

from serment.access.accounts import authenticate_password, user_actor
from serment.access.actors import Actor
from serment.access.platform import Platform
from serment.audit import append
from serment.store.tables import UserRow, WebSessionRow

SESSION_IDLE = timedelta(minutes=30)
SESSION_LIFE = timedelta(hours=12)
# Writing last_seen_at on every page would turn each read into a write.
_SEEN_PRECISION = timedelta(minutes=1)
_COOKIE = re.compile(r"([0-9a-f]{24})_([A-Za-z0-9_-]{43})")


@dataclass(frozen=True)
class WebSession:
    """A live session: who it is, the CSRF token of its forms, and the cookie that names it."""

    actor: Actor
    csrf: str
    cookie: str


def sign_in(platform: Platform, name: str, password: str, request_id: str | None = None) -> WebSession:
    """A new session for `name` if `password` is right; AuthenticationFailed otherwise.

    The login, or the failed login and the lockout it may cause, is audited by the password check.
    """
    actor = authenticate_password(platform, name, password, request_id)
    session_id, secret = secrets.token_hex(12), secrets.token_urlsafe(32)
    csrf = secrets.token_urlsafe(32)
    now = platform.clock.now()
    with platform.database.write() as session:
        # The account's ended and expired sessions go: the table holds live sessions, and the last ones.
        session.execute(
            delete(WebSessionRow).where(
                WebSessionRow.user_id == actor.user_id,
                or_(WebSessionRow.ended_at.is_not(None), WebSessionRow.expires_at <= now),
            )
        )
        session.add(
            WebSessionRow(
                id=session_id, user_id=actor.user_id, secret_hash=_digest(secret), csrf=csrf,
                created_at=now, last_seen_at=now, expires_at=now + SESSION_LIFE,
            )
        )  # fmt: skip
    return WebSession(actor=actor, csrf=csrf, cookie=f"{session_id}_{secret}")


def session_of(platform: Platform, cookie: str | None) -> WebSession | None:
    """The live session `cookie` names, or None (unknown, ended, idle, expired, or a disabled account)."""
    match = _COOKIE.fullmatch(cookie or "")
    if match is None:
        return None
    session_id, secret = match.group(1), match.group(2)
    now = platform.clock.now()
    with platform.database.read() as session:
        row = session.get(WebSessionRow, session_id)
        if row is None or not hmac.compare_digest(row.secret_hash, _digest(secret)):
            return None
        user = session.get(UserRow, row.user_id)
        live = (
            row.ended_at is None
            and row.expires_at > now
            and now - row.last_seen_at < SESSION_IDLE
            and user is not None
            and user.disabled_at is None
        )
        if not live or user is None:
            return None
        found = WebSession(actor=user_actor(user), csrf=row.csrf, cookie=cookie or "")
        stale = now - row.last_seen_at > _SEEN_PRECISION
    if stale:
        with platform.database.write() as session:
            session.execute(
                update(WebSessionRow).where(WebSessionRow.id == session_id).values(last_seen_at=now)
            )
    return found


def sign_out(platform: Platform, web_session: WebSession, request_id: str | None = None) -> None:
    """End `web_session` on the server (its cookie names nothing any more), audited as a logout."""
    session_id = web_session.cookie.split("_", 1)[0]
    now = platform.clock.now()
    with platform.database.write() as session:
        session.execute(
            update(WebSessionRow)
            .where(WebSessionRow.id == session_id, WebSessionRow.ended_at.is_(None))
            .values(ended_at=now)
        )
        append(session, web_session.actor.entry("logout", "ok", request_id=request_id), now)


def _digest(secret: str) -> str:
    # 256 random bits: a plain SHA-256 cannot be brute-forced, unlike a password.
    return hashlib.sha256(secret.encode()).hexdigest()
