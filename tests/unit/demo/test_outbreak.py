"""The synthetic outbreak: who infects whom, and the results and case reports it leaves, in order."""

from collections import Counter
from datetime import date, timedelta
from functools import cache
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from serment.demo.outbreak import (
    LOINC,
    CaseReportEvent,
    Outbreak,
    ResultEvent,
    simulate_outbreak,
)
from serment.demo.population import Population, generate_population
from serment.secrecy import make_identity, normalise_name

START = date(2026, 3, 2)
DEMO_PEOPLE, DEMO_DAYS = 20_000, 60


@cache
def population(people: int, seed: int = 7) -> Population:
    return generate_population(people, seed, start=START)


@cache
def demo_outbreak(seed: int) -> Outbreak:
    """The size `make demo` runs."""
    return simulate_outbreak(population(DEMO_PEOPLE), days=DEMO_DAYS, seed=seed, start=START)


def assert_consistent(generated: Population, outbreak: Outbreak, days: int) -> None:
    """The invariants every outbreak keeps, whatever its parameters."""
    end = START + timedelta(days=days)
    people = generated.people
    reported_on = [event.reported_on for event in outbreak.events]
    assert reported_on == sorted(reported_on)
    assert all(START <= day <= end for day in reported_on)
    positive: dict[int, date] = {}
    reported: set[int] = set()
    for event in outbreak.events:
        if isinstance(event, ResultEvent):
            assert START <= event.sample_date < event.result_date == event.reported_on
            assert (event.result_date - event.sample_date).days in (1, 2)
            assert event.loinc == LOINC[event.test_type]
            if event.value == "positive":
                assert event.person in outbreak.infected
                positive.setdefault(event.person, event.result_date)
            continue
        assert event.person not in reported
        reported.add(event.person)
        if event.status == "confirmed":
            assert positive[event.person] <= event.reported_on
        else:
            assert event.person in outbreak.infected
        assert_report_consistent(generated, event)
    infectees = [target for _, target, _, _ in outbreak.transmissions]
    assert len(set(infectees)) == len(infectees)
    infected_on = {target: day for _, target, day, _ in outbreak.transmissions}
    for source, target, day, setting in outbreak.transmissions:
        assert source != target
        assert {source, target} <= outbreak.infected
        assert day <= end
        assert day > infected_on.get(source, START - timedelta(days=1))
        if setting == "household":
            assert people[source].household == people[target].household


def assert_report_consistent(generated: Population, report: CaseReportEvent) -> None:
    """Contacts are other people, named once, exposed before the report, in the index person's places."""
    assert report.asymptomatic == (report.onset_date is None)
    if report.onset_date is not None:
        assert report.onset_date <= report.reported_on
    named = [contact.person for contact in report.contacts]
    assert report.person not in named
    assert len(set(named)) == len(named)
    index = generated.people[report.person]
    for contact in report.contacts:
        assert START <= contact.date <= report.reported_on
        contact_person = generated.people[contact.person]
        if contact.setting == "household":
            assert contact_person.household == index.household
        if contact.setting in ("work", "school"):
            assert contact.place_id in (index.workplace, index.school)
            assert contact.place_id in (contact_person.workplace, contact_person.school)
        else:
            assert contact.place_id is None
        if contact.typo is not None:
            assert_typo_is_plausible(generated, contact.person, contact.typo)


def assert_typo_is_plausible(generated: Population, index: int, typo: dict[str, str]) -> None:
    """A typo alters one field and still makes an identity the platform accepts."""
    person = generated.people[index]
    assert len(typo) == 1
    payload = person.identity_payload(generated.households[person.household], typo)
    identity = make_identity(
        nir=str(payload.get("nir", "")),
        family_name=str(payload["family_name"]),
        given_names=str(payload["given_names"]),
        birth_date=str(payload["birth_date"]),
        sex=str(payload["sex"]),
        today=START,
    )
    ((field, value),) = typo.items()
    if field == "nir":
        assert value == ""
        assert person.nir is not None
        assert identity.nir is None
    else:
        original = getattr(person, field)
        assert abs(len(value) - len(original)) <= 1
        assert normalise_name(value) != normalise_name(original)


def test_the_demo_outbreak_keeps_every_invariant() -> None:
    outbreak = demo_outbreak(1)
    assert_consistent(population(DEMO_PEOPLE), outbreak, DEMO_DAYS)
    summary = outbreak.summary()
    assert summary["confirmed"] > 20
    assert summary["results"] > summary["positive_results"] > 0


def test_the_same_seed_gives_the_same_outbreak_and_another_seed_another() -> None:
    again = simulate_outbreak(population(DEMO_PEOPLE), days=DEMO_DAYS, seed=1, start=START)
    assert again == demo_outbreak(1)
    assert demo_outbreak(2) != demo_outbreak(1)


def test_results_are_rt_pcr_mostly_antigen_sometimes_with_their_loinc_codes() -> None:
    results = [event for event in demo_outbreak(1).events if isinstance(event, ResultEvent)]
    kinds = Counter(result.test_type for result in results)
    assert kinds["rt-pcr"] > 2 * kinds["antigen"] > 0
    assert {(r.test_type, r.loinc) for r in results} >= {("rt-pcr", "94500-6"), ("antigen", "94558-4")}
    assert {result.value for result in results} >= {"positive", "negative"}


def test_reports_name_household_members_and_colleagues_with_some_typos() -> None:
    reports = [
        event
        for seed in range(1, 6)
        for event in demo_outbreak(seed).events
        if isinstance(event, CaseReportEvent)
    ]
    settings_named = Counter(contact.setting for report in reports for contact in report.contacts)
    assert settings_named["household"] > 0
    assert settings_named["work"] > 0
    assert settings_named["school"] > 0
    assert {report.status for report in reports} == {"confirmed", "probable", "suspected"}
    contacts = [contact for report in reports for contact in report.contacts]
    typos = [contact for contact in contacts if contact.typo is not None]
    assert 0 < len(typos) < 0.1 * len(contacts)
    assert any(report.hospitalised for report in reports)


def test_r_is_roughly_respected_before_depletion() -> None:
    """Mean offspring of the people infected in the first half, over many seeds."""
    infected = offspring = 0
    for seed in range(40):
        outbreak = (
            demo_outbreak(seed)
            if seed < 6
            else simulate_outbreak(population(DEMO_PEOPLE), days=DEMO_DAYS, seed=seed, start=START)
        )
        children = Counter(source for source, _, _, _ in outbreak.transmissions)
        infected_on = {target: day for _, target, day, _ in outbreak.transmissions}
        early = [
            person
            for person in outbreak.infected
            if infected_on.get(person, START) <= START + timedelta(days=30)
        ]
        infected += len(early)
        offspring += sum(children[person] for person in early)
    assert 0.8 < offspring / infected < 2.0


def test_serial_intervals_are_positive_and_near_their_mean() -> None:
    outbreak = simulate_outbreak(
        population(DEMO_PEOPLE), days=120, seed=3, r=1.5, serial_interval_mean=6.0, start=START
    )
    infected_on = {target: day for _, target, day, _ in outbreak.transmissions}
    intervals = [
        (day - infected_on[source]).days
        for source, _, day, _ in outbreak.transmissions
        if source in infected_on
    ]
    assert min(intervals) >= 1
    assert 4.5 < sum(intervals) / len(intervals) < 7.5


def test_without_transmission_only_the_seeds_are_infected() -> None:
    outbreak = simulate_outbreak(population(2000), days=30, seed=4, r=0.0, seeds=7, start=START)
    assert len(outbreak.infected) == 7
    assert outbreak.transmissions == ()


def test_without_seeds_there_are_only_negative_background_tests() -> None:
    outbreak = simulate_outbreak(population(2000), days=30, seed=4, seeds=0, start=START)
    assert outbreak.infected == frozenset()
    assert all(isinstance(event, ResultEvent) for event in outbreak.events)
    assert {event.value for event in outbreak.events if isinstance(event, ResultEvent)} <= {
        "negative",
        "indeterminate",
    }
    assert outbreak.summary()["positivity"] == 0.0


def test_the_summary_counts_the_events() -> None:
    outbreak = demo_outbreak(1)
    results = [event for event in outbreak.events if isinstance(event, ResultEvent)]
    reports = [event for event in outbreak.events if isinstance(event, CaseReportEvent)]
    summary = outbreak.summary()
    assert summary["infected"] == len(outbreak.infected)
    assert summary["reported_cases"] == len(reports)
    assert summary["confirmed"] + summary["probable"] + summary["suspected"] == len(reports)
    assert summary["results"] == len(results)
    assert summary["contacts"] == sum(len(report.contacts) for report in reports)
    positive = sum(result.value == "positive" for result in results)
    assert summary["positivity"] == pytest.approx(positive / len(results), abs=1e-4)


@pytest.mark.parametrize(
    "parameters",
    [{"days": -1}, {"seeds": -1}, {"r": -0.5}, {"serial_interval_mean": 0.0}, {"serial_interval_sd": 0.0}],
)
def test_impossible_parameters_are_refused(parameters: dict[str, float]) -> None:
    arguments: dict[str, Any] = {"days": 10, "seed": 1, "start": START, **parameters}
    with pytest.raises(ValueError, match="serial interval"):
        simulate_outbreak(population(50), **arguments)


@settings(max_examples=60, deadline=None)
@given(
    people=st.sampled_from([1, 2, 40, 300, 1000]),
    population_seed=st.integers(0, 3),
    seed=st.integers(0, 2**32),
    days=st.integers(0, 50),
    r=st.floats(0.0, 4.0),
    mean=st.floats(1.0, 9.0),
    sd=st.floats(0.3, 4.0),
    seeds=st.integers(0, 12),
)
def test_any_outbreak_keeps_every_invariant(
    people: int, population_seed: int, seed: int, days: int, r: float, mean: float, sd: float, seeds: int
) -> None:
    generated = population(people, population_seed)
    outbreak = simulate_outbreak(
        generated,
        days=days,
        seed=seed,
        r=r,
        serial_interval_mean=mean,
        serial_interval_sd=sd,
        seeds=seeds,
        start=START,
    )
    assert_consistent(generated, outbreak, days)
    assert len(outbreak.infected) >= min(seeds, people)


def test_a_vanishingly_small_r_infects_only_the_seeds() -> None:
    # r / dispersion underflows to 0.0 for a denormal r: found by the property test above.
    outbreak = simulate_outbreak(population(40), days=10, seed=0, r=5e-324, seeds=1, start=START)
    assert len(outbreak.infected) <= 1
