"""How urgent a call is: a score from the contact's tier and what makes them vulnerable or likely to
spread the infection further. Pure functions; the weights live here and only here.

The higher the score, the sooner the call. The tier dominates: a contact one tier closer to a case
is always called first, whatever else is known, since the contacts closest to a case are the ones
most likely infected. Within a tier, being 65 or older (the age from which the 2020 guidance
counted a higher risk of a severe course), working in health care (the risk of infecting patients)
and a larger household (more people infected at home) add points.
"""

from __future__ import annotations

from datetime import date

from serment.policy.tracing import MAX_DEPTH

TIER_STEP = 10
SENIOR = 4
HEALTH_WORKER = 3
# Per household exposure, up to HOUSEHOLD_CAP of them: a large household counts, without outranking
# age or health care on its own.
PER_HOUSEMATE = 1
HOUSEHOLD_CAP = 2
SENIOR_AGE = 65


def priority(tier: int, *, senior: bool, health_worker: bool, household: int) -> int:
    """The priority of a call to a contact at `tier` (1 for a contact of a case): higher is sooner."""
    if tier < 1:
        raise ValueError(f"only contacts (tier 1 or more) are called, not tier {tier}")
    extras = (
        (SENIOR if senior else 0)
        + (HEALTH_WORKER if health_worker else 0)
        + PER_HOUSEMATE * min(max(household, 0), HOUSEHOLD_CAP)
    )
    return TIER_STEP * (MAX_DEPTH + 1 - tier) + extras


def is_senior(birth_date: date | None, on: date) -> bool:
    """Whether someone born on `birth_date` is 65 or older on `on` (unknown: no)."""
    if birth_date is None:
        return False
    age = on.year - birth_date.year - ((on.month, on.day) < (birth_date.month, birth_date.day))
    return age >= SENIOR_AGE
