"""Fellegi-Sunter comparison of two identities: agreement levels as tables, and the invariants a
linkage rule must keep whatever the identities."""

from __future__ import annotations

import math
from dataclasses import replace
from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from serment.people.matching import (
    LINK_AT,
    REVIEW_AT,
    NameRarity,
    Profile,
    birth_date_level,
    blocking_texts,
    compare,
    fold_address,
    name_level,
    rarity_u,
    soundex,
)

EXAMPLES = settings(max_examples=200, deadline=None)
CLAIRE = Profile("lefebvre", "claire", date(1985, 5, 12), "F", "69003", "12 rue des tilleuls")


# fmt: off
@pytest.mark.parametrize(("first", "second", "level"), [
    ("lefebvre",     "lefebvre",          "exact"),
    ("jean etienne", "jeanetienne",       "exact"),
    ("lefebvre",     "lefevre",           "similar"),
    ("martin",       "matrin",            "similar"),
    ("martin dupont", "dupont",           "partial"),
    ("marie claire", "claire",            "partial"),
    ("lefebvre",     "quesnel dauvergne", "different"),
    ("louis",        "marc",              "different"),
])
def test_names_agree_at_a_level(first: str, second: str, level: str) -> None:
    assert name_level(first, second) == level


@pytest.mark.parametrize(("first", "second", "level"), [
    (date(1985, 5, 12), date(1985, 5, 12), "exact"),
    (date(1985, 5, 12), date(1985, 12, 5), "swapped"),
    (date(1985, 5, 12), date(1985, 5, 13), "typo"),
    (date(1985, 5, 12), date(1958, 5, 12), "typo"),
    (date(1985, 5, 12), date(1986, 6, 12), "different"),
    (date(1985, 5, 12), date(2010, 5, 12), "different"),
])
def test_birth_dates_agree_at_a_level(first: date, second: date, level: str) -> None:
    assert birth_date_level(first, second) == level


@pytest.mark.parametrize(("change", "decision"), [
    ({"family_name": "lefevre"},                                  "link"),
    ({"given_names": "clair"},                                    "link"),
    ({"birth_date": date(1985, 12, 5)},                           "link"),
    ({"postal_code": None, "address_line": None},                 "link"),
    ({"family_name": "quesnel dauvergne", "postal_code": None},   "review"),
    ({"given_names": "mathilde"},                                 "review"),
    ({"sex": "M", "given_names": "claude"},                       "review"),
    ({"sex": "M", "given_names": "claude", "birth_date": date(1987, 3, 2)}, "distinct"),
    ({"birth_date": date(1962, 1, 30), "given_names": "agathe"},  "distinct"),
])
def test_decisions_as_a_table(change: dict[str, object], decision: str) -> None:
    assert compare(CLAIRE, replace(CLAIRE, **change)).decision() == decision  # type: ignore[arg-type]
# fmt: on


def test_agreement_on_a_common_name_weighs_less_than_on_a_rare_one() -> None:
    common = NameRarity(family_name=rarity_u(400, 100_000, 0.001))
    rare = NameRarity(family_name=rarity_u(1, 100_000, 0.001))
    assert (
        compare(CLAIRE, CLAIRE, common).weights["family_name"]
        < compare(CLAIRE, CLAIRE, rare).weights["family_name"] - 6
    )


def test_a_name_seen_once_in_a_small_installation_is_not_taken_for_a_common_one() -> None:
    assert rarity_u(1, 3, 0.001) < 0.003
    assert rarity_u(3000, 100_000, 0.001) == pytest.approx(0.03, rel=0.05)


def test_sex_or_given_names_disagreeing_vetoes_a_link_but_not_a_review() -> None:
    twin = replace(CLAIRE, given_names="mathilde")
    comparison = compare(CLAIRE, twin)
    assert comparison.total >= LINK_AT
    assert comparison.decision() == "review"


def test_soundex_keeps_spelling_variants_in_one_block() -> None:
    assert soundex("lefebvre") == soundex("lefevre") == "l116"
    assert soundex("dupont") == soundex("dupond")
    assert soundex("") == "0000"


def test_blocking_keys_survive_one_error_each() -> None:
    texts = set(blocking_texts(CLAIRE))
    for change in (
        {"family_name": "kefebvre"},
        {"birth_date": date(1985, 12, 5)},
        {"birth_date": date(1984, 5, 12)},
        {"postal_code": "75011", "address_line": "1 rue de la paix"},
    ):
        assert texts & set(blocking_texts(replace(CLAIRE, **change))), change  # type: ignore[arg-type]


def test_addresses_fold_case_accents_and_punctuation() -> None:
    assert fold_address("12, Rue de l'Église ") == "12 rue de l eglise"


names = st.text(alphabet="abcdefghijklmnopqrstuvwxyz ", min_size=1, max_size=20).map(
    lambda text: " ".join(text.split()) or "a"
)
profiles = st.builds(
    Profile,
    family_name=names,
    given_names=names,
    birth_date=st.dates(date(1900, 1, 1), date(2025, 12, 31)),
    sex=st.sampled_from(["F", "M", "X"]),
    postal_code=st.one_of(st.none(), st.sampled_from(["69003", "75011"])),
    address_line=st.one_of(st.none(), st.sampled_from(["1 rue de la paix", "3 place bellecour"])),
)


@EXAMPLES
@given(first=profiles, second=profiles)
def test_comparison_is_symmetric(first: Profile, second: Profile) -> None:
    forward, backward = compare(first, second), compare(second, first)
    assert forward.levels == backward.levels
    assert math.isclose(forward.total, backward.total, abs_tol=1e-9)


@EXAMPLES
@given(profile=profiles)
def test_an_identity_links_with_itself(profile: Profile) -> None:
    comparison = compare(profile, profile)
    assert comparison.total >= LINK_AT
    assert comparison.decision() == "link"


@EXAMPLES
@given(first=profiles, second=profiles)
def test_more_agreement_never_lowers_the_score(first: Profile, second: Profile) -> None:
    agreed = replace(second, birth_date=first.birth_date)
    assert compare(first, agreed).total >= compare(first, second).total - 1e-9


@EXAMPLES
@given(first=profiles, second=profiles, link_at=st.floats(-50, 50), gap=st.floats(0, 30))
def test_thresholds_order_the_decisions(first: Profile, second: Profile, link_at: float, gap: float) -> None:
    comparison = compare(first, second)
    decision = comparison.decision(link_at, link_at - gap)
    if comparison.total < link_at - gap:
        assert decision == "distinct"
    elif decision == "link":
        assert comparison.total >= link_at
    assert REVIEW_AT < LINK_AT
