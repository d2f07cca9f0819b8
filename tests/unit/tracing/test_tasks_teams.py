"""Which team and tracer get a call: the département of a postal code, the team covering it, and the
tracer whose turn it is. Pure functions, no database."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from serment.tracing.teams import Team, TeamError, next_tracer, parse_regions, region_of, team_for

# fmt: off
REGIONS = [
    # postal code   département  why
    ("69003",       "69"),       # Lyon: the first two digits
    ("01000",       "01"),       # a leading zero is kept
    (" 75 011 ",    "75"),       # spaces, as people type them
    ("20000",       "2A"),       # Ajaccio: Corse-du-Sud
    ("20190",       "2A"),
    ("20200",       "2B"),       # Bastia: Haute-Corse
    ("20620",       "2B"),
    ("97110",       "971"),      # Guadeloupe: overseas départements have three digits
    ("97400",       "974"),      # La Réunion
    ("97600",       "976"),      # Mayotte
    (None,          None),       # no address (fr-2020 contacts carry none)
    ("",            None),
    ("6900",        None),       # not a French postal code
    ("SW1A 1AA",    None),
]
# fmt: on
LYON = Team("Rhône", ("69", "01"))
ANYWHERE = Team("Partout", ("*",))
ALSO_ANYWHERE = Team("Astreinte", ("*",))
T0 = datetime(2026, 3, 2, 8, 30, tzinfo=UTC)


@pytest.mark.parametrize(("postal_code", "region"), REGIONS)
def test_region_of(postal_code: str | None, region: str | None) -> None:
    assert region_of(postal_code) == region


def test_a_team_naming_the_region_comes_before_one_covering_any() -> None:
    teams = [ANYWHERE, LYON, ALSO_ANYWHERE]
    assert team_for(teams, "69") == LYON
    assert team_for(teams, "75") == ALSO_ANYWHERE, "among teams covering any region, the first by name"
    assert team_for(teams, None) == ALSO_ANYWHERE, "* covers the unknown region too"
    assert team_for([LYON], "75") is None
    assert team_for([LYON], None) is None


def test_the_next_tracer_is_the_one_waiting_longest_never_assigned_first_ties_by_name() -> None:
    assert next_tracer({}) is None
    assert next_tracer({"zoe": (T0, 0), "yann": None, "xavier": None}) == "xavier"
    assert next_tracer({"zoe": (T0, 0), "yann": (T0.replace(hour=7), 0)}) == "yann"
    assert next_tracer({"zoe": (T0, 0), "yann": (T0, 0)}) == "yann"
    assert next_tracer({"zoe": (T0, 1), "yann": (T0, 2)}) == "zoe", "within a transaction, by turn"


@pytest.mark.parametrize(
    ("text", "regions"),
    [("75,92", ("75", "92")), (" 2a, 2B ,75,75", ("2A", "2B", "75")), ("*", ("*",)), ("974", ("974",))],
)
def test_regions_are_read_from_a_comma_separated_list(text: str, regions: tuple[str, ...]) -> None:
    assert parse_regions(text) == regions


@pytest.mark.parametrize(
    ("text", "message"), [("", "name the regions"), ("75,Paris", "'PARIS' is not a region")]
)
def test_a_bad_region_is_named(text: str, message: str) -> None:
    with pytest.raises(TeamError, match=message):
        parse_regions(text)
