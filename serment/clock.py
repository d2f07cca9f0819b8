"""The clock: every notion of "now" comes from here, so tests and purges can travel in time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    """Something that tells the current time, always timezone-aware and in UTC."""

    def now(self) -> datetime: ...


class SystemClock:
    """The real clock of the machine, in UTC."""

    def now(self) -> datetime:
        return datetime.now(UTC)


class FixedClock:
    """A clock that stands still until a test moves it."""

    def __init__(self, at: datetime) -> None:
        self._at = _require_utc(at)

    def now(self) -> datetime:
        return self._at

    def set(self, at: datetime) -> None:
        """Jump to `at`, forwards or backwards."""
        self._at = _require_utc(at)

    def advance(self, by: timedelta) -> None:
        """Move forwards (or backwards, with a negative delta) by `by`."""
        self._at = self._at + by


def _require_utc(at: datetime) -> datetime:
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError(f"the clock needs a timezone-aware datetime, got naive {at.isoformat()}")
    return at.astimezone(UTC)
