"""The synthetic population: valid French identities, households at one address, schools and workplaces."""

import re
from collections import Counter
from datetime import date
from functools import cache

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from serment.demo.population import Population, department_of, generate_population
from serment.secrecy import make_identity, normalise_name, normalise_nir

START = date(2026, 3, 2)
NAME = re.compile(r"[^\W\d_]+([ '\-]+[^\W\d_]+)*")
PHONE = re.compile(r"\+33 [67]( [0-9]{2}){4}")


@cache
def population(people: int, seed: int, start: date = START) -> Population:
    return generate_population(people, seed, start=start)


def age(born: date, today: date = START) -> int:
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


def assert_valid(generated: Population, today: date) -> None:
    """Every identity is accepted as a clinician would send it; every NIR matches its person."""
    assert [person.index for person in generated.people] == list(range(len(generated.people)))
    for person in generated.people:
        identity = make_identity(
            nir=person.nir,
            family_name=person.family_name,
            given_names=person.given_names,
            birth_date=person.birth_date.isoformat(),
            sex=person.sex,
            today=today,
        )
        assert identity.sex == person.sex
        assert NAME.fullmatch(person.family_name), person.family_name
        assert NAME.fullmatch(person.given_names), person.given_names
        if person.nir is not None:
            household = generated.households[person.household]
            assert normalise_nir(person.nir) == person.nir
            assert person.nir[0] == {"M": "1", "F": "2"}.get(person.sex, person.nir[0])
            assert person.nir[0] in "12"
            assert person.nir[1:5] == f"{person.birth_date.year % 100:02d}{person.birth_date.month:02d}"
            assert person.nir[5:7] == department_of(household.postal_code)


def test_the_same_seed_gives_the_same_population_and_another_seed_another() -> None:
    first = generate_population(300, 11, start=START)
    assert generate_population(300, 11, start=START) == first
    assert generate_population(300, 12, start=START) != first


@pytest.mark.parametrize("people", [0, 1, 2, 7])
def test_the_population_has_exactly_the_people_asked_for(people: int) -> None:
    generated = generate_population(people, 3, start=START)
    assert len(generated.people) == people
    assert sorted(index for household in generated.households for index in household.members) == list(
        range(people)
    )


def test_a_negative_size_is_refused() -> None:
    with pytest.raises(ValueError, match="0 people or more"):
        generate_population(-1, 1, start=START)


def test_every_identity_is_valid_and_every_nir_matches_sex_birth_and_postal_code() -> None:
    assert_valid(population(5000, 1), START)


def test_nirs_and_demographic_identities_are_unique() -> None:
    people = population(5000, 1).people
    nirs = [person.nir for person in people if person.nir is not None]
    assert len(set(nirs)) == len(nirs)
    demographic = {
        (normalise_name(p.family_name), normalise_name(p.given_names), p.birth_date, p.sex) for p in people
    }
    assert len(demographic) == len(people)


def test_about_one_in_seven_is_reported_without_a_nir_and_most_adults_can_be_reached() -> None:
    people = population(5000, 1).people
    adults = [person for person in people if age(person.birth_date) >= 18]
    assert 0.1 < sum(person.nir is None for person in people) / len(people) < 0.2
    assert sum(person.phone is not None for person in adults) / len(adults) > 0.75
    assert sum(person.email is not None for person in adults) / len(adults) > 0.6
    assert all(PHONE.fullmatch(person.phone) for person in people if person.phone is not None)
    emails = [person.email for person in people if person.email is not None]
    assert all(re.fullmatch(r"[a-z\-]+\.[a-z\-]+[0-9]+@example\.(org|net|com)", email) for email in emails)
    assert len(set(emails)) == len(emails)


@pytest.mark.parametrize(
    ("postal_code", "department"),
    [
        ("20000", "2A"),
        ("20090", "2A"),
        ("20167", "2A"),
        ("20200", "2B"),
        ("20290", "2B"),
        ("20600", "2B"),
        ("75011", "75"),
        ("01000", "01"),
        ("97110", "97"),
        ("97600", "97"),
    ],
)
def test_the_nir_department_of_a_postal_code(postal_code: str, department: str) -> None:
    assert department_of(postal_code) == department


def test_corsican_and_overseas_communes_give_valid_nirs() -> None:
    seen: dict[str, Population] = {}
    for seed in range(3000):
        generated = generate_population(6, seed, start=START)
        postal_code = generated.households[0].postal_code
        if postal_code.startswith(("20", "97")):
            seen.setdefault(department_of(postal_code) + postal_code[:2], generated)
        if len(seen) == 3:
            break
    assert set(seen) == {"2A20", "2B20", "9797"}
    for key, generated in seen.items():
        assert_valid(generated, START)
        postal_code = generated.households[0].postal_code
        assert "20000" <= postal_code < "20700" or postal_code.startswith("97")
        nirs = [person.nir for person in generated.people if person.nir is not None]
        assert all(nir[5:7] == key[:2] for nir in nirs)


def test_household_sizes_follow_the_french_distribution() -> None:
    sizes = Counter(len(household.members) for household in population(20000, 2).households)
    total = sum(sizes.values())
    expected = {1: 0.37, 2: 0.33, 3: 0.15, 4: 0.10}
    for size, share in expected.items():
        assert abs(sizes[size] / total - share) < 0.03, (size, sizes[size] / total)
    assert abs(sum(count for size, count in sizes.items() if size >= 5) / total - 0.05) < 0.02


def test_a_household_lives_at_one_address_and_mostly_shares_a_family_name() -> None:
    generated = population(5000, 1)
    shared = blended = 0
    for household in generated.households:
        members = [generated.people[index] for index in household.members]
        assert household.members == tuple(range(household.members[0], household.members[-1] + 1))
        assert all(person.household == household.index for person in members)
        assert household.address_line
        assert re.fullmatch(r"[0-9]{5}", household.postal_code)
        assert household.city
        assert age(members[0].birth_date) >= 18
        if len(members) > 1:
            same = len({person.family_name for person in members}) == 1
            shared += same
            blended += not same
    assert shared > 3 * blended > 0


def test_adults_and_children_have_plausible_ages_in_their_household() -> None:
    generated = population(5000, 1)
    for household in generated.households:
        ages = [age(generated.people[index].birth_date) for index in household.members]
        adults = [years for years in ages if years >= 18]
        assert adults
        assert all(0 <= years <= 90 for years in ages)
        for years in ages:
            if years < 18:
                assert min(adults) - years >= 18


def test_children_of_3_to_17_attend_a_school_of_their_commune_and_workers_a_workplace() -> None:
    generated = population(5000, 1)
    places = {place.id: place for place in generated.places}
    assert len(places) == len(generated.places)
    for person in generated.people:
        years = age(person.birth_date)
        assert (person.school is not None) == (3 <= years <= 17)
        if person.workplace is not None:
            assert 18 <= years <= 64
        for place_id, kind in ((person.school, "school"), (person.workplace, "work")):
            if place_id is not None:
                assert places[place_id].kind == kind
                assert person.index in places[place_id].members
    for place in generated.places:
        assert re.fullmatch(rf"{place.kind}-[0-9]{{6}}", place.id)
        assert place.members == tuple(sorted(set(place.members)))
        for index in place.members:
            assert place.id in (generated.people[index].school, generated.people[index].workplace)
        if place.kind == "school":
            postal_codes = {
                generated.households[generated.people[i].household].postal_code for i in place.members
            }
            assert len(postal_codes) == 1
    workers = sum(person.workplace is not None for person in generated.people)
    working_age = sum(18 <= age(person.birth_date) <= 64 for person in generated.people)
    assert 0.6 < workers / working_age < 0.8


def test_workplace_sizes_are_heavy_tailed_from_2_to_300() -> None:
    sizes = sorted(len(place.members) for place in population(20000, 2).places if place.kind == "work")
    assert sizes[0] >= 2
    assert sizes[-1] <= 300
    assert sizes[len(sizes) // 2] <= 5
    assert sizes[-1] >= 100


def test_the_identity_payload_is_the_body_of_post_people_without_empty_fields() -> None:
    generated = population(5000, 1)
    with_everything = next(p for p in generated.people if p.nir and p.phone and p.email)
    household = generated.households[with_everything.household]
    payload = with_everything.identity_payload(household)
    assert payload == {
        "nir": with_everything.nir,
        "family_name": with_everything.family_name,
        "given_names": with_everything.given_names,
        "birth_date": with_everything.birth_date.isoformat(),
        "sex": with_everything.sex,
        "address": {
            "line": household.address_line,
            "postal_code": household.postal_code,
            "city": household.city,
        },
        "phone": with_everything.phone,
        "email": with_everything.email,
    }
    without = next(p for p in generated.people if p.nir is None and p.phone is None and p.email is None)
    assert set(without.identity_payload(generated.households[without.household])) == {
        "family_name",
        "given_names",
        "birth_date",
        "sex",
        "address",
    }
    altered = with_everything.identity_payload(household, {"nir": "", "family_name": "Dupond"})
    assert "nir" not in altered
    assert altered["family_name"] == "Dupond"


def test_a_population_counted_on_29_february_is_born_on_or_before_it() -> None:
    leap = date(2024, 2, 29)
    generated = generate_population(800, 5, start=leap)
    assert_valid(generated, leap)
    assert max(person.birth_date for person in generated.people) <= leap


@settings(max_examples=40, deadline=None)
@given(people=st.integers(0, 150), seed=st.integers(0, 2**32))
def test_any_small_population_is_valid(people: int, seed: int) -> None:
    generated = generate_population(people, seed, start=START)
    assert len(generated.people) == people
    assert_valid(generated, START)
