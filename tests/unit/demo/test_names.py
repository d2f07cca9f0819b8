"""French names and addresses drawn as Faker draws them: for any seed, the same strings in the same order,
so that a seeded population does not change with the faster route."""

import random

from faker import Faker
from hypothesis import given, settings
from hypothesis import strategies as st

from serment.demo.names import clean_address, clean_name, first_name, last_name, street_address

DRAWS = 300


def _faker(seed: int) -> Faker:
    fake = Faker("fr_FR")
    fake.seed_instance(seed)
    return fake


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**32))
def test_each_draw_gives_what_faker_gives_and_leaves_the_generator_where_faker_leaves_it(seed: int) -> None:
    fake = _faker(seed)
    ours = random.Random(seed)
    draws = [(index % 4, random.Random(seed + index).random() < 0.5) for index in range(DRAWS)]
    for kind, female in draws:
        if kind == 0:
            assert last_name(ours) == fake.last_name()
        elif kind == 1:
            expected = fake.first_name_female() if female else fake.first_name_male()
            assert first_name(ours, female=female) == expected
        else:
            assert street_address(ours) == fake.street_address()
    assert ours.random() == fake.random.random()


def test_addresses_have_numbers_of_one_to_three_digits_and_a_french_street() -> None:
    rng = random.Random(5)
    addresses = [street_address(rng) for _ in range(2000)]
    numbered = [address for address in addresses if ", " in address]
    assert 0.7 < len(numbered) / len(addresses) < 0.95
    assert {len(address.split(", ")[0]) for address in numbered} == {1, 2, 3}
    assert all(not address.split(", ")[0].startswith("0") for address in numbered)
    streets = {address.split(", ")[-1].split(" ")[0] for address in addresses}
    assert streets == {"rue", "chemin", "avenue", "boulevard"}


def test_names_are_cleaned_to_what_an_identity_accepts() -> None:
    assert clean_name("  Le  Goff (dit 2) ") == "Le Goff dit"
    assert clean_name("-'Anne_-Marie'") == "Anne-Marie"
    assert clean_name("123") == ""
    assert clean_address(" 3,   rue\tde   Martin ") == "3, rue de Martin"
    assert len(clean_address("x" * 300)) == 200
