"""The epidemic curve drawn on the server: cases by onset date as bars, one a day, and cases by report
date as a line over them, with axes labelled in the reader's locale. Only geometry here; the template
`epi/curve.html` writes the SVG, its title, description and legend."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from babel.dates import format_skeleton
from babel.numbers import format_decimal

from serment.tracing.dashboard import CurveDay

WIDTH, HEIGHT = 760, 300
# Room around the plot: the y labels on the left, the legend above, the x labels below.
LEFT, RIGHT, TOP, BOTTOM = 48, 16, 40, 40
# The share of a day's width a bar fills.
BAR_SHARE = 0.8
# The most labels the x axis shows; the days between them are still drawn.
MOST_X_LABELS = 10
X_STEPS = (1, 2, 7, 14, 28, 56, 91, 182, 366)
MOST_Y_TICKS = 5


@dataclass(frozen=True)
class Bar:
    """A day's bar: cases by onset that day."""

    day: date
    count: int
    x: float
    y: float
    width: float
    height: float


@dataclass(frozen=True)
class Point:
    """A day's point on the line: cases reported that day."""

    day: date
    count: int
    x: float
    y: float


@dataclass(frozen=True)
class Tick:
    """A labelled mark on an axis, at `at` along it."""

    at: float
    label: str


@dataclass(frozen=True)
class CurveChart:
    """The curve's drawing: the plot area (`left`..`right`, `top`..`bottom`), bars, the line's points,
    the ticks of both axes, and the line as SVG `points`."""

    width: int
    height: int
    left: float
    right: float
    top: float
    bottom: float
    bars: tuple[Bar, ...]
    points: tuple[Point, ...]
    x_ticks: tuple[Tick, ...]
    y_ticks: tuple[Tick, ...]

    @property
    def line(self) -> str:
        """The points of the report-date line, as an SVG `points` attribute."""
        return " ".join(f"{point.x:.1f},{point.y:.1f}" for point in self.points)


def nice_top(largest: int) -> tuple[int, int]:
    """The top of the y axis and the step between its ticks: a step of 1, 2 or 5 times a power of ten
    giving at most MOST_Y_TICKS ticks above zero, and the first multiple of it at or above `largest`."""
    if largest <= 0:
        return 1, 1
    magnitude = 10 ** max(0, math.floor(math.log10(largest / MOST_Y_TICKS)))
    for multiple in (1, 2, 5, 10):
        step = multiple * magnitude
        if math.ceil(largest / step) <= MOST_Y_TICKS:
            return step * math.ceil(largest / step), step
    raise AssertionError("a step of ten times the magnitude always fits")  # pragma: no cover


def x_step(days: int) -> int:
    """Days between two labels of the x axis: the first of X_STEPS giving at most MOST_X_LABELS."""
    return next((step for step in X_STEPS if math.ceil(days / step) <= MOST_X_LABELS), X_STEPS[-1])


def epidemic_curve(days: Sequence[CurveDay], locale: str) -> CurveChart:
    """The drawing of `days` (consecutive, at least one) with labels in `locale`."""
    if not days:
        raise ValueError("the curve needs at least one day")
    right, bottom = WIDTH - RIGHT, HEIGHT - BOTTOM
    slot = (right - LEFT) / len(days)
    top_value, step = nice_top(max(max(day.by_onset, day.by_report) for day in days))
    scale = (bottom - TOP) / top_value

    def y(count: int) -> float:
        return bottom - count * scale

    bars = tuple(
        Bar(day.day, day.by_onset, LEFT + index * slot + slot * (1 - BAR_SHARE) / 2, y(day.by_onset),
            slot * BAR_SHARE, day.by_onset * scale)
        for index, day in enumerate(days)
    )  # fmt: skip
    points = tuple(
        Point(day.day, day.by_report, LEFT + (index + 0.5) * slot, y(day.by_report))
        for index, day in enumerate(days)
    )
    every = x_step(len(days))
    x_ticks = tuple(
        Tick(LEFT + (index + 0.5) * slot, format_skeleton("MMMd", day.day, locale=locale))
        for index, day in enumerate(days)
        if index % every == 0
    )
    y_ticks = tuple(
        Tick(y(value), format_decimal(value, locale=locale)) for value in range(0, top_value + 1, step)
    )
    return CurveChart(WIDTH, HEIGHT, LEFT, right, TOP, bottom, bars, points, x_ticks, y_ticks)
