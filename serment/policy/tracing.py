"""The tracing rules of a policy: how many tiers of contacts are followed, which exposures count, each
tier's quarantine, and what tracers are asked to do. Validated on load like every other rule, rendered
into the documentation from the same source.

Tier 0 is the confirmed case; tier k is a contact of someone at tier k - 1 (Vietnam's F0, F1, F2...;
France's "cas" and "contact à risque"). The engine that applies these rules is `serment.tracing.tiers`.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, StrictBool, StrictInt, StrictStr, StringConstraints

Place = Literal["hospital", "facility", "home", "self_monitoring"]
PLACES: tuple[str, ...] = ("hospital", "facility", "home", "self_monitoring")
PLACE_MEANINGS: dict[str, str] = {
    "hospital": "isolated in hospital",
    "facility": "quarantined in a supervised facility",
    "home": "quarantined at home",
    "self_monitoring": "free to move, watching for symptoms",
}
# No tracing practice has followed contacts further than the Vietnamese F4; deeper tiers reach most
# of a country within a few generations and tell a tracer nothing.
MAX_DEPTH = 5

_CONFIG = ConfigDict(extra="forbid", frozen=True)
TierName = Annotated[StrictStr, StringConstraints(strip_whitespace=True, min_length=1, max_length=16)]
Problem = tuple[tuple[str | int, ...], str]


class TierRule(BaseModel):
    """One tier: its name, where its people stay and for how long, and when they are tested.

    `days` counts from the last relevant exposure (for tier 0: from the onset date, or the positive
    sample's date when there is none); `test_days` are days after that date when a test is due.
    """

    model_config = _CONFIG

    name: TierName
    place: Place
    days: StrictInt
    test_days: tuple[StrictInt, ...] = ()


class TracingRules(BaseModel):
    """The `[tracing]` section of a policy."""

    model_config = _CONFIG

    # The number of contact tiers followed: 3 follows F1 to F3.
    depth: StrictInt
    # Exposures older than this at the evaluation date no longer count.
    lookback_days: StrictInt = 14
    # A case passes a tier on only through exposures from this many days before its onset.
    infectious_before_onset_days: StrictInt = 2
    # A contact with a negative test at least `clear_after_days` after their last relevant exposure
    # passes no tier on (they keep their own until their quarantine ends).
    negative_test_clears: StrictBool = False
    clear_after_days: StrictInt = 0
    # Tier 0 first, then one rule per contact tier: depth + 1 in all.
    tiers: tuple[TierRule, ...]
    # Contact tiers whose new members get a call task, and how soon the call is due.
    call_tiers: tuple[StrictInt, ...] = (1,)
    call_within_hours: StrictInt = 24
    # Calls that found nobody before the contact is marked unreachable.
    max_attempts: StrictInt = 3
    # Whether contacts in quarantine get a follow-up task every day until it ends.
    daily_follow_up: StrictBool = True
    # A cluster: at least `cluster_cases` confirmed cases sharing a place, whose case starts fall within
    # `cluster_days` consecutive days (France: 3 cases within 7 days).
    cluster_cases: StrictInt = 3
    cluster_days: StrictInt = 7

    def tier(self, level: int) -> TierRule:
        """The rule of tier `level` (0 for cases)."""
        return self.tiers[level]


def tracing_problems(rules: TracingRules) -> Iterator[Problem]:
    """What is wrong with `rules`, each with its location under `tracing`."""
    here: tuple[str | int, ...] = ("tracing",)
    if not 0 <= rules.depth <= MAX_DEPTH:
        yield (*here, "depth"), f"must be between 0 and {MAX_DEPTH} contact tiers (got {rules.depth})"
    for name in ("lookback_days", "infectious_before_onset_days", "clear_after_days", "max_attempts"):
        value = getattr(rules, name)
        if value < 0:
            yield (*here, name), f"must not be negative (got {value})"
    if rules.max_attempts < 1:
        yield (*here, "max_attempts"), f"must be at least 1 call attempt (got {rules.max_attempts})"
    if rules.call_within_hours < 1:
        yield (*here, "call_within_hours"), f"must be at least 1 hour (got {rules.call_within_hours})"
    if rules.cluster_cases < 1:
        yield (*here, "cluster_cases"), f"must be at least 1 case (got {rules.cluster_cases})"
    if rules.cluster_days < 1:
        yield (*here, "cluster_days"), f"must be at least 1 day (got {rules.cluster_days})"
    if len(rules.tiers) != rules.depth + 1:
        yield (
            (*here, "tiers"),
            f"needs {rules.depth + 1} tiers (tier 0 for cases, then {rules.depth} contact tiers), "
            f"not {len(rules.tiers)}",
        )
    yield from _tier_problems(rules, here)
    for position, level in enumerate(rules.call_tiers):
        if not 1 <= level <= rules.depth:
            yield (
                (*here, "call_tiers", position),
                f"must be a contact tier from 1 to {rules.depth} (got {level})",
            )


def _tier_problems(rules: TracingRules, here: tuple[str | int, ...]) -> Iterator[Problem]:
    names = [tier.name for tier in rules.tiers]
    for index, tier in enumerate(rules.tiers):
        at = (*here, "tiers", index)
        if names.index(tier.name) != index:
            yield (*at, "name"), f"the tier name {tier.name!r} is used twice"
        if tier.days < 0:
            yield (*at, "days"), f"must not be negative (got {tier.days})"
        for position, day in enumerate(tier.test_days):
            if not 0 <= day <= max(tier.days, 0):
                yield (*at, "test_days", position), f"must be a day from 0 to {tier.days} (got {day})"
