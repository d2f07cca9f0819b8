"""Structured logs: one JSON object a line on standard error, carrying the request id when there is one.

Logs never hold request bodies or query strings; they name people by pseudonymous refs only.
"""

from __future__ import annotations

import logging
import sys
import traceback
from collections.abc import MutableMapping
from types import TracebackType
from typing import Any, TextIO

import structlog

# Third-party loggers whose records pass through the same JSON formatter.
_FOREIGN_LOGGERS = ("uvicorn", "uvicorn.error", "uvicorn.access", "alembic")
# Alembic says "Context impl SQLiteImpl." at INFO each time it looks at a database (every health
# check); Serment logs the migrations it applies itself.
_QUIETER = {"alembic": logging.WARNING}


def configure_logging(level: str, stream: TextIO | None = None) -> None:
    """Send every log record, Serment's and its libraries', to `stream` as JSON lines."""
    shared: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True, key="time"),
    ]
    structlog.configure(
        processors=[*shared, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=False,
    )
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=shared,
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            _traceback_without_messages,
            structlog.processors.JSONRenderer(sort_keys=False),
        ],
    )
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(formatter)
    root = logging.getLogger()
    root.handlers = [handler]
    root.setLevel(level.upper())
    for name in _FOREIGN_LOGGERS:
        foreign = logging.getLogger(name)
        foreign.handlers = []
        foreign.propagate = True
    for name, least in _QUIETER.items():
        logging.getLogger(name).setLevel(max(least, root.level))


def _traceback_without_messages(
    _logger: Any, _name: str, event: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    """Render an exception as frames and types only: its message may quote personal data."""
    exc_info = event.pop("exc_info", None)
    if exc_info is True:
        exc_info = sys.exc_info()
    elif isinstance(exc_info, BaseException):
        exc_info = (type(exc_info), exc_info, exc_info.__traceback__)
    if isinstance(exc_info, tuple) and exc_info[1] is not None:
        event["exception"] = _describe(exc_info[1])
    return event


def _describe(error: BaseException) -> str:
    chain: list[BaseException] = []
    current: BaseException | None = error
    while current is not None and current not in chain:
        chain.append(current)
        current = current.__cause__ or current.__context__
    return "\nwhich led to\n".join(_frames(link.__traceback__, type(link)) for link in reversed(chain))


def _frames(tb: TracebackType | None, kind: type[BaseException]) -> str:
    frames = "".join(traceback.format_list(traceback.extract_tb(tb)))
    name = kind.__qualname__ if kind.__module__ == "builtins" else f"{kind.__module__}.{kind.__qualname__}"
    return f"Traceback (most recent call last):\n{frames}{name} (message withheld from the log)"


def _safe_default() -> None:
    # Unconfigured, structlog prints rich tracebacks with every local variable, which may hold
    # personal data; Serment's logs carry a plain traceback only, configured or not.
    if not structlog.is_configured():
        configure_logging("warning")


def get_logger(name: str) -> structlog.stdlib.BoundLogger:
    """A structured logger named after its module."""
    logger: structlog.stdlib.BoundLogger = structlog.stdlib.get_logger(name)
    return logger


_safe_default()
