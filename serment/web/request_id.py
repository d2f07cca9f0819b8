"""The id of each HTTP request: taken from a well-formed X-Request-ID header, else a new one."""

from __future__ import annotations

import re
import uuid
from contextvars import ContextVar, Token

from starlette.types import Scope

REQUEST_ID_HEADER = "X-Request-ID"
_ACCEPTABLE = re.compile(r"[A-Za-z0-9._-]{8,64}")
_CURRENT: ContextVar[str | None] = ContextVar("request_id", default=None)


def current_request_id() -> str | None:
    """The id of the request being served, if any."""
    return _CURRENT.get()


def begin_request(scope: Scope) -> tuple[str, Token[str | None]]:
    """Give the request in `scope` its id and make it current; returns the id and a reset token."""
    request_id = uuid.uuid4().hex
    for name, value in scope["headers"]:
        if name == b"x-request-id" and _ACCEPTABLE.fullmatch(value.decode("latin-1")):
            request_id = value.decode("latin-1")
            break
    return request_id, _CURRENT.set(request_id)


def end_request(token: Token[str | None]) -> None:
    """Forget the current request id."""
    _CURRENT.reset(token)
