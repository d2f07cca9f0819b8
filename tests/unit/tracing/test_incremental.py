"""Tiers updated after each change equal tiers recomputed from scratch, on random graphs and random
sequences of exposures, cases and negative tests."""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from serment.policy.tracing import TierRule, TracingRules
from serment.tracing.graphs import MemoryGraph
from serment.tracing.tiers import Contact, tiers_at, update_tiers

AT = date(2026, 3, 10)
PEOPLE = st.integers(min_value=0, max_value=14)
DAYS = st.integers(min_value=-20, max_value=3).map(lambda offset: AT + timedelta(days=offset))


def rules_of(depth: int, lookback: int, before: int, clears: bool, clear_after: int) -> TracingRules:
    tiers = tuple(TierRule(name=f"F{level}", place="home", days=14) for level in range(depth + 1))
    return TracingRules(
        depth=depth,
        lookback_days=lookback,
        infectious_before_onset_days=before,
        negative_test_clears=clears,
        clear_after_days=clear_after,
        tiers=tiers,
        call_tiers=(1,) if depth else (),
    )


RULES = st.builds(
    rules_of,
    depth=st.integers(min_value=0, max_value=4),
    lookback=st.integers(min_value=0, max_value=16),
    before=st.integers(min_value=0, max_value=4),
    clears=st.booleans(),
    clear_after=st.integers(min_value=0, max_value=6),
)


@st.composite
def contacts(draw: st.DrawFn) -> tuple[str, Contact[int]]:
    first = draw(DAYS)
    last = first + timedelta(days=draw(st.integers(min_value=0, max_value=4)))
    return ("contact", Contact(draw(PEOPLE), draw(PEOPLE), first, last))


EVENTS = st.lists(
    st.one_of(
        contacts(),
        st.tuples(st.just("case"), PEOPLE, DAYS, st.one_of(st.none(), DAYS)),
        st.tuples(st.just("negative"), PEOPLE, DAYS),
    ),
    max_size=40,
)


@settings(max_examples=400, deadline=None)
@given(rules=RULES, events=EVENTS)
def test_updating_after_each_event_equals_recomputing(rules: TracingRules, events: list[tuple]) -> None:
    graph: MemoryGraph[int] = MemoryGraph()
    for event in events:
        match event:
            case ("contact", contact):
                graph.add_contact(contact)
                touched = {contact.a, contact.b}
            case ("case", person, start, closed):
                graph.cases[person] = (start, closed)
                touched = {person}
            case ("negative", person, day):
                graph.negatives.setdefault(person, []).append(day)
                touched = {person}
        update = update_tiers(AT, rules, graph, touched)
        for person in update.removed:
            del graph.standings[person]
        graph.standings.update(update.changed)
        assert graph.standings == tiers_at(AT, rules, graph.facts_at(AT), graph.contacts)
