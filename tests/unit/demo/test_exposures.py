"""The exposure stream: the contact structure of a population, seeded, in the promised shapes, and
growing with the people and the days."""

from collections import Counter
from datetime import date, timedelta
from functools import cache
from itertools import combinations, islice

import pytest

from serment.demo.exposures import CLOSE_CONTACTS, SETTINGS, TRANSPORT, VENUE, Exposure, exposures
from serment.demo.population import Population, generate_population

MONDAY = date(2026, 3, 2)
WEEK = 7


@cache
def population(people: int, seed: int = 7) -> Population:
    return generate_population(people, seed, start=MONDAY)


@cache
def week(people: int, seed: int = 7) -> tuple[Exposure, ...]:
    return tuple(exposures(population(people), MONDAY, WEEK, seed))


def test_the_same_seed_gives_the_same_stream_and_another_seed_another() -> None:
    first = week(3000)
    assert tuple(exposures(population(3000), MONDAY, WEEK, 7)) == first
    other = tuple(exposures(population(3000), MONDAY, WEEK, 8))
    assert other != first
    # The households are the population's: only the draws of the day differ.
    households = [exposure for exposure in first if exposure.setting == "household"]
    assert [exposure for exposure in other if exposure.setting == "household"] == households


def test_every_exposure_is_between_two_people_inside_the_window_in_a_known_setting() -> None:
    people = len(population(3000).people)
    last = MONDAY + timedelta(days=WEEK - 1)
    for exposure in week(3000):
        assert 0 <= exposure.person < people
        assert 0 <= exposure.contact < people
        assert exposure.person != exposure.contact
        assert MONDAY <= exposure.date_from <= exposure.date_to <= last
        assert exposure.setting in SETTINGS
    assert {exposure.setting for exposure in week(3000)} == set(SETTINGS)
    dates = [exposure.date_from for exposure in week(3000)]
    assert dates == sorted(dates)


def test_every_pair_of_a_household_is_exposed_once_over_the_whole_window() -> None:
    generated = population(3000)
    last = MONDAY + timedelta(days=WEEK - 1)
    found = [exposure for exposure in week(3000) if exposure.setting == "household"]
    assert all((e.date_from, e.date_to, e.place_id) == (MONDAY, last, None) for e in found)
    pairs = Counter(frozenset((e.person, e.contact)) for e in found)
    expected = {
        frozenset(pair) for household in generated.households for pair in combinations(household.members, 2)
    }
    assert set(pairs) == expected
    assert set(pairs.values()) == {1}
    assert all(generated.people[e.person].household == generated.people[e.contact].household for e in found)


def test_workplace_and_school_exposures_are_between_members_of_that_place_on_weekdays() -> None:
    generated = population(3000)
    members = {place.id: set(place.members) for place in generated.places}
    kinds = {place.id: place.kind for place in generated.places}
    seen: Counter[tuple[str, date, frozenset[int]]] = Counter()
    for exposure in week(3000):
        if exposure.setting not in ("work", "school"):
            continue
        assert exposure.place_id is not None
        assert kinds[exposure.place_id] == exposure.setting
        assert {exposure.person, exposure.contact} <= members[exposure.place_id]
        assert exposure.date_from == exposure.date_to
        assert exposure.date_from.weekday() < 5
        seen[exposure.place_id, exposure.date_from, frozenset((exposure.person, exposure.contact))] += 1
    assert set(seen.values()) == {1}, "a pair met twice the same day at the same place"


def test_venues_are_mostly_within_a_commune_and_transport_anywhere_on_weekdays() -> None:
    generated = population(3000)

    def commune(person: int) -> tuple[str, str]:
        household = generated.households[generated.people[person].household]
        return household.postal_code, household.city

    venues = [e for e in week(3000) if e.setting == "venue"]
    transport = [e for e in week(3000) if e.setting == "transport"]
    assert all(e.place_id is None and e.date_from == e.date_to for e in venues + transport)
    assert all(e.date_from.weekday() < 5 for e in transport)
    same = sum(commune(e.person) == commune(e.contact) for e in venues) / len(venues)
    assert 0.85 < same < 0.97
    weekend = sum(e.date_from.weekday() >= 5 for e in venues) / len(venues)
    assert weekend == pytest.approx(2 * 2 / (5 + 2 * 2), abs=0.03)


def test_each_person_has_about_the_promised_contacts_a_day() -> None:
    generated = population(20_000)
    counts = Counter(e.setting for e in exposures(generated, MONDAY, 5, 3))
    workers = sum(len(place.members) for place in generated.places if place.kind == "work")
    pupils = sum(len(place.members) for place in generated.places if place.kind == "school")
    people = len(generated.people)
    # Each exposure counts for its two people; small workplaces cannot give everyone two colleagues.
    assert 2 * counts["work"] / (5 * workers) == pytest.approx(CLOSE_CONTACTS["work"], rel=0.1)
    assert 2 * counts["school"] / (5 * pupils) == pytest.approx(CLOSE_CONTACTS["school"], rel=0.05)
    assert 2 * counts["venue"] / (5 * people) == pytest.approx(VENUE, rel=0.02)
    assert 2 * counts["transport"] / (5 * people) == pytest.approx(TRANSPORT, rel=0.02)


def test_counts_grow_in_proportion_to_the_people_and_the_days() -> None:
    def counted(people: int, days: int) -> Counter[str]:
        return Counter(e.setting for e in exposures(population(people), MONDAY, days, 1))

    small, large, longer = counted(5_000, WEEK), counted(20_000, WEEK), counted(5_000, 4 * WEEK)
    for setting in SETTINGS:
        assert large[setting] / small[setting] == pytest.approx(4, rel=0.15), setting
        if setting != "household":
            assert longer[setting] / small[setting] == pytest.approx(4, rel=0.05), setting
    assert longer["household"] == small["household"]


def test_the_stream_is_lazy_and_empty_without_days_or_people() -> None:
    stream = exposures(population(3000), MONDAY, 10_000, 7)
    assert len(list(islice(stream, 5))) == 5
    assert list(exposures(population(3000), MONDAY, 0, 7)) == []
    assert list(exposures(generate_population(1, 1, start=MONDAY), MONDAY, WEEK, 7)) == []
    with pytest.raises(ValueError, match="0 days or more"):
        list(exposures(population(3000), MONDAY, -1, 7))
