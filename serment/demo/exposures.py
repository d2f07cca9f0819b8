"""The contact structure of a synthetic population as a stream of exposures: who meets whom, when and
where, whether or not anyone is infected. For benchmarks at national scale (a million people, millions
of exposures), where the outbreak's few hundred named contacts are far too few.

A stream, never a list: one exposure at a time, drawn from the population's households and places and
a per-commune index of a few bytes a person, so that memory does not grow with the exposures. Seeded and
pure (synthetic data, never secrets: `random.Random` suits); the same arguments give the same stream.

- **household**: every pair of members, once, over the whole window.
- **work**, **school**: on weekdays, each member meets on average `CLOSE_CONTACTS[setting]` others of
  their place (everyone, in a place too small for that); each pair at most once a day.
- **venue**: every day, about `VENUE` exposures a person (twice that at weekends), mostly with someone
  of the same commune (a bar, a shop, a sports club).
- **transport**: on weekdays, about `TRANSPORT` exposures a person, with anyone.
"""

from __future__ import annotations

import math
import random
from array import array
from collections.abc import Iterator, Sequence
from datetime import date, timedelta
from typing import Literal, NamedTuple

from serment.demo.population import Population

ExposureSetting = Literal["household", "work", "school", "venue", "transport"]
SETTINGS: tuple[ExposureSetting, ...] = ("household", "work", "school", "venue", "transport")
# Others of one's workplace or school met closely (within 2 m, 15 minutes or more) on a day there.
CLOSE_CONTACTS: dict[ExposureSetting, float] = {"work": 2.0, "school": 4.0}
# Exposures a person has at venues each day (doubled on Saturday and Sunday), and in transport on weekdays.
VENUE, TRANSPORT = 0.3, 0.1
_WEEKEND_VENUES = 2.0
_SAME_COMMUNE = 0.9


class Exposure(NamedTuple):
    """Two people (indexes into `population.people`) exposed to each other from `date_from` to `date_to`
    in `setting`; `place_id` is the workplace or school, None elsewhere. Read in both directions."""

    person: int
    contact: int
    date_from: date
    date_to: date
    setting: ExposureSetting
    place_id: str | None


def exposures(population: Population, start: date, days: int, seed: int) -> Iterator[Exposure]:
    """Every exposure of `population` over the `days` days from `start` (the last is start + days - 1),
    ordered by `date_from`; for benchmarks. Household exposures come first, each spanning the window."""
    if days < 0:
        raise ValueError(f"the window needs 0 days or more, not {days}")
    if days == 0 or len(population.people) < 2:
        return
    rng = random.Random(f"serment/exposures/{seed}")  # noqa: S311 - synthetic data, not secrets
    last = start + timedelta(days=days - 1)
    for household in population.households:
        members = household.members
        for position, person in enumerate(members):
            for contact in members[position + 1 :]:
                yield Exposure(person, contact, start, last, "household", None)
    mixing = _Mixing(population)
    for offset in range(days):
        day = start + timedelta(days=offset)
        weekday = day.weekday() < 5
        if weekday:
            for place in population.places:
                setting: ExposureSetting = "work" if place.kind == "work" else "school"
                for person, contact in _pairs_met(rng, place.members, CLOSE_CONTACTS[setting]):
                    yield Exposure(person, contact, day, day, setting, place.id)
        venues = VENUE * (1.0 if weekday else _WEEKEND_VENUES)
        for person, contact in mixing.pairs(rng, venues, _SAME_COMMUNE):
            yield Exposure(person, contact, day, day, "venue", None)
        if weekday:
            for person, contact in mixing.pairs(rng, TRANSPORT, 0.0):
                yield Exposure(person, contact, day, day, "transport", None)


def _pairs_met(rng: random.Random, members: Sequence[int], contacts: float) -> Iterator[tuple[int, int]]:
    """Distinct pairs of `members` meeting on one day, each member in `contacts` of them on average."""
    size = len(members)
    possible = size * (size - 1) // 2
    wanted = min(possible, int(size * contacts / 2 + rng.random()))
    if wanted == possible:
        chosen: Sequence[int] = range(possible)
    else:
        chosen = rng.sample(range(possible), wanted)
    for number in chosen:
        first, second = _pair(number)
        yield members[first], members[second]


def _pair(number: int) -> tuple[int, int]:
    """The pair (i, j), j < i, at position `number` of the sequence (1, 0), (2, 0), (2, 1), (3, 0)..."""
    first = (1 + math.isqrt(1 + 8 * number)) // 2
    return first, number - first * (first - 1) // 2


class _Mixing:
    """Who lives in which commune, as two int arrays (8 bytes a person), for meetings out and about."""

    def __init__(self, population: Population) -> None:
        communes: dict[tuple[str, str], int] = {}
        home = [
            communes.setdefault((household.postal_code, household.city), len(communes))
            for household in population.households
        ]
        self.size = len(population.people)
        self.commune_of = array("I", (home[person.household] for person in population.people))
        counts = [0] * len(communes)
        for commune in self.commune_of:
            counts[commune] += 1
        # People ordered by commune: commune c holds by_commune[first[c] : first[c + 1]].
        self.first = array("I", [0] * (len(communes) + 1))
        for commune, count in enumerate(counts):
            self.first[commune + 1] = self.first[commune] + count
        filled = array("I", self.first[:-1])
        self.by_commune = array("I", [0] * self.size)
        for person, commune in enumerate(self.commune_of):
            self.by_commune[filled[commune]] = person
            filled[commune] += 1

    def pairs(self, rng: random.Random, per_person: float, same_commune: float) -> Iterator[tuple[int, int]]:
        """About `per_person` / 2 pairs a person of two different people; the second, with probability
        `same_commune`, from the first one's commune when anyone else lives there."""
        size = self.size
        for _ in range(int(size * per_person / 2 + rng.random())):
            person = rng.randrange(size)
            commune = self.commune_of[person]
            low, high = self.first[commune], self.first[commune + 1]
            if high - low > 1 and rng.random() < same_commune:
                contact = self.by_commune[low + rng.randrange(high - low - 1)]
                contact = self.by_commune[high - 1] if contact == person else contact
            else:
                contact = rng.randrange(size - 1)
                contact = size - 1 if contact == person else contact
            yield person, contact
