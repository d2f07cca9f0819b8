"""Working hours for the unusual-access report: weekdays from 7:00 to 20:00 in the installation's time
zone, whatever the clocks did that week."""

from __future__ import annotations

from datetime import UTC, date, datetime

from serment.access.unusual import period_bounds, working_hours


def test_working_hours_skip_the_weekend_and_follow_the_change_to_summer_time() -> None:
    # Sunday 29 March 2026: France moves from UTC+1 to UTC+2.
    periods = working_hours(date(2026, 3, 27), date(2026, 3, 30), "Europe/Paris")
    in_utc = [(start.astimezone(UTC), end.astimezone(UTC)) for start, end in periods]
    assert in_utc == [
        (datetime(2026, 3, 27, 6, tzinfo=UTC), datetime(2026, 3, 27, 19, tzinfo=UTC)),  # Friday, UTC+1
        (datetime(2026, 3, 30, 5, tzinfo=UTC), datetime(2026, 3, 30, 18, tzinfo=UTC)),  # Monday, UTC+2
    ]


def test_a_period_runs_from_the_first_midnight_to_the_midnight_after_its_last_day() -> None:
    since, until = period_bounds(date(2026, 7, 1), date(2026, 7, 1), "Asia/Ho_Chi_Minh")
    assert since.astimezone(UTC) == datetime(2026, 6, 30, 17, tzinfo=UTC)
    assert until.astimezone(UTC) == datetime(2026, 7, 1, 17, tzinfo=UTC)
