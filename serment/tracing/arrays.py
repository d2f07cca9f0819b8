"""Tiers over arrays: the full computation of `tiers.tiers_at` at national scale, and an in-memory
`Graph` for `update_tiers` over the same arrays.

People are numbered 0..n-1; every exposure is held in both directions, sorted by the person it is read
from (compressed sparse rows: the exposures read from person i sit at positions indptr[i]..indptr[i+1]
of `other`, `first` and `last`), with its days as ordinals. Tiers then spread level by level with
vectorised operations, by the rules of `serment.tracing.tiers` (whose docstring states them): per
level, the exposures read from the sources (people at the level before, not cleared) that count at T,
and from a case only those from its infectious window on; the people they reach who have no tier yet
take this level and, as last relevant exposure, the latest of those days; a negative test
`clear_after_days` or more after it clears them. `tiers_at_fast` equals `tiers_at` (hypothesis proves
it in tests/unit/tracing/test_arrays.py).
"""

from __future__ import annotations

from collections.abc import Collection, Hashable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Generic, TypeVar

import numpy as np
import numpy.typing as npt

from serment.policy.tracing import TracingRules
from serment.tracing.tiers import Contact, Facts, Standing, TierUpdate

P = TypeVar("P", bound=Hashable)
Days = npt.NDArray[np.int32]
# The day of nothing (no case, no negative test, no exposure): far enough below every real ordinal
# that `day >= NONE - infectious` always holds and `NONE >= day + clear_after` never does.
NONE = -(2**30)


@dataclass(frozen=True)
class ExposureArrays(Generic[P]):
    """Exposures between numbered people, each held in both directions and sorted by the person it
    is read from: those read from person i are at positions indptr[i] to indptr[i + 1]."""

    people: Sequence[P]
    index: Mapping[P, int]
    indptr: npt.NDArray[np.int64]
    other: npt.NDArray[np.int32]
    first: Days
    last: Days

    @property
    def size(self) -> int:
        """How many people are numbered."""
        return len(self.people)


@dataclass(frozen=True)
class TierArrays:
    """Everyone's standing as arrays over the numbered people: tier (-1 for none), last relevant
    exposure (an ordinal, NONE for a case or nobody) and whether a negative test cleared them."""

    tier: npt.NDArray[np.int8]
    last: Days
    cleared: npt.NDArray[np.bool_]

    def standings(self, people: Sequence[P]) -> dict[P, Standing]:
        """The standings of the people with a tier, keyed by `people[i]`, as `tiers_at` gives them."""
        held = np.flatnonzero(self.tier >= 0)
        # Few distinct standings (a tier, a day, cleared or not): one object each, shared.
        tier = self.tier[held].astype(np.int64)
        last = self.last[held].astype(np.int64)
        key = (last - NONE) * 256 + tier * 2 + self.cleared[held]
        kinds, which = np.unique(key, return_inverse=True)
        shared = [_standing(int(kind)) for kind in kinds.tolist()]
        return {people[i]: shared[k] for i, k in zip(held.tolist(), which.tolist(), strict=True)}


def tiers_at_fast(
    at: date, rules: TracingRules, facts: Facts[P], contacts: Iterable[Contact[P]]
) -> dict[P, Standing]:
    """Every person's standing at `at`, from scratch, over arrays: the same answer as `tiers_at`."""
    exposures = exposures_of(contacts, facts.cases)
    cases, negatives = fact_arrays(exposures, facts)
    return tier_arrays(at, rules, exposures, cases, negatives).standings(exposures.people)


def exposures_of(contacts: Iterable[Contact[P]], people: Iterable[P] = ()) -> ExposureArrays[P]:
    """Number `people` and everyone in `contacts`, and hold the contacts as arrays."""
    index: dict[P, int] = {}
    number = index.setdefault
    for person in people:
        number(person, len(index))
    # One comprehension a column, and one dictionary operation an end: the least Python per contact.
    known = list(contacts)
    ends = np.array([number(person, len(index)) for c in known for person in (c.a, c.b)], dtype=np.int32)
    since = np.fromiter(map(date.toordinal, [c.date_from for c in known]), np.int32, len(known))
    until = np.fromiter(map(date.toordinal, [c.date_to for c in known]), np.int32, len(known))
    return exposures_from(list(index), ends[0::2], ends[1::2], since, until, index=index)


def exposures_from(
    people: Sequence[P],
    a: npt.ArrayLike,
    b: npt.ArrayLike,
    date_from: npt.ArrayLike,
    date_to: npt.ArrayLike,
    *,
    index: Mapping[P, int] | None = None,
) -> ExposureArrays[P]:
    """Exposures between `people[a[k]]` and `people[b[k]]` from `date_from[k]` to `date_to[k]`
    (ordinals), held in both directions; an exposure of a person with themselves is left out."""
    ends_a, ends_b = np.asarray(a, dtype=np.int32), np.asarray(b, dtype=np.int32)
    apart = ends_a != ends_b
    ends_a, ends_b = ends_a[apart], ends_b[apart]
    first = np.asarray(date_from, dtype=np.int32)[apart]
    last = np.asarray(date_to, dtype=np.int32)[apart]
    source = np.concatenate((ends_a, ends_b))
    order = np.argsort(source, kind="stable")
    counts = np.bincount(source, minlength=len(people))
    indptr = np.zeros(len(people) + 1, dtype=np.int64)
    np.cumsum(counts, out=indptr[1:])
    return ExposureArrays(
        people=people,
        index=index if index is not None else {person: i for i, person in enumerate(people)},
        indptr=indptr,
        other=np.concatenate((ends_b, ends_a))[order],
        first=np.concatenate((first, first))[order],
        last=np.concatenate((last, last))[order],
    )


def fact_arrays(exposures: ExposureArrays[P], facts: Facts[P]) -> tuple[Days, Days]:
    """Each numbered person's case start and latest negative test as ordinals (NONE when absent);
    the facts of people who are not numbered are left out, since no exposure reaches them."""
    cases = np.full(exposures.size, NONE, dtype=np.int32)
    negatives = np.full(exposures.size, NONE, dtype=np.int32)
    for days, known in ((cases, facts.cases), (negatives, facts.negatives)):
        numbered = [(exposures.index[p], day.toordinal()) for p, day in known.items() if p in exposures.index]
        if numbered:
            where, ordinals = zip(*numbered, strict=True)
            days[list(where)] = ordinals
    return cases, negatives


def tier_arrays(
    at: date, rules: TracingRules, exposures: ExposureArrays[P], cases: Days, negatives: Days
) -> TierArrays:
    """Everyone's standing at `at` from scratch, given each person's case start and latest negative
    test as ordinals (see `fact_arrays`): the vectorised spread of tiers 1 to depth from the cases."""
    today = at.toordinal()
    earliest = today - rules.lookback_days
    tier = np.full(exposures.size, -1, dtype=np.int8)
    last = np.full(exposures.size, NONE, dtype=np.int32)
    cleared = np.zeros(exposures.size, dtype=np.bool_)
    sources = np.flatnonzero(cases != NONE)
    tier[sources] = 0
    for level in range(1, rules.depth + 1):
        if not sources.size:
            break
        at_edges, origin = _edges_from(exposures.indptr, sources)
        day = np.minimum(exposures.last[at_edges], today)
        counts = (day >= exposures.first[at_edges]) & (day >= earliest)
        if level == 1:
            # Only tier 0 holds cases: a case passes nothing on before its infectious window.
            counts &= day >= cases[origin] - rules.infectious_before_onset_days
        met = exposures.other[at_edges][counts]
        day = day[counts]
        fresh = tier[met] < 0
        met, day = met[fresh], day[fresh]
        if not met.size:
            break
        tier[met] = level
        np.maximum.at(last, met, day)
        reached = np.flatnonzero(tier == level)
        if rules.negative_test_clears:
            cleared[reached] = negatives[reached] >= last[reached] + rules.clear_after_days
            reached = reached[~cleared[reached]]
        sources = reached
    return TierArrays(tier, last, cleared)


def _edges_from(
    indptr: npt.NDArray[np.int64], sources: npt.NDArray[np.intp]
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.intp]]:
    """The positions of every exposure read from `sources`, and the source each is read from."""
    starts = indptr[sources]
    counts = indptr[sources + 1] - starts
    total = int(counts.sum())
    shift = np.repeat(starts - (np.cumsum(counts) - counts), counts)
    return shift + np.arange(total, dtype=np.int64), np.repeat(sources, counts)


def _standing(key: int) -> Standing:
    last, rest = divmod(key, 256)
    tier, cleared = divmod(rest, 2)
    day = last + NONE
    return Standing(tier, date.fromordinal(day) if day != NONE else None, bool(cleared))


class ArrayGraph(Generic[P]):
    """The `Graph` of `update_tiers` over exposure arrays, in memory, for benchmarks: each person's
    case start and latest negative test (ordinals, NONE when absent) and the stored standings."""

    def __init__(
        self,
        exposures: ExposureArrays[P],
        cases: Days,
        negatives: Days,
        standings: Mapping[P, Standing] | None = None,
    ) -> None:
        self.exposures = exposures
        self.cases = cases
        self.negatives = negatives
        self.standings: dict[P, Standing] = dict(standings or {})
        self._dates: dict[int, date] = {}

    def mark_case(self, person: P, start: date) -> None:
        """Record that `person` is a confirmed case counting from `start`."""
        self.cases[self.exposures.index[person]] = start.toordinal()

    def store(self, update: TierUpdate[P]) -> None:
        """Keep what an update found, as the store does in its transaction."""
        for person in update.removed:
            del self.standings[person]
        self.standings.update(update.changed)

    def contacts_of(self, people: Collection[P], at: date, lookback_days: int) -> Iterator[Contact[P]]:
        """Every exposure touching one of `people` whose days reach into the lookback, once each."""
        index = self.exposures.index
        ids = np.array([index[p] for p in people if p in index], dtype=np.intp)
        if not ids.size:
            return
        at_edges, origin = _edges_from(self.exposures.indptr, ids)
        first, last = self.exposures.first[at_edges], self.exposures.last[at_edges]
        other = self.exposures.other[at_edges]
        keep = (first <= at.toordinal()) & (last >= at.toordinal() - lookback_days)
        # An exposure between two of `people` is read from both: keep it from its lower end only.
        keep &= ~np.isin(other, ids) | (origin < other)
        names = self.exposures.people
        ends = zip(origin[keep].tolist(), other[keep].tolist(), strict=True)
        for (a, b), since, until in zip(ends, first[keep].tolist(), last[keep].tolist(), strict=True):
            yield Contact(names[a], names[b], self._date(since), self._date(until))

    def facts_of(self, people: Collection[P], at: date) -> Facts[P]:
        """The cases and latest negative tests of `people` on or before `at`."""
        today = at.toordinal()
        cases: dict[P, date] = {}
        negatives: dict[P, date] = {}
        for person in people:
            i = self.exposures.index.get(person)
            if i is None:
                continue
            start, negative = int(self.cases[i]), int(self.negatives[i])
            if start != NONE and start <= today:
                cases[person] = self._date(start)
            if negative != NONE and negative <= today:
                negatives[person] = self._date(negative)
        return Facts(cases, negatives)

    def standings_of(self, people: Collection[P]) -> Mapping[P, Standing]:
        """The stored standings of those of `people` who have one."""
        return {person: self.standings[person] for person in people if person in self.standings}

    def _date(self, ordinal: int) -> date:
        day = self._dates.get(ordinal)
        if day is None:
            day = self._dates[ordinal] = date.fromordinal(ordinal)
        return day
