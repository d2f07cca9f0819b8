"""The epidemiologist's drawings and filters as pure functions: the curve's axes and bars, the chain's
layout (the same chain is always drawn the same way, by generation, capped), and filters read as
people type them."""

from __future__ import annotations

import random
from datetime import date, timedelta

import pytest

from serment.tracing.chains import Chain, ChainGraph, Edge, Node
from serment.tracing.dashboard import CurveDay
from serment.web.pages.epi.charts import epidemic_curve, nice_top, x_step
from serment.web.pages.epi.filters import DEFAULT_DAYS, read_filters, read_range
from serment.web.pages.epi.graphs import ROWS, lay_out
from serment.web.pages.epi.wording import Reader

TODAY = date(2026, 3, 2)
ENGLISH = Reader("en")


@pytest.mark.parametrize(
    ("largest", "top", "step"),
    [(0, 1, 1), (1, 1, 1), (3, 3, 1), (5, 5, 1), (6, 6, 2), (7, 8, 2), (10, 10, 2), (11, 15, 5),
     (24, 25, 5), (26, 30, 10), (120, 150, 50), (1000, 1000, 200), (1234, 1500, 500)],
)  # fmt: skip
def test_the_y_axis_ends_on_a_round_step_above_the_largest_count(largest: int, top: int, step: int) -> None:
    assert nice_top(largest) == (top, step)


@pytest.mark.parametrize(
    ("days", "step"), [(1, 1), (10, 1), (11, 2), (20, 2), (21, 7), (56, 7), (71, 14), (366, 56)]
)
def test_the_x_axis_labels_at_most_ten_days(days: int, step: int) -> None:
    assert x_step(days) == step


def test_the_curve_has_one_bar_a_day_inside_the_plot_and_the_tallest_reaches_the_top() -> None:
    start = date(2026, 2, 1)
    days = [CurveDay(start + timedelta(days=n), n % 4, (n * 7) % 5) for n in range(28)]

    chart = epidemic_curve(days, "fr")

    assert [bar.day for bar in chart.bars] == [day.day for day in days]
    assert all(chart.left <= bar.x and bar.x + bar.width <= chart.right for bar in chart.bars)
    assert all(abs(bar.y + bar.height - chart.bottom) < 1e-9 for bar in chart.bars)
    tallest = max(chart.bars, key=lambda bar: bar.height)
    assert tallest.count == 3
    assert tallest.y == pytest.approx(chart.top + (chart.bottom - chart.top) * (1 - 3 / 4))
    assert [point.count for point in chart.points] == [day.by_report for day in days]
    assert [tick.label for tick in chart.y_ticks] == ["0", "1", "2", "3", "4"]
    assert chart.x_ticks[0].label == "1 févr."
    assert len(chart.line.split()) == 28


def _graph(generations: list[int], edges: list[tuple[int, int]]) -> ChainGraph:
    start = date(2026, 2, 1)
    nodes = tuple(
        Node(f"case{index:03d}", start + timedelta(days=index), True, generation)
        for index, generation in enumerate(generations)
    )
    links = tuple(Edge(nodes[a].case, nodes[b].case, start, "household", True) for a, b in edges)
    last = nodes[-1].start
    chain = Chain(nodes[0].case, len(nodes), max(generations), start, last, 0, True, ("household",), start, 0)
    return ChainGraph(start, chain, nodes, links)


def test_a_chain_is_laid_out_by_generation_from_left_to_right_the_same_way_every_time() -> None:
    generations = [1, 2, 2, 3, 3, 3, 4]
    graph = _graph(generations, [(0, 1), (0, 2), (1, 3), (1, 4), (2, 5), (5, 6)])
    shuffled = list(graph.nodes)
    random.Random(7).shuffle(shuffled)

    drawing = lay_out(graph)
    again = lay_out(ChainGraph(graph.at, graph.chain, tuple(shuffled), graph.edges))

    assert drawing == again
    x = {placed.node.case: placed.x for placed in drawing.nodes}
    for edge in graph.edges:
        assert x[edge.source] < x[edge.target]
    assert len({(placed.x, placed.y) for placed in drawing.nodes}) == len(generations)
    assert [placed.first for placed in drawing.nodes].count(True) == 1
    assert all(0 < placed.x < drawing.width and 0 < placed.y < drawing.height for placed in drawing.nodes)
    assert [heading.generation for heading in drawing.headings] == [1, 2, 3, 4]
    assert not drawing.capped


def test_a_large_chain_is_drawn_up_to_its_cap_and_a_crowded_generation_wraps_into_columns() -> None:
    graph = _graph([1] + [2] * 40, [(0, n) for n in range(1, 41)])

    drawing = lay_out(graph, cap=30)

    assert (len(drawing.nodes), drawing.total, drawing.capped) == (30, 41, True)
    assert len(drawing.edges) == 29
    second = [placed for placed in drawing.nodes if placed.node.generation == 2]
    assert len({placed.x for placed in second}) == -(-29 // ROWS)
    assert len({placed.y for placed in second}) == ROWS


def test_links_between_the_same_two_cases_are_drawn_apart() -> None:
    graph = _graph([1, 2], [(0, 1), (0, 1), (0, 1)])

    drawing = lay_out(graph)

    assert len({edge.path for edge in drawing.edges}) == 3


def test_an_empty_range_is_the_last_eight_weeks_and_one_date_reaches_eight_weeks_from_it() -> None:
    empty = read_range(ENGLISH, TODAY)
    start_only = read_range(ENGLISH, TODAY, start="2026-01-01")
    end_only = read_range(ENGLISH, TODAY, end="2026-02-01")

    assert (empty.start, empty.end) == (TODAY - timedelta(days=DEFAULT_DAYS - 1), TODAY)
    assert (start_only.start, start_only.end) == (date(2026, 1, 1), date(2026, 2, 25))
    assert (end_only.start, end_only.end) == (date(2025, 12, 8), date(2026, 2, 1))
    assert [empty.valid, start_only.valid, end_only.valid] == [True, True, True]


@pytest.mark.parametrize(
    ("typed", "field"),
    [({"start": "2026-2-1"}, "from"), ({"start": "20260201"}, "from"), ({"end": "2026-03-03"}, "to"),
     ({"start": "2026-02-10", "end": "2026-02-09"}, "from"), ({"area": "7"}, "area"),
     ({"area": "Lyon"}, "area"), ({"status": "cured"}, "status")],
)  # fmt: skip
def test_a_filter_that_cannot_be_read_is_named_and_kept_as_typed(typed: dict[str, str], field: str) -> None:
    found = read_filters(ENGLISH, TODAY, **typed)

    assert list(found.errors) == [field]
    assert {name: value for name, value in found.typed.items() if value} == {
        {"start": "from", "end": "to"}.get(name, name): value for name, value in typed.items()
    }


def test_areas_are_read_in_capitals_and_pages_from_one() -> None:
    found = read_filters(ENGLISH, TODAY, area="2a", status="confirmed", page="0")
    assert (found.area, found.status, found.page, found.valid) == ("2A", "confirmed", 1, True)
    assert read_filters(ENGLISH, TODAY, page="3").page == 3
