"""The tier rules as a table: each row is a small situation (cases with their start day, exposures with
their days, negative tests), the evaluation day, and the tiers expected, with the rule it shows.

Days are written as day numbers of March 2026 (10 is 10 March). The rules are vn-2020's shape with
round numbers: depth 3, lookback 14 days, infectious from 2 days before onset, cleared by a negative
test 5 days after the last relevant exposure.
"""

from __future__ import annotations

from datetime import date

import pytest

from serment.policy.tracing import TierRule, TracingRules
from serment.tracing.quarantine import plan_for
from serment.tracing.tiers import Contact, Facts, Standing, tiers_at

RULES = TracingRules(
    depth=3,
    lookback_days=14,
    infectious_before_onset_days=2,
    negative_test_clears=True,
    clear_after_days=5,
    tiers=(
        TierRule(name="F0", place="hospital", days=21),
        TierRule(name="F1", place="facility", days=14, test_days=(1, 13)),
        TierRule(name="F2", place="home", days=14, test_days=(7,)),
        TierRule(name="F3", place="self_monitoring", days=14),
    ),
    call_tiers=(1, 2),
)


def day(number: int) -> date:
    """A day of March 2026; 0 and negative numbers reach back into February."""
    return date(2026, 3, 1).fromordinal(date(2026, 3, 1).toordinal() + number - 1)


# (what it shows, cases {person: start day}, exposures [(a, b, first day, last day)],
#  negative tests {person: day}, evaluation day, expected {person: tier})
TABLE = [
    ("a case is tier 0 from its start", {"A": 5}, [], {}, 5, {"A": 0}),
    ("a case is nothing before its start", {"A": 5}, [], {}, 4, {}),
    ("a contact of a case is tier 1", {"A": 5}, [("A", "B", 5, 5)], {}, 6, {"A": 0, "B": 1}),
    ("exposures are read both ways", {"A": 5}, [("B", "A", 5, 5)], {}, 6, {"A": 0, "B": 1}),
    (
        "tiers go down the chain to the policy's depth",
        {"A": 5},
        [("A", "B", 5, 5), ("B", "C", 6, 6), ("C", "D", 7, 7), ("D", "E", 8, 8)],
        {},
        9,
        {"A": 0, "B": 1, "C": 2, "D": 3},
    ),
    (
        "the smallest tier wins",
        {"A": 5},
        [("A", "B", 5, 5), ("B", "C", 6, 6), ("A", "C", 6, 6)],
        {},
        7,
        {"A": 0, "B": 1, "C": 1},
    ),
    ("an exposure in the future does not count", {"A": 5}, [("A", "B", 8, 8)], {}, 7, {"A": 0}),
    (
        "a range counts on its last day up to the evaluation day",
        {"A": 5},
        [("A", "B", 6, 20)],
        {},
        10,
        {"A": 0, "B": 1},
    ),
    ("an exposure 14 days old still counts", {"A": 1}, [("A", "B", 1, 1)], {}, 15, {"A": 0, "B": 1}),
    ("an exposure 15 days old no longer counts", {"A": 1}, [("A", "B", 1, 1)], {}, 16, {"A": 0}),
    (
        "a case passes its tier from 2 days before onset",
        {"A": 5},
        [("A", "B", 3, 3)],
        {},
        6,
        {"A": 0, "B": 1},
    ),
    ("but not 3 days before", {"A": 5}, [("A", "B", 2, 2)], {}, 6, {"A": 0}),
    (
        "the infectious window is the case's, not the contact's",
        {"A": 5, "B": 20},
        [("A", "B", 4, 4)],
        {},
        10,
        {"A": 0, "B": 1},
    ),
    (
        "two cases are both tier 0 whatever they exposed each other to",
        {"A": 5, "B": 6},
        [("A", "B", 5, 5)],
        {},
        7,
        {"A": 0, "B": 0},
    ),
    (
        "a negative test 5 days after the exposure stops a contact passing their tier on",
        {"A": 5},
        [("A", "B", 5, 5), ("B", "C", 6, 6)],
        {"B": 10},
        11,
        {"A": 0, "B": 1},
    ),
    (
        "a negative test 4 days after does not",
        {"A": 5},
        [("A", "B", 5, 5), ("B", "C", 6, 6)],
        {"B": 9},
        11,
        {"A": 0, "B": 1, "C": 2},
    ),
    (
        "a negative test not yet taken at the evaluation day clears nothing",
        {"A": 5},
        [("A", "B", 5, 5), ("B", "C", 6, 6)],
        {"B": 12},
        11,
        {"A": 0, "B": 1, "C": 2},
    ),
    (
        "a cleared contact's contacts keep a tier they have through someone else",
        {"A": 5},
        [("A", "B", 5, 5), ("B", "C", 6, 6), ("A", "D", 5, 5), ("D", "C", 6, 6)],
        {"B": 10},
        11,
        {"A": 0, "B": 1, "C": 2, "D": 1},
    ),
]


@pytest.mark.parametrize(
    ("cases", "exposures", "negatives", "at", "expected"),
    [pytest.param(*row[1:], id=row[0]) for row in TABLE],
)
def test_tiers_follow_the_rules(
    cases: dict[str, int],
    exposures: list[tuple[str, str, int, int]],
    negatives: dict[str, int],
    at: int,
    expected: dict[str, int],
) -> None:
    facts = Facts(
        {person: day(start) for person, start in cases.items() if day(start) <= day(at)},
        {person: day(number) for person, number in negatives.items() if day(number) <= day(at)},
    )
    contacts = [Contact(a, b, day(first), day(last)) for a, b, first, last in exposures]
    tiers = tiers_at(day(at), RULES, facts, contacts)
    assert {person: standing.tier for person, standing in tiers.items()} == expected


# (what it shows, standing, case start day, evaluation day, expected plan fields)
PLANS = [
    (
        "an F1 stays in a facility 14 days from their last exposure, tested on days 1 and 13",
        Standing(1, day(5)),
        None,
        6,
        {
            "name": "F1",
            "place": "facility",
            "start": day(5),
            "until": day(19),
            "tests_due": (day(6), day(18)),
            "released": False,
        },
    ),
    (
        "a case is isolated in hospital 21 days from its start",
        Standing(0),
        day(3),
        6,
        {
            "name": "F0",
            "place": "hospital",
            "start": day(3),
            "until": day(24),
            "tests_due": (),
            "released": False,
        },
    ),
    (
        "a plan is released the day after it ends",
        Standing(2, day(1)),
        None,
        16,
        {
            "name": "F2",
            "place": "home",
            "start": day(1),
            "until": day(15),
            "tests_due": (day(8),),
            "released": True,
        },
    ),
]


@pytest.mark.parametrize(
    ("standing", "case_start", "at", "expected"), [pytest.param(*row[1:], id=row[0]) for row in PLANS]
)
def test_quarantine_plans_follow_the_tier_rules(
    standing: Standing, case_start: date | None, at: int, expected: dict[str, object]
) -> None:
    plan = plan_for(standing, RULES, day(at), case_start)
    assert {name: getattr(plan, name) for name in expected} == expected
