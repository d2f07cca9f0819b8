"""A seeded synthetic world of exposures for the tracing benchmark, made with numpy: households whose
members are exposed to each other over the whole window, one-day exposures within workplaces and
schools, and random mixing, with cases and negative tests. Synthetic data, never secrets."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import numpy.typing as npt

from serment.tracing.arrays import NONE

WINDOW_DAYS = 56
# French households by size: one person 37%, two 33%, three 14%, four 11%, five 4%, six 1%.
HOUSEHOLD_SIZES = np.array([1, 2, 3, 4, 5, 6])
HOUSEHOLD_SHARES = np.array([0.37, 0.33, 0.14, 0.11, 0.04, 0.01])
WORKING_SHARE, WORKPLACE_MEAN, AT_WORK_SHARE = 0.6, 20, 0.6
CASE_SHARE, CASE_DAYS, NEGATIVE_SHARE = 0.01, 28, 0.05
Ints = npt.NDArray[np.int32]


@dataclass(frozen=True)
class World:
    """People 0..n-1, their exposures (ends, first and last day as ordinals, setting), and each person's
    case start and latest negative test (ordinals, NONE when absent)."""

    people: int
    a: Ints
    b: Ints
    date_from: Ints
    date_to: Ints
    setting: npt.NDArray[np.int8]
    cases: Ints
    negatives: Ints


def synthetic(people: int, seed: int, at: date, per_person: int = 5) -> World:
    """A seeded world of `people` with `per_person` exposures each: every pair of a household over the
    whole window, then one-day exposures within workplaces and schools, and between anyone."""
    rng = np.random.default_rng(seed)
    today = at.toordinal()
    start = today - WINDOW_DAYS + 1
    total = per_person * people
    home_a, home_b = _household_pairs(rng, people)
    home_a, home_b = home_a[:total], home_b[:total]
    rest = total - len(home_a)
    at_work = int(rest * AT_WORK_SHARE)
    work_a, work_b = _workplace_pairs(rng, people, at_work)
    mixing = rest - at_work
    a = np.concatenate((home_a, work_a, rng.integers(0, people, mixing, dtype=np.int32)))
    b = np.concatenate((home_b, work_b, rng.integers(0, people, mixing, dtype=np.int32)))
    one_day = rng.integers(start, today + 1, rest, dtype=np.int32)
    setting = np.repeat(np.arange(3, dtype=np.int8), (len(home_a), at_work, mixing))
    cases = np.full(people, NONE, np.int32)
    infected = rng.choice(people, max(1, int(people * CASE_SHARE)), replace=False)
    cases[infected] = rng.integers(today - CASE_DAYS + 1, today + 1, len(infected), dtype=np.int32)
    negatives = np.full(people, NONE, np.int32)
    tested = rng.choice(people, int(people * NEGATIVE_SHARE), replace=False)
    negatives[tested] = rng.integers(today - 13, today + 1, len(tested), dtype=np.int32)
    return World(
        people, a, b,
        np.concatenate((np.full(len(home_a), start, np.int32), one_day)),
        np.concatenate((np.full(len(home_a), today, np.int32), one_day)),
        setting, cases, negatives,
    )  # fmt: skip


def _household_pairs(rng: np.random.Generator, people: int) -> tuple[Ints, Ints]:
    sizes = rng.choice(HOUSEHOLD_SIZES, people, p=HOUSEHOLD_SHARES)
    sizes = sizes[: np.searchsorted(np.cumsum(sizes), people) + 1]
    sizes[-1] -= int(sizes.sum() - people)
    starts = np.cumsum(sizes) - sizes
    ends_a, ends_b = [], []
    for size in range(2, int(HOUSEHOLD_SIZES.max()) + 1):
        first = starts[sizes == size]
        i, j = np.triu_indices(size, 1)
        ends_a.append((first[:, None] + i).ravel())
        ends_b.append((first[:, None] + j).ravel())
    return np.concatenate(ends_a).astype(np.int32), np.concatenate(ends_b).astype(np.int32)


def _workplace_pairs(rng: np.random.Generator, people: int, count: int) -> tuple[Ints, Ints]:
    workers = rng.choice(people, int(people * WORKING_SHARE), replace=False).astype(np.int32)
    places = max(1, len(workers) // WORKPLACE_MEAN)
    place = np.sort(rng.integers(0, places, len(workers)))
    bounds = np.searchsorted(place, np.arange(places + 1))
    who = rng.integers(0, len(workers), count)
    low, high = bounds[place[who]], bounds[place[who] + 1]
    return workers[who], workers[low + (rng.random(count) * (high - low)).astype(np.int64)]


def new_positives(world: World, count: int, seed: int, at: date) -> list[tuple[int, date]]:
    """`count` people who are not cases, each with an onset in the last 4 days."""
    rng = np.random.default_rng(seed + 1)
    chosen = rng.choice(np.flatnonzero(world.cases == NONE), count, replace=False)
    return [(int(p), at - timedelta(days=int(rng.integers(0, 4)))) for p in chosen]
