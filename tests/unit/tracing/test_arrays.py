"""The array engine gives the same tiers as the plain one: `tiers_at_fast` equals `tiers_at` on random
graphs, rules and dates, and `update_tiers` over an `ArrayGraph` equals recomputing after each new
positive."""

from __future__ import annotations

import random
from collections import Counter
from datetime import date, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from serment.policy import load_policy
from serment.policy.tracing import TracingRules
from serment.tracing.arrays import ArrayGraph, exposures_of, fact_arrays, tiers_at_fast
from serment.tracing.graphs import MemoryGraph
from serment.tracing.tiers import Contact, Facts, Standing, tiers_at, update_tiers
from tests.unit.tracing.test_incremental import AT, DAYS, EVENTS, PEOPLE, RULES, contacts

EVERYONE = range(15)


def graph_of(events: list[tuple]) -> MemoryGraph[int]:
    graph: MemoryGraph[int] = MemoryGraph()
    for event in events:
        match event:
            case ("contact", contact):
                graph.add_contact(contact)
            case ("case", person, start, closed):
                graph.cases[person] = (start, closed)
            case ("negative", person, day):
                graph.negatives.setdefault(person, []).append(day)
    return graph


@settings(max_examples=600, deadline=None)
@given(rules=RULES, events=EVENTS, at=DAYS)
def test_full_computation_over_arrays_equals_tiers_at(
    rules: TracingRules, events: list[tuple], at: date
) -> None:
    graph = graph_of(events)
    facts = graph.facts_at(at)
    assert tiers_at_fast(at, rules, facts, graph.contacts) == tiers_at(at, rules, facts, graph.contacts)


NEW_POSITIVES = st.lists(st.tuples(PEOPLE, DAYS), min_size=1, max_size=8)


@settings(max_examples=300, deadline=None)
@given(
    rules=RULES,
    exposures=st.lists(contacts(), max_size=40),
    negatives=st.dictionaries(PEOPLE, DAYS),
    positives=NEW_POSITIVES,
)
def test_updating_an_array_graph_after_each_new_positive_equals_recomputing(
    rules: TracingRules,
    exposures: list[tuple[str, Contact[int]]],
    negatives: dict[int, date],
    positives: list[tuple[int, date]],
) -> None:
    known = [contact for _, contact in exposures]
    arrays = exposures_of(known, EVERYONE)
    cases, negative_days = fact_arrays(arrays, Facts({}, negatives))
    graph = ArrayGraph(arrays, cases, negative_days)
    for person, start in positives:
        graph.mark_case(person, start)
        graph.store(update_tiers(AT, rules, graph, {person}))
        assert graph.standings == tiers_at(AT, rules, graph.facts_of(EVERYONE, AT), known)


@settings(max_examples=200, deadline=None)
@given(
    exposures=st.lists(contacts(), max_size=40),
    people=st.sets(PEOPLE),
    at=DAYS,
    lookback=st.integers(min_value=0, max_value=16),
)
def test_an_array_graph_reads_the_exposures_a_memory_graph_reads(
    exposures: list[tuple[str, Contact[int]]], people: set[int], at: date, lookback: int
) -> None:
    memory: MemoryGraph[int] = MemoryGraph()
    for _, contact in exposures:
        memory.add_contact(contact)
    graph = ArrayGraph(*_arrays(memory.contacts))

    def read(found: list[Contact[int]]) -> Counter[tuple[frozenset[int], date, date]]:
        return Counter((frozenset((c.a, c.b)), c.date_from, c.date_to) for c in found)

    expected = [c for c in memory.contacts_of(people, at, lookback) if c.a != c.b]
    assert read(list(graph.contacts_of(people, at, lookback))) == read(expected)


def _arrays(known: list[Contact[int]]) -> tuple:
    arrays = exposures_of(known, EVERYONE)
    return (arrays, *fact_arrays(arrays, Facts({}, {})))


def test_a_larger_random_graph_gets_the_same_tiers_under_each_preset() -> None:
    rng = random.Random(2020)
    at = date(2026, 3, 10)
    known = []
    for _ in range(12_000):
        first = at - timedelta(days=rng.randrange(40))
        last = first + timedelta(days=rng.randrange(3))
        known.append(Contact(rng.randrange(3000), rng.randrange(3000), first, last))
    facts = Facts(
        {rng.randrange(3000): at - timedelta(days=rng.randrange(20)) for _ in range(60)},
        {rng.randrange(3000): at - timedelta(days=rng.randrange(20)) for _ in range(600)},
    )
    for preset in ("vn-2020", "fr-2020"):
        rules = load_policy(preset).tracing
        fast = tiers_at_fast(at, rules, facts, known)
        assert fast == tiers_at(at, rules, facts, known)
        assert {standing.tier for standing in fast.values()} == set(range(rules.depth + 1))


def test_the_rules_on_a_small_chain() -> None:
    rules = load_policy("vn-2020").tracing  # 14 days back, 2 days before onset, cleared 5 days after
    at = date(2026, 3, 10)
    known = [
        Contact("case", "too early", date(2026, 2, 28), date(2026, 2, 28)),
        Contact("case", "in window", date(2026, 3, 1), date(2026, 3, 1)),
        Contact("in window", "next", date(2026, 2, 25), date(2026, 2, 25)),
        Contact("in window", "too old", date(2026, 2, 23), date(2026, 2, 23)),
        Contact("case", "cleared", date(2026, 3, 2), date(2026, 3, 2)),
        Contact("cleared", "shielded", date(2026, 3, 9), date(2026, 3, 9)),
        Contact("next", "still running", date(2026, 3, 9), date(2026, 3, 20)),
    ]
    facts = Facts({"case": date(2026, 3, 3)}, {"cleared": date(2026, 3, 7)})
    assert tiers_at_fast(at, rules, facts, known) == {
        "case": Standing(0),
        "in window": Standing(1, date(2026, 3, 1)),
        "next": Standing(2, date(2026, 2, 25)),
        "cleared": Standing(1, date(2026, 3, 2), cleared=True),
        "still running": Standing(3, date(2026, 3, 10)),
    }
