"""Which call comes first: the priority of a call to a contact, written as a table. Higher is sooner.

Each row reads as a rule: "an F1 aged 70 with a household of 3 scores 57". The tier always wins: no
combination of age, health work and household lifts a contact above one a tier closer to a case.
"""

from __future__ import annotations

from datetime import date
from itertools import product

import pytest

from serment.tracing.priority import is_senior, priority

# fmt: off
PRIORITY = [
    # tier  senior  health worker  household  priority   why
    (1,     False,  False,         0,         50),       # a contact of a case, nothing else known
    (2,     False,  False,         0,         40),       # a contact of a contact
    (3,     False,  False,         0,         30),
    (5,     False,  False,         0,         10),       # the deepest tier a policy may follow
    (1,     True,   False,         0,         54),       # 65 or older: a severe course is likelier
    (1,     False,  True,          0,         53),       # works in health care: patients at risk
    (1,     False,  False,         1,         51),       # one person at home exposed with them
    (1,     False,  False,         2,         52),
    (1,     False,  False,         9,         52),       # a household counts up to 2 people
    (1,     False,  False,         -1,        50),       # nonsense counts nothing
    (1,     True,   True,          2,         59),       # everything at once: still below 60
    (2,     True,   True,          9,         49),       # ... so an F2 stays below any F1
]
# fmt: on

SENIOR = [
    # born          on             65 or older
    (date(1961, 3, 2), date(2026, 3, 2), True),  # 65th birthday today
    (date(1961, 3, 3), date(2026, 3, 2), False),  # 65 tomorrow
    (date(1960, 2, 29), date(2025, 2, 28), False),  # born on 29 February: 65 on 1 March
    (date(1960, 2, 29), date(2025, 3, 1), True),
    (None, date(2026, 3, 2), False),  # unknown birth date: not counted
]


@pytest.mark.parametrize(("tier", "senior", "health_worker", "household", "expected"), PRIORITY)
def test_priority(tier: int, senior: bool, health_worker: bool, household: int, expected: int) -> None:
    assert priority(tier, senior=senior, health_worker=health_worker, household=household) == expected


def test_a_closer_tier_always_comes_first() -> None:
    flags = list(product([False, True], [False, True], range(4)))
    for tier in range(1, 5):
        lowest_closer = min(priority(tier, senior=s, health_worker=h, household=n) for s, h, n in flags)
        highest_further = max(priority(tier + 1, senior=s, health_worker=h, household=n) for s, h, n in flags)
        assert lowest_closer > highest_further


def test_cases_are_not_called() -> None:
    with pytest.raises(ValueError, match="only contacts"):
        priority(0, senior=False, health_worker=False, household=0)


@pytest.mark.parametrize(("born", "on", "expected"), SENIOR)
def test_senior(born: date | None, on: date, expected: bool) -> None:
    assert is_senior(born, on) is expected
