"""The tier engine: who is a case (tier 0), a contact of a case (tier 1), a contact of a contact (tier 2)...
at a date, under a policy's tracing rules. Pure functions over plain data: no database, no clock.

The rules (the policy's `[tracing]` section), at the evaluation date T:

- a person is at tier 0 when they have a confirmed, unclosed case whose onset (or positive sample) date
  is on or before T;
- an exposure between p and q, whose last day at or before T is d, passes q's tier to p when
  T - lookback_days <= d <= T and, if q is a case, d >= onset(q) - infectious_before_onset_days;
- tier(p) = 1 + the smallest tier among the people whose tier passes to p, up to `depth` (beyond it,
  no tier); exposures are read in both directions;
- with `negative_test_clears`, a contact with a negative test dated at least `clear_after_days` after
  their last relevant exposure (the last exposure that gave them their tier) passes no tier on.

`tiers_at` computes every tier from scratch; `update_tiers` recomputes only the people a change can
reach (those within `depth` exposures of it) and gives the same answer (tests/unit/tracing prove it
with hypothesis). A person's tier depends only on people within `depth` exposures of them, so people
further from every changed person keep theirs, and those just beyond the region recomputed (its
boundary) seed it with their stored tiers.
"""

from __future__ import annotations

from collections.abc import Collection, Hashable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Generic, NamedTuple, Protocol, TypeVar

from serment.policy.tracing import TracingRules

P = TypeVar("P", bound=Hashable)


class Contact(NamedTuple, Generic[P]):
    """An exposure between two people from `date_from` to `date_to` (inclusive), read both ways."""

    a: P
    b: P
    date_from: date
    date_to: date


@dataclass(frozen=True)
class Standing:
    """A person's place in the tiers at a date: their tier, the last exposure that gave it to them
    (None for a case) and whether a negative test has cleared them (they then pass no tier on)."""

    tier: int
    last_exposure: date | None = None
    cleared: bool = False


@dataclass(frozen=True)
class Facts(Generic[P]):
    """What the engine knows of people besides their exposures, at the evaluation date: the date each
    case became infectious-relevant (onset, or positive sample; only confirmed cases open at T with
    that date on or before T) and each person's latest negative test on or before T."""

    cases: Mapping[P, date]
    negatives: Mapping[P, date]


@dataclass(frozen=True)
class TierUpdate(Generic[P]):
    """What a change did to the tiers: the people whose standing is new or different, and the people
    who no longer have a tier."""

    changed: dict[P, Standing]
    removed: frozenset[P]


class Graph(Protocol[P]):
    """What `update_tiers` reads around a change: a store, or plain data in tests and benchmarks."""

    def contacts_of(self, people: Collection[P], at: date, lookback_days: int) -> Iterable[Contact[P]]:
        """Every exposure touching one of `people` whose days reach into [at - lookback_days, at]."""
        ...

    def facts_of(self, people: Collection[P], at: date) -> Facts[P]:
        """The cases and negative tests of `people` at `at` (see Facts)."""
        ...

    def standings_of(self, people: Collection[P]) -> Mapping[P, Standing]:
        """The standing stored for each of `people` that has one, before the change."""
        ...


def counted_day(contact: Contact[P], at: date, lookback_days: int) -> date | None:
    """The day an exposure counts for at `at`: its last day on or before `at`, if within the lookback."""
    day = min(contact.date_to, at)
    if day < contact.date_from or day < at - timedelta(days=lookback_days):
        return None
    return day


def tiers_at(
    at: date, rules: TracingRules, facts: Facts[P], contacts: Iterable[Contact[P]]
) -> dict[P, Standing]:
    """Every person's standing at `at`, from scratch: the people without a tier are left out."""
    neighbours: dict[P, list[tuple[P, date]]] = {}
    for contact in contacts:
        day = counted_day(contact, at, rules.lookback_days)
        if day is not None and contact.a != contact.b:
            neighbours.setdefault(contact.a, []).append((contact.b, day))
            neighbours.setdefault(contact.b, []).append((contact.a, day))
    standings: dict[P, Standing] = {person: Standing(0) for person in facts.cases}
    _spread(rules, facts, neighbours, standings, {0: list(facts.cases)}, candidates=None)
    return standings


def update_tiers(at: date, rules: TracingRules, graph: Graph[P], changed: Collection[P]) -> TierUpdate[P]:
    """The standings that change at `at` after the cases, results or exposures of `changed` changed,
    given the standings stored before (`graph.standings_of`), which must hold for `at`."""
    region: set[P] = set(changed)
    frontier: set[P] = set(changed)
    neighbours: dict[P, list[tuple[P, date]]] = {}
    # Depth + 1 rounds: the region is every person within `depth` exposures of a change, and the last
    # round reads the exposures from its outer edge to the boundary just beyond.
    for _ in range(rules.depth + 1):
        if not frontier:
            break
        found: set[P] = set()
        for contact in graph.contacts_of(frontier, at, rules.lookback_days):
            day = counted_day(contact, at, rules.lookback_days)
            if day is None or contact.a == contact.b:
                continue
            for person, other in ((contact.a, contact.b), (contact.b, contact.a)):
                neighbours.setdefault(person, []).append((other, day))
                if person in frontier and other not in region:
                    found.add(other)
        frontier = found
        region |= found
    boundary = frontier
    inside = region - boundary
    # A contact seen from both of its ends, in two rounds, was recorded twice: keep one.
    neighbours = {person: list(dict.fromkeys(seen)) for person, seen in neighbours.items()}
    facts = graph.facts_of(region, at)
    stored = graph.standings_of(region)
    standings: dict[P, Standing] = {person: Standing(0) for person in inside if person in facts.cases}
    sources: dict[int, list[P]] = {0: list(standings)}
    for person in boundary:
        standing = stored.get(person)
        if standing is not None:
            standings[person] = standing
            sources.setdefault(standing.tier, []).append(person)
    _spread(rules, facts, neighbours, standings, sources, candidates=inside)
    now = {person: standings[person] for person in inside if person in standings}
    return TierUpdate(
        changed={person: standing for person, standing in now.items() if stored.get(person) != standing},
        removed=frozenset(person for person in inside if person in stored and person not in now),
    )


def _spread(
    rules: TracingRules,
    facts: Facts[P],
    neighbours: Mapping[P, list[tuple[P, date]]],
    standings: dict[P, Standing],
    sources: dict[int, list[P]],
    *,
    candidates: Collection[P] | None,
) -> None:
    """Give tiers 1 to depth, level by level, to the people without one (only `candidates`, when
    given), from `sources` by tier; `standings` is completed in place."""
    infectious = timedelta(days=rules.infectious_before_onset_days)
    clear_after = timedelta(days=rules.clear_after_days)
    for level in range(1, rules.depth + 1):
        reached: dict[P, date] = {}
        for source in sources.get(level - 1, ()):
            if standings[source].cleared:
                continue
            onset = facts.cases.get(source)
            first = onset - infectious if onset is not None else None
            for person, day in neighbours.get(source, ()):
                if person in standings or (candidates is not None and person not in candidates):
                    continue
                if first is not None and day < first:
                    continue
                if person not in reached or reached[person] < day:
                    reached[person] = day
        for person, day in reached.items():
            negative = facts.negatives.get(person)
            cleared = rules.negative_test_clears and negative is not None and negative >= day + clear_after
            standings[person] = Standing(level, day, cleared)
        sources.setdefault(level, []).extend(reached)
