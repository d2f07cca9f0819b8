"""A synthetic outbreak over a population's households, workplaces and schools, and what it leaves in the
records: laboratory results and case reports naming contacts, with the gaps and typos of real reporting.

Pure and seeded (synthetic data, never secrets: `random.Random` suits). Transmission is a branching process
over the contact structure; tracing does not slow it: the demo shows what is reported, not its effect.
"""

from __future__ import annotations

import heapq
import math
import random
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Literal

from serment.demo.population import Person, Population
from serment.secrecy import normalise_name

Setting = Literal["household", "work", "school", "health_care", "venue", "transport", "other"]
TestType = Literal["rt-pcr", "antigen", "serology"]
Value = Literal["positive", "negative", "indeterminate"]
Status = Literal["confirmed", "probable", "suspected"]

LOINC: dict[TestType, str] = {"rt-pcr": "94500-6", "antigen": "94558-4", "serology": "94563-4"}
LABS: dict[TestType, tuple[str, ...]] = {
    "rt-pcr": ("Laboratoire des Tilleuls", "Biologie Médicale du Centre", "Laboratoire Saint-Roch"),
    "antigen": ("Pharmacie du Marché", "Pharmacie de la Gare", "Centre de dépistage municipal"),
    "serology": ("Biologie Médicale du Centre",),
}

# Where the infected infect, as cumulative weights: household, work or school, venue, transport.
_TRANSMISSION_WEIGHTS = (0.45, 0.75, 0.9, 1.0)
_VENUE = 0.6
_SETTINGS: tuple[Setting, ...] = ("household", "work", "school", "venue", "transport", "other", "health_care")
# Dispersion of the offspring count (negative binomial): moderate superspreading.
_DISPERSION = 4.0
# Incubation: lognormal of median 4.6 days (log-mean, log-sd).
_INCUBATION = (math.log(4.6), 0.4)
# Of the infected, symptomatic, else screened anyway; of the symptomatic, tested, else reported as suspected.
_SYMPTOMATIC, _SCREENED, _SEEKS_TEST, _SUSPECTED_WITHOUT_TEST = 0.65, 0.1, 0.7, 0.4
# Of named contacts, tested; of the untested symptomatic of the household, reported as probable.
_CONTACT_TESTED, _CONTACT_PROBABLE = 0.75, 0.5
# Gaps: positive results reported as cases, household members named, contacts named with a typo.
_REPORTED_WHEN_POSITIVE, _HOUSEHOLD_NAMED, _TYPO = 0.92, 0.93, 0.04
_INFECTEE_NAMED = {"household": 0.95, "work": 0.8, "school": 0.8, "venue": 0.3, "transport": 0.2}
# Tests: RT-PCR rather than antigen, indeterminate results; detectable window after infection (days) and
# sensitivity inside it.
_RT_PCR, _INDETERMINATE = 0.8, 0.01
_DETECTABLE = {"rt-pcr": (2, 21, 0.95), "antigen": (3, 10, 0.8), "serology": (10, 10_000, 0.9)}
# Tests per person per day for other reasons (travel, other illnesses): mostly negative.
_BACKGROUND_TESTS = 0.0003
_SAMPLE, _REPORT, _SEROLOGY = 0, 1, 2
_STATUSES: tuple[Status, ...] = ("confirmed", "probable", "suspected")
# The day each infected person was infected, and the transmissions (infector, infectee, day, setting code).
_Spread = tuple[dict[int, int], list[tuple[int, int, int, int]]]


@dataclass(frozen=True, slots=True)
class ContactEvent:
    """A person named by a clinician as exposed on `date`; `typo` holds fields reported wrongly.

    In `typo` an empty value means the field was left out (a NIR not given); apply it with
    `Person.identity_payload(household, typo)`.
    """

    person: int
    date: date
    setting: Setting
    place_id: str | None
    typo: dict[str, str] | None = field(default=None, hash=False)


@dataclass(frozen=True, slots=True)
class ResultEvent:
    """A laboratory result sent on `reported_on` (its result date)."""

    reported_on: date
    person: int
    sample_date: date
    result_date: date
    test_type: TestType
    loinc: str
    value: Value
    lab: str


@dataclass(frozen=True, slots=True)
class CaseReportEvent:
    """A clinician's case report; `onset_date` is None when no symptoms were known on `reported_on`."""

    reported_on: date
    person: int
    status: Status
    onset_date: date | None
    asymptomatic: bool
    hospitalised: bool
    contacts: tuple[ContactEvent, ...]


Event = ResultEvent | CaseReportEvent


@dataclass(frozen=True, slots=True)
class Outbreak:
    """The events to submit in order, who was infected, and who infected whom (infector, infectee,
    date, setting) for checking what tracing finds against the truth."""

    events: tuple[Event, ...]
    infected: frozenset[int]
    transmissions: tuple[tuple[int, int, date, str], ...]

    def summary(self) -> dict[str, int | float]:
        """Counts for a console line or a benchmark: infected, cases, results, contacts, positivity."""
        results = [event for event in self.events if isinstance(event, ResultEvent)]
        reports = [event for event in self.events if isinstance(event, CaseReportEvent)]
        positive = sum(result.value == "positive" for result in results)
        return {
            "infected": len(self.infected),
            "transmissions": len(self.transmissions),
            "reported_cases": len(reports),
            **{status: sum(report.status == status for report in reports) for status in _STATUSES},
            "results": len(results),
            "positive_results": positive,
            "contacts": sum(len(report.contacts) for report in reports),
            "positivity": round(positive / len(results), 4) if results else 0.0,
        }


def simulate_outbreak(
    population: Population,
    *,
    days: int,
    seed: int,
    r: float = 1.3,
    serial_interval_mean: float = 5.0,
    serial_interval_sd: float = 2.0,
    seeds: int = 5,
    start: date,
) -> Outbreak:
    """An outbreak of `days` days from `start`, begun by `seeds` infections, for the demo and benchmarks.

    `r` is the mean number of people each infected person infects in a susceptible population; the
    serial interval (days from one infection to the next) is gamma-distributed with the given mean and
    standard deviation. No event is dated after `start + days`.
    """
    if days < 0 or seeds < 0 or r < 0 or serial_interval_mean <= 0 or serial_interval_sd <= 0:
        raise ValueError("days, seeds and r must be 0 or more; the serial interval mean and sd above 0")
    rng = random.Random(seed)  # noqa: S311 - synthetic data, not secrets
    structure = _Structure(population)
    spread = structure.spread(rng, days, seeds, (r, serial_interval_mean, serial_interval_sd))
    infected_on, transmissions = spread
    dates = [start + timedelta(days=day) for day in range(days + 1)]
    events = _Reporting(structure, rng, dates, spread).run()
    return Outbreak(
        tuple(events),
        frozenset(infected_on),
        tuple((source, target, dates[day], _SETTINGS[code]) for source, target, day, code in transmissions),
    )


class _Structure:
    """Who meets whom, as lists of ints: each person's household and place (workplace, else school)."""

    def __init__(self, population: Population) -> None:
        self.people = people = population.people
        self.size = len(people)
        self.households = [household.members for household in population.households]
        self.household_of = [person.household for person in people]
        place_index = {place.id: index for index, place in enumerate(population.places)}
        self.places = [place.members for place in population.places]
        self.place_ids = [place.id for place in population.places]
        self.place_setting = [1 if place.kind == "work" else 2 for place in population.places]
        self.place_of = [place_index.get(person.workplace or person.school or "", -1) for person in people]

    def co_member(self, rng: random.Random, members: tuple[int, ...], person: int, claimed: set[int]) -> int:
        """Another member of `members` (which holds `person`) neither infected nor about to be, or -1
        when three draws find none: people infect their susceptible contacts."""
        for _ in range(3 if len(members) > 1 else 0):
            other = members[rng.randrange(len(members) - 1)]
            other = members[-1] if other == person else other
            if other not in claimed:
                return other
        return -1

    def spread(self, rng: random.Random, days: int, seeds: int, rates: tuple[float, float, float]) -> _Spread:
        """Infection day of each infected person and the transmissions (infector, infectee, day, setting),
        from `rates`: R, then the mean and standard deviation of the serial interval."""
        r, mean, sd = rates
        shape, scale = (mean / sd) ** 2, sd * sd / mean
        infected_on: dict[int, int] = {}
        transmissions: list[tuple[int, int, int, int]] = []
        queue = [
            (rng.randint(0, min(2, days)), person, -1, 0)
            for person in rng.sample(range(self.size), min(seeds, self.size))
        ]
        heapq.heapify(queue)
        # Infected or already scheduled to be: each person is infected once, by the first to draw them.
        claimed = {person for _, person, _, _ in queue}
        while queue:
            day, person, source, code = heapq.heappop(queue)
            infected_on[person] = day
            if source >= 0:
                transmissions.append((source, person, day, code))
            household = self.households[self.household_of[person]]
            place = self.place_of[person]
            for _ in range(
                _poisson(rng, rng.gammavariate(_DISPERSION, r / _DISPERSION) if r / _DISPERSION > 0 else 0.0)
            ):
                where = rng.choices(range(4), cum_weights=_TRANSMISSION_WEIGHTS)[0]
                target = -1
                if where == 0:
                    target, code = self.co_member(rng, household, person, claimed), 0
                elif where == 1 and place >= 0:
                    target = self.co_member(rng, self.places[place], person, claimed)
                    code = self.place_setting[place]
                if target < 0:
                    # No one left to infect at home or at work: the transmission happens out and about.
                    code = 3 if rng.random() < _VENUE else 4
                    target = rng.randrange(self.size)
                later = day + max(1, round(rng.gammavariate(shape, scale)))
                if target not in claimed and later <= days:
                    claimed.add(target)
                    heapq.heappush(queue, (later, target, person, code))
        return infected_on, transmissions


def _poisson(rng: random.Random, mean: float) -> int:
    if mean > 30:
        return max(0, round(rng.gauss(mean, math.sqrt(mean))))
    limit, count, product = math.exp(-mean), 0, rng.random()
    while product > limit:
        count += 1
        product *= rng.random()
    return count


class _Reporting:
    """Turns infections into the tests, results and case reports a surveillance system would receive."""

    def __init__(self, structure: _Structure, rng: random.Random, dates: list[date], spread: _Spread) -> None:
        self.structure = structure
        self.rng = rng
        self.days = len(dates) - 1
        self.dates = dates
        self.infected_on, transmissions = spread
        self.onset: dict[int, int] = {}
        self.admitted: dict[int, int] = {}
        self.infectees: dict[int, list[tuple[int, int, int]]] = {}
        for source, target, day, code in transmissions:
            self.infectees.setdefault(source, []).append((target, day, code))
        self.queue: list[tuple[int, int, int, int]] = []
        self.last_sample: dict[int, int] = {}
        self.positive_sample: dict[int, int] = {}
        self.reported: set[int] = set()
        self.events: list[tuple[int, int, int, Event]] = []

    def run(self) -> list[Event]:
        rng = self.rng
        for person, day in sorted(self.infected_on.items()):
            self.course(person, day)
        for day in range(self.days + 1):
            expected = self.structure.size * _BACKGROUND_TESTS
            for _ in range(int(expected + rng.random())):
                self.schedule(day, _SAMPLE, rng.randrange(self.structure.size), 0)
        while self.queue:
            day, action, person, argument = heapq.heappop(self.queue)
            if action == _REPORT:
                self.report(day, person, _STATUSES[argument])
            else:
                self.sample(day, person, serology=action == _SEROLOGY)
        self.events.sort(key=lambda entry: entry[:3])
        return [event for *_, event in self.events]

    def schedule(self, day: int, action: int, person: int, argument: int) -> None:
        if day <= self.days:
            heapq.heappush(self.queue, (day, action, person, argument))

    def course(self, person: int, infected: int) -> None:
        """Symptoms, hospital and the tests and reports they lead to, independently of being named."""
        rng = self.rng
        if rng.random() >= _SYMPTOMATIC:
            if rng.random() < _SCREENED:
                self.schedule(infected + rng.randint(2, 10), _SAMPLE, person, 0)
            return
        onset = infected + max(1, min(14, round(rng.lognormvariate(*_INCUBATION))))
        self.onset[person] = onset
        age = (self.dates[0] - self.structure.people[person].birth_date).days // 365
        if rng.random() < (0.1 if age >= 65 else 0.005 if age < 18 else 0.02):
            admitted = onset + rng.randint(3, 8)
            self.admitted[person] = admitted
            self.schedule(admitted, _SAMPLE, person, 0)
            if rng.random() < 0.3:
                self.schedule(onset + 14, _SEROLOGY, person, 0)
        if rng.random() < _SEEKS_TEST:
            self.schedule(onset + rng.randint(1, 3), _SAMPLE, person, 0)
        elif rng.random() < _SUSPECTED_WITHOUT_TEST:
            self.schedule(onset + rng.randint(1, 3), _REPORT, person, _STATUSES.index("suspected"))

    def sample(self, day: int, person: int, *, serology: bool) -> None:
        rng = self.rng
        # One sample at a time (serology aside), none once positive.
        if (person in self.positive_sample and not serology) or self.last_sample.get(person, -10) >= day - 2:
            return
        self.last_sample[person] = day
        kind: TestType = "serology" if serology else "rt-pcr" if rng.random() < _RT_PCR else "antigen"
        result = day + rng.randint(1, 2)
        if result > self.days:
            return
        infected = self.infected_on.get(person)
        first, last, sensitivity = _DETECTABLE[kind]
        detectable = infected is not None and first <= day - infected <= last
        value: Value = "negative"
        if rng.random() < _INDETERMINATE:
            value = "indeterminate"
        elif detectable and rng.random() < sensitivity:
            value = "positive"
        lab = rng.choice(LABS[kind])
        dates = self.dates
        event = ResultEvent(dates[result], person, dates[day], dates[result], kind, LOINC[kind], value, lab)
        self.events.append((result, 0, person, event))
        if value == "positive" and not serology:
            self.positive_sample[person] = day
            if rng.random() < _REPORTED_WHEN_POSITIVE:
                self.schedule(result + rng.randint(0, 1), _REPORT, person, 0)

    def report(self, day: int, person: int, status: Status) -> None:
        rng = self.rng
        if person in self.reported:
            return
        self.reported.add(person)
        onset = self.onset.get(person)
        known_onset = onset if onset is not None and onset <= day else None
        anchor = known_onset if known_onset is not None else self.positive_sample.get(person, day)
        admitted = self.admitted.get(person)
        hospitalised = admitted is not None and admitted <= day
        contacts = self.contacts(person, day, max(0, anchor - 2), min(anchor, day), admitted)
        onset_date, when = None if known_onset is None else self.dates[known_onset], self.dates[day]
        event = CaseReportEvent(when, person, status, onset_date, onset_date is None, hospitalised, contacts)
        self.events.append((day, 1, person, event))
        for contact in contacts:
            named = contact.person
            if named in self.positive_sample:
                continue
            if rng.random() < _CONTACT_TESTED:
                self.schedule(day + rng.randint(1, 3), _SAMPLE, named, 0)
                continue
            # A symptomatic household contact left untested is a probable case for the clinician.
            named_onset = self.onset.get(named, day + 4)
            if contact.setting == "household" and named_onset <= day + 3 and rng.random() < _CONTACT_PROBABLE:
                later = max(day, named_onset) + rng.randint(1, 2)
                self.schedule(later, _REPORT, named, _STATUSES.index("probable"))

    def contacts(
        self, person: int, day: int, first: int, last_out: int, admitted: int | None
    ) -> tuple[ContactEvent, ...]:
        """Household members to `day`; a sample of the workplace or school to `last_out`, when the person
        stayed home; the people they infected in the window, when the clinician hears of them."""
        rng = self.rng
        structure = self.structure
        found: dict[int, tuple[int, int, int]] = {}
        for member in structure.households[structure.household_of[person]]:
            if member != person and rng.random() < _HOUSEHOLD_NAMED:
                found[member] = (max(first, day - rng.randint(0, 1)), 0, -1)
        place = structure.place_of[person]
        if place >= 0 and len(structure.places[place]) > 1:
            members = structure.places[place]
            code = structure.place_setting[place]
            wanted = rng.randint(2, 8) if code == 1 else rng.randint(3, 10)
            for member in rng.sample(members, min(wanted, len(members))):
                if member != person and member not in found:
                    found[member] = (rng.randint(first, last_out), code, place)
        for target, infected, code in self.infectees.get(person, ()):
            setting = _SETTINGS[code]
            if first <= infected <= day and target not in found and rng.random() < _INFECTEE_NAMED[setting]:
                found[target] = (infected, code, place if code in (1, 2) else -1)
        # A friend met, and the staff of a hospital stay, are named by chance: random people.
        if rng.random() < 0.2:
            found.setdefault(rng.randrange(structure.size), (rng.randint(first, day), 5, -1))
        if admitted is not None and admitted <= day and rng.random() < 0.5:
            for _ in range(rng.randint(1, 2)):
                found.setdefault(rng.randrange(structure.size), (max(first, admitted), 6, -1))
        found.pop(person, None)
        return tuple(
            self.contact(member, when, _SETTINGS[code], structure.place_ids[where] if where >= 0 else None)
            for member, (when, code, where) in found.items()
        )

    def contact(self, person: int, day: int, setting: Setting, place_id: str | None) -> ContactEvent:
        typo = _typo(self.structure.people[person], self.rng) if self.rng.random() < _TYPO else None
        return ContactEvent(person, self.dates[day], setting, place_id, typo)


def _typo(person: Person, rng: random.Random) -> dict[str, str]:
    """One field reported wrongly: a dropped or swapped letter in a name, or a NIR left out."""
    fields = ["family_name", "given_names"] + (["nir"] if person.nir else [])
    chosen = rng.choice(fields)
    if chosen == "nir":
        return {"nir": ""}
    name = person.family_name if chosen == "family_name" else person.given_names
    letters = [position for position, character in enumerate(name) if character.isalpha()]
    swaps = [
        position
        for position in letters[1:]
        if name[position + 1 : position + 2].isalpha()
        and normalise_name(name[position]) != normalise_name(name[position + 1])
    ]
    if swaps and (len(letters) < 3 or rng.random() < 0.5):
        at = rng.choice(swaps)
        altered = name[:at] + name[at + 1] + name[at] + name[at + 2 :]
    elif len(letters) >= 2:
        at = rng.choice(letters[1:])
        altered = name[:at] + name[at + 1 :]
    else:
        return {"nir": ""} if person.nir else {chosen: name + name[-1]}
    return {chosen: altered}
