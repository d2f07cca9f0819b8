"""The cluster rule as a table: the days a place's cases started (day numbers in March 2026), the
place's open or closed alert, and the alert expected (first day, last day, cases), or none."""

from __future__ import annotations

from datetime import date

import pytest

from serment.tracing.clusters import Cluster, cluster_of, setting_of, window_start


def march(day: int) -> date:
    """A day of March 2026."""
    return date(2026, 3, day)


def days(text: str) -> list[date]:
    """ "1 4 7": the 1st, 4th and 7th of March."""
    return [march(int(word)) for word in text.split()]


@pytest.mark.parametrize(
    ("starts", "cases", "window", "expected"),
    [
        pytest.param("", 3, 7, None, id="no-case"),
        pytest.param("3 3", 3, 7, None, id="two-cases-no-alert"),
        pytest.param("1 4 9", 3, 7, None, id="three-cases-8-days-apart-no-alert"),
        pytest.param("1 4 8", 3, 7, None, id="three-cases-over-8-days-no-alert"),
        pytest.param("1 4 7", 3, 7, (1, 7, 3), id="three-cases-within-7-days-alert"),
        pytest.param("5 5 5", 3, 7, (5, 5, 3), id="three-cases-one-day"),
        pytest.param("8 2 5", 3, 7, (2, 8, 3), id="in-any-order"),
        pytest.param("1 10 11 12", 3, 7, (10, 12, 3), id="an-earlier-lone-case-is-not-counted"),
        pytest.param("1 3 10 11 12 30", 3, 7, (10, 30, 4), id="later-cases-are-counted"),
        pytest.param("1 4 8 9", 3, 7, (4, 9, 3), id="the-earliest-window-that-holds"),
        pytest.param("1 2 3 4", 4, 3, None, id="four-cases-needed"),
        pytest.param("1 2 3 3", 4, 3, (1, 3, 4), id="four-cases-within-3-days"),
        pytest.param("6", 1, 1, (6, 6, 1), id="one-case-rule"),
        pytest.param("6 6 7", 3, 1, None, id="one-day-rule-two-days"),
    ],
)
def test_an_alert_is_raised_when_enough_cases_start_within_the_window(
    starts: str, cases: int, window: int, expected: tuple[int, int, int] | None
) -> None:
    want = None if expected is None else Cluster(march(expected[0]), march(expected[1]), expected[2])
    assert cluster_of(days(starts), cases, window) == want


@pytest.mark.parametrize(
    ("starts", "closed_until", "expected"),
    [
        pytest.param("10 11 12", 12, None, id="the-closed-cases-raise-nothing-again"),
        pytest.param("10 11 12 14 15", 12, None, id="two-new-cases-after-closing-no-alert"),
        pytest.param("10 11 12 14 15 16", 12, (14, 16, 3), id="closed-then-new-cases-new-alert"),
        pytest.param("10 11 12 13", 12, None, id="a-case-after-closing-joins-no-closed-cases"),
        pytest.param("10 11 12 9 8", 12, None, id="late-reports-of-the-closed-period-raise-nothing"),
    ],
)
def test_once_closed_only_cases_after_its_last_day_raise_a_new_alert(
    starts: str, closed_until: int, expected: tuple[int, int, int] | None
) -> None:
    want = None if expected is None else Cluster(march(expected[0]), march(expected[1]), expected[2])
    assert cluster_of(days(starts), 3, 7, closed_until=march(closed_until)) == want


@pytest.mark.parametrize(
    ("starts", "open_since", "expected"),
    [
        pytest.param("10 11 12", 10, (10, 12, 3), id="unchanged"),
        pytest.param("10 11 12 20 31", 10, (10, 31, 5), id="grows-with-later-cases"),
        pytest.param("2 10 11 12", 10, (10, 12, 3), id="an-earlier-lone-case-stays-out"),
        pytest.param("5 9 10 11 12", 10, (5, 12, 5), id="a-late-report-making-an-earlier-window-moves-it"),
        pytest.param("10 11", 10, (10, 11, 2), id="a-case-withdrawn-lowers-the-count"),
        pytest.param("11 20 21 22", 10, (11, 22, 4), id="cases-withdrawn-keep-the-alert-where-it-began"),
        pytest.param("3", 10, None, id="nothing-counted-any-more"),
    ],
)
def test_an_open_alert_follows_its_place(
    starts: str, open_since: int, expected: tuple[int, int, int] | None
) -> None:
    want = None if expected is None else Cluster(march(expected[0]), march(expected[1]), expected[2])
    assert cluster_of(days(starts), 3, 7, open_since=march(open_since)) == want


def test_the_window_starts_at_the_first_case_of_the_earliest_window() -> None:
    assert window_start(days("1 4 8 9 10"), 3, 7) == march(4)
    assert window_start(days("1 4"), 3, 7) is None


@pytest.mark.parametrize(
    ("settings", "expected"),
    [
        pytest.param(["work", "venue", "work"], "work", id="most-named"),
        pytest.param(["work", "venue"], "venue", id="ties-alphabetically"),
        pytest.param([], None, id="none"),
    ],
)
def test_a_place_has_the_setting_its_exposures_name_most(settings: list[str], expected: str | None) -> None:
    assert setting_of(settings) == expected
