"""Chains as tables: cases (a letter and the day its case starts, `?` when only its report date is
known), links between them, and the chains, directions, generations and activity expected at a date."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from serment.tracing.chains import ChainCase, ChainGraph, Link, chains_at

AT = date(2026, 3, 20)
LOOKBACK = 14


def day(offset: int) -> date:
    """AT moved by `offset` days."""
    return AT + timedelta(days=offset)


def cases(text: str) -> list[ChainCase]:
    """ "A-10 B-8? C+2": A starts 10 days before AT, B 8 days before (known only by its report date),
    C 2 days after."""
    found = []
    for word in text.split():
        ref, offset, unknown = re.fullmatch(r"([A-Z])([-+]\d+)(\??)", word).groups()  # type: ignore[union-attr]
        found.append(ChainCase(ref, day(int(offset)), known=not unknown))
    return found


def links(text: str, setting: str = "household") -> list[Link]:
    """ "A:B-9 B:C-5..-2": A and B exposed 9 days before AT, B and C from 5 to 2 days before."""
    found = []
    for word in text.split():
        match = re.fullmatch(r"([A-Z]):([A-Z])([-+]\d+)(?:\.\.([-+]\d+))?", word)
        a, b, first, last = match.groups()  # type: ignore[union-attr]
        found.append(Link(a, b, day(int(first)), day(int(last or first)), setting))
    return found


def members(graphs: list[ChainGraph]) -> list[str]:
    """Each chain as its id, then its cases: "A:ABC"."""
    return [f"{graph.chain.id}:{''.join(node.case for node in graph.nodes)}" for graph in graphs]


@pytest.mark.parametrize(
    ("given_cases", "given_links", "expected"),
    [
        pytest.param(
            "A-10 B-8 C-3 D-6 E-5 F-1", "A:B-9 B:C-5 D:E-5", ["F:F", "A:ABC", "D:DE"], id="components"
        ),
        pytest.param("A-10 B-8", "", ["B:B", "A:A"], id="no-link-chains-of-one"),
        pytest.param("B-5 A-5 C-4", "B:C-4 A:C-4", ["A:ABC"], id="id-ties-by-ref"),
        pytest.param("A-5 B-4", "A:A-4 A:Z-4", ["B:B", "A:A"], id="self-and-non-case-links-ignored"),
        pytest.param("A-10 B-8 C+2", "A:B-9 B:C-1", ["A:AB"], id="a-case-starting-later-is-left-out"),
        pytest.param("A-10 B-8", "A:B+1", ["B:B", "A:A"], id="a-link-beginning-later-is-left-out"),
        pytest.param("A-10 B-8", "A:B-3..+2", ["A:AB"], id="a-link-running-past-at-counts"),
        pytest.param("A-10 B-8 C-9 D-2", "A:B-8 C:D-2", ["C:CD", "A:AB"], id="newest-last-case-first"),
        pytest.param("A-10 B-8 C-20 D-2", "A:D-8 C:B-8 B:D-2", ["C:CABD"], id="two-chains-joined"),
    ],
)
def test_chains_are_the_connected_groups_of_cases_newest_first(
    given_cases: str, given_links: str, expected: list[str]
) -> None:
    assert members(chains_at(AT, LOOKBACK, cases(given_cases), links(given_links))) == expected


@pytest.mark.parametrize(
    ("given_cases", "link", "expected"),
    [
        pytest.param("A-10 B-8", "A:B-9", ("A", "B", True), id="earlier-to-later"),
        pytest.param("A-8 B-10", "A:B-9", ("B", "A", True), id="whichever-end-started-first"),
        pytest.param("A-8 B-8", "B:A-9", ("A", "B", False), id="equal-starts-undirected"),
        pytest.param("A-10 B-8?", "A:B-9", ("A", "B", False), id="report-date-only-undirected"),
        pytest.param("A-6? B-8", "A:B-9", ("B", "A", False), id="unknown-start-undirected-in-start-order"),
    ],
)
def test_a_link_points_from_the_earlier_known_start_to_the_later(
    given_cases: str, link: str, expected: tuple[str, str, bool]
) -> None:
    (graph,) = chains_at(AT, LOOKBACK, cases(given_cases), links(link))
    (edge,) = graph.edges
    assert (edge.source, edge.target, edge.directed) == expected
    assert graph.chain.undirected == (0 if expected[2] else 1)


@pytest.mark.parametrize(
    ("given_cases", "given_links", "generations", "chain_generations"),
    [
        pytest.param("A-10", "", "A1", 1, id="alone"),
        pytest.param("A-10 B-7 C-4", "A:B-8 B:C-5", "A1 B2 C3", 3, id="a-line"),
        pytest.param("A-10 B-7 C-4", "A:B-8 A:C-5", "A1 B2 C2", 2, id="a-fan"),
        pytest.param("A-10 B-7 C-4", "A:B-8 B:C-5 A:C-5", "A1 B2 C3", 3, id="longest-path-wins"),
        pytest.param("A-10 B-10 C-4", "A:B-9 B:C-5", "A1 B1 C2", 2, id="undirected-links-add-no-generation"),
        pytest.param("A-10 B-7? C-4", "A:B-8 B:C-5", "A1 B1 C1", 1, id="unknown-start-breaks-the-path"),
        pytest.param("A-10 B-8 C-2 D-1", "A:C-3 B:C-3 C:D-1", "A1 B1 C2 D3", 3, id="two-sources"),
    ],
)
def test_generations_count_the_cases_on_the_longest_directed_path(
    given_cases: str, given_links: str, generations: str, chain_generations: int
) -> None:
    (graph,) = chains_at(AT, LOOKBACK, cases(given_cases), links(given_links))
    assert " ".join(f"{node.case}{node.generation}" for node in graph.nodes) == generations
    assert graph.chain.generations == chain_generations


@pytest.mark.parametrize(
    ("given_links", "active", "last_exposure"),
    [
        pytest.param("A:B-14", True, -14, id="last-day-of-the-lookback"),
        pytest.param("A:B-15", False, -15, id="just-out-of-the-lookback"),
        pytest.param("A:B-20..-14", True, -14, id="a-range-counts-by-its-last-day"),
        pytest.param("A:B-30 A:B-2", True, -2, id="the-latest-link-counts"),
        pytest.param("A:B-3..+4", True, 0, id="a-range-is-cut-at-the-date-asked"),
    ],
)
def test_a_chain_is_active_while_a_link_is_within_the_lookback(
    given_links: str, active: bool, last_exposure: int
) -> None:
    (graph,) = chains_at(AT, LOOKBACK, cases("A-40 B-35"), links(given_links))
    assert graph.chain.active is active
    assert graph.chain.last_exposure == day(last_exposure)


def test_a_chain_of_one_is_never_active_for_it_has_no_link() -> None:
    (graph,) = chains_at(AT, LOOKBACK, cases("A-0"), [])
    assert (graph.chain.active, graph.chain.last_exposure, graph.edges) == (False, None, ())


def test_the_summary_gives_size_dates_duration_and_settings() -> None:
    given = links("A:B-9", "work") + links("B:C-4", "household") + links("C:A-4", "work")
    (graph,) = chains_at(AT, LOOKBACK, cases("A-10 B-7 C-3"), given)
    chain = graph.chain
    assert (chain.id, chain.size, chain.first_start, chain.last_start, chain.duration_days) == (
        "A", 3, day(-10), day(-3), 7,
    )  # fmt: skip
    assert chain.settings == ("household", "work")


def test_one_exposure_reported_from_both_sides_is_one_link_but_other_settings_or_days_are_not() -> None:
    given = links("A:B-9 B:A-9 A:B-8") + links("A:B-9", "work")
    (graph,) = chains_at(AT, LOOKBACK, cases("A-10 B-7"), given)
    assert [(edge.date, edge.setting) for edge in graph.edges] == [
        (day(-9), "household"), (day(-9), "work"), (day(-8), "household"),
    ]  # fmt: skip


def test_the_same_data_answers_for_an_earlier_date() -> None:
    given_cases, given_links = cases("A-10 B-7 C-3"), links("A:B-8 B:C-4")
    earlier = chains_at(day(-5), LOOKBACK, given_cases, given_links)
    assert members(earlier) == ["A:AB"]
    assert earlier[0].chain.last_exposure == day(-8)


REFS = st.sampled_from("ABCDEFGHIJ")


@settings(max_examples=200, deadline=None)
@given(
    starts=st.dictionaries(REFS, st.tuples(st.integers(-30, 3), st.booleans()), max_size=10),
    pairs=st.lists(st.tuples(REFS, REFS, st.integers(-30, 3)), max_size=20),
)
def test_chains_partition_the_cases_and_hold_every_link_whole(
    starts: dict[str, tuple[int, bool]], pairs: list[tuple[str, str, int]]
) -> None:
    given_cases = [ChainCase(ref, day(offset), known) for ref, (offset, known) in starts.items()]
    given_links = [Link(a, b, day(offset), day(offset), "work") for a, b, offset in pairs]
    graphs = chains_at(AT, LOOKBACK, given_cases, given_links)
    chain_of = {node.case: graph.chain.id for graph in graphs for node in graph.nodes}
    assert sorted(chain_of) == sorted(ref for ref, (offset, _) in starts.items() if offset <= 0)
    for a, b, offset in pairs:
        if a in chain_of and b in chain_of and offset <= 0:
            assert chain_of[a] == chain_of[b]
    for graph in graphs:
        assert graph.chain.id == min(graph.nodes, key=lambda node: (node.start, node.case)).case
        assert 1 <= graph.chain.generations <= graph.chain.size
        assert all(
            edge.source in chain_of and chain_of[edge.source] == graph.chain.id for edge in graph.edges
        )
        assert all(starts[edge.source][0] < starts[edge.target][0] for edge in graph.edges if edge.directed)
