"""The edge of every HTTP exchange: request id, security headers, access log, last-resort errors.

A plain ASGI middleware, outermost, so that every response (an unhandled error's included)
carries the same headers and the access log sees them all.
"""

from __future__ import annotations

import time
from http import HTTPStatus

import structlog
from starlette.datastructures import MutableHeaders
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from serment.logs import get_logger
from serment.web.problems import problem_response
from serment.web.request_id import REQUEST_ID_HEADER, begin_request, end_request

# Only the platform's own origin, for everything; nothing may frame Serment's pages.
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
        "object-src 'none'",
    ]
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=(), usb=()",
}
# Larger bodies are refused with 413 before they are read; lab file imports may send more.
MAX_BODY_BYTES = 2 * 1024 * 1024
MAX_IMPORT_BYTES = 200 * 1024 * 1024
# (method, path prefix) -> the largest body accepted; the first match wins, MAX_BODY_BYTES otherwise.
BODY_LIMITS: tuple[tuple[str, str, int], ...] = (
    ("POST", "/api/v1/imports", MAX_IMPORT_BYTES),
    ("POST", "/lab/imports", MAX_IMPORT_BYTES),
)
# Package assets may be cached; everything else may hold personal data and must not be.
CACHEABLE_PREFIX = "/static/"

log = get_logger(__name__)


class Edge:
    """Tags each request with an id, secures and logs each response, and turns crashes into 500s."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id, token = begin_request(scope)
        structlog.contextvars.bind_contextvars(request_id=request_id)
        started = time.perf_counter()
        status: int | None = None

        async def send_secured(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                _secure(scope, MutableHeaders(scope=message), request_id)
            await send(message)

        limit = body_limit(scope["method"], scope["path"])
        try:
            declared = _declared_length(scope)
            if declared is not None and declared > limit:
                raise BodyTooLarge
            await self.app(scope, _limited(receive, limit), send_secured)
        except BodyTooLarge:
            if status is not None:
                raise
            status = HTTPStatus.REQUEST_ENTITY_TOO_LARGE.value
            await _too_large(scope, receive, send_secured, limit)
        except Exception:
            log.exception("unhandled error", method=scope["method"], path=scope["path"])
            if status is not None:
                raise  # the response has begun; the server closes the connection
            status = HTTPStatus.INTERNAL_SERVER_ERROR.value
            await _internal_error(scope, receive, send_secured)
        finally:
            log.info(
                "request",
                method=scope["method"],
                path=scope["path"],  # the path only: a query string may carry personal data
                status=status,
                duration_ms=round((time.perf_counter() - started) * 1000, 2),
            )
            structlog.contextvars.unbind_contextvars("request_id")
            end_request(token)


def body_limit(method: str, path: str) -> int:
    """The largest request body accepted for `method` on `path`, in bytes."""
    for limited_method, prefix, limit in BODY_LIMITS:
        if method == limited_method and (path == prefix or path.startswith(prefix + "/")):
            return limit
    return MAX_BODY_BYTES


def _too_large_detail(limit: int) -> str:
    return f"the request body is larger than {limit // (1024 * 1024)} MiB; send fewer records per request"


class BodyTooLarge(Exception):
    """A request body whose declared length is larger than the path's limit."""


def _declared_length(scope: Scope) -> int | None:
    for name, value in scope["headers"]:
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


def _limited(receive: Receive, limit: int) -> Receive:
    read = 0

    async def counted() -> Message:
        nonlocal read
        message = await receive()
        if message["type"] == "http.request":
            read += len(message.get("body", b""))
            if read > limit:
                # FastAPI turns other errors raised while reading a body into 400; this one passes.
                raise HTTPException(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, detail=_too_large_detail(limit))
        return message

    return counted


async def _too_large(scope: Scope, receive: Receive, send: Send, limit: int) -> None:
    response = problem_response(
        HTTPStatus.REQUEST_ENTITY_TOO_LARGE,
        detail=_too_large_detail(limit),
        instance=scope["path"],
    )
    await response(scope, receive, send)


def _secure(scope: Scope, headers: MutableHeaders, request_id: str) -> None:
    for name, value in SECURITY_HEADERS.items():
        headers[name] = value
    headers[REQUEST_ID_HEADER] = request_id
    if "cache-control" not in headers:
        cacheable = scope["path"].startswith(CACHEABLE_PREFIX)
        headers["Cache-Control"] = "public, max-age=86400" if cacheable else "no-store"
    if scope.get("scheme") == "https":
        headers["Strict-Transport-Security"] = "max-age=63072000; includeSubDomains"


async def _internal_error(scope: Scope, receive: Receive, send: Send) -> None:
    response = problem_response(
        HTTPStatus.INTERNAL_SERVER_ERROR,
        detail="Serment failed while answering this request. If it happens again, give the "
        "request id to your administrator.",
        instance=scope["path"],
    )
    await response(scope, receive, send)
