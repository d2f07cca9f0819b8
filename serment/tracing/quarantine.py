"""Quarantine plans: where a person with a tier stays, from when until when, and when they are tested,
from their standing and the policy's tier rules. Pure functions."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from serment.policy.tracing import TracingRules
from serment.tracing.tiers import Standing


@dataclass(frozen=True)
class Plan:
    """A quarantine (or, for a case, isolation) plan at a date. `released` once its last day is past;
    `cleared` when a negative test means the person passes no tier on (they still stay until the end)."""

    tier: int
    name: str
    place: str
    start: date
    until: date
    tests_due: tuple[date, ...]
    released: bool
    cleared: bool


def plan_for(standing: Standing, rules: TracingRules, at: date, case_start: date | None = None) -> Plan:
    """The plan of a person with `standing` at `at`. Days count from the last relevant exposure, or
    for a case (tier 0) from `case_start`, its onset or positive sample date."""
    rule = rules.tier(standing.tier)
    start = standing.last_exposure if standing.tier > 0 else case_start
    if start is None:
        raise ValueError(
            "a case's plan counts from its onset or sample date"
            if standing.tier == 0
            else "a contact's plan counts from their last exposure"
        )
    until = start + timedelta(days=rule.days)
    return Plan(
        tier=standing.tier,
        name=rule.name,
        place=rule.place,
        start=start,
        until=until,
        tests_due=tuple(start + timedelta(days=day) for day in sorted(set(rule.test_days))),
        released=at > until,
        cleared=standing.cleared,
    )
