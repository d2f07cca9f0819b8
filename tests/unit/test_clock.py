from datetime import UTC, datetime, timedelta, timezone

import pytest

from serment.clock import FixedClock, SystemClock


def test_the_system_clock_tells_aware_utc_time() -> None:
    before = datetime.now(UTC)
    now = SystemClock().now()
    assert now.tzinfo is UTC
    assert before <= now <= datetime.now(UTC)


def test_a_fixed_clock_stands_still_until_moved() -> None:
    clock = FixedClock(datetime(2026, 1, 1, tzinfo=UTC))
    assert clock.now() == clock.now() == datetime(2026, 1, 1, tzinfo=UTC)
    clock.advance(timedelta(days=90))
    assert clock.now() == datetime(2026, 4, 1, tzinfo=UTC)
    clock.set(datetime(2025, 6, 1, tzinfo=UTC))
    assert clock.now() == datetime(2025, 6, 1, tzinfo=UTC)


def test_a_fixed_clock_converts_other_zones_to_utc() -> None:
    paris_summer = timezone(timedelta(hours=2))
    clock = FixedClock(datetime(2026, 7, 14, 10, 0, tzinfo=paris_summer))
    assert clock.now() == datetime(2026, 7, 14, 8, 0, tzinfo=UTC)
    assert clock.now().utcoffset() == timedelta(0)


def test_a_fixed_clock_refuses_naive_time() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        FixedClock(datetime(2026, 1, 1))  # noqa: DTZ001 (the naive datetime is the point)
