"""What a loaded policy answers the guard and the purge: grants, purposes, relationships and expiry."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from serment.policy import (
    ACTIONS,
    CATEGORIES,
    MEDICAL_ACTIONS,
    PROHIBITED_PURPOSES,
    PURPOSES,
    ROLES,
    Policy,
    RetentionRule,
    is_prohibited,
    load_policy,
)

FR = load_policy("fr-2020")
VN = load_policy("vn-2020")
PROHIBITED = tuple(sorted(PROHIBITED_PURPOSES))


def with_grants(policy: Policy, *grants: tuple[str, str, list[str]]) -> Policy:
    """`policy` with its grants replaced by `grants`, validated like a loaded file."""
    data = policy.model_dump()
    data["grants"] = [
        {"role": role, "purpose": purpose, "actions": actions} for role, purpose, actions in grants
    ]
    return Policy.model_validate(data)


@pytest.mark.parametrize(
    ("policy", "role", "purpose", "action", "allowed"),
    [
        (FR, "clinician", "care", "read", True),
        (FR, "clinician", "tracing", "read", False),
        (FR, "tracer", "tracing", "erase", False),
        (VN, "tracer", "tracing", "register", True),
        (FR, "admin", "administration", "read", False),
        (FR, "clinician", "insurance", "read", False),
        (FR, "nurse", "care", "read", False),
        (FR, "clinician", "care", "delete", False),
    ],
)
def test_allows_answers_from_the_grants(
    policy: Policy, role: str, purpose: str, action: str, allowed: bool
) -> None:
    assert policy.allows(role, purpose, action) is allowed


def test_actions_of_a_role_for_a_purpose() -> None:
    assert FR.actions_of("dpo", "audit") == frozenset({"history", "audit", "oppose", "erase"})
    assert FR.actions_of("dpo", "care") == frozenset()
    assert FR.actions_of("clinician", "insurance") == frozenset()


def test_purposes_of_a_role_come_in_vocabulary_order() -> None:
    policy = with_grants(FR, ("clinician", "research", ["list"]), ("clinician", "care", ["read"]))
    assert policy.purposes_of("clinician") == ("care", "research")
    assert FR.purposes_of("tracer") == ("tracing",)
    assert FR.purposes_of("producer") == ()


@pytest.mark.parametrize(
    ("role", "purpose"),
    [("clinician", "care"), ("patient", "self"), ("admin", "administration"), ("producer", None)],
)
def test_the_default_purpose_is_the_only_one_granted(role: str, purpose: str | None) -> None:
    assert FR.default_purpose(role) == purpose


def test_a_role_with_several_purposes_has_no_default() -> None:
    policy = with_grants(FR, ("clinician", "care", ["read"]), ("clinician", "research", ["list"]))
    assert policy.default_purpose("clinician") is None


def test_relationship_of_each_purpose() -> None:
    assert FR.relationship("care") == "none"
    assert FR.relationship("tracing") == "assigned"
    assert FR.relationship("self") == "self"
    with pytest.raises(ValueError, match="'insurance' is not a purpose of policy fr-2020"):
        FR.relationship("insurance")


def test_retention_for_each_category() -> None:
    assert FR.retention_for("identity") == RetentionRule(months=3, after="last_event")
    assert FR.retention_for("audit") == RetentionRule(months=36, after="event")
    assert VN.retention_for("results") == RetentionRule(months=6, after="last_event")
    with pytest.raises(ValueError, match="'blood' is not a data category of policy fr-2020"):
        FR.retention_for("blood")


@pytest.mark.parametrize(
    ("months", "anchor", "expected"),
    [
        (1, datetime(2026, 1, 31, 9, 15, tzinfo=UTC), datetime(2026, 2, 28, 9, 15, tzinfo=UTC)),
        (1, datetime(2027, 1, 31, tzinfo=UTC), datetime(2027, 2, 28, tzinfo=UTC)),
        (1, datetime(2028, 1, 31, tzinfo=UTC), datetime(2028, 2, 29, tzinfo=UTC)),
        (3, datetime(2026, 11, 30, tzinfo=UTC), datetime(2027, 2, 28, tzinfo=UTC)),
        (12, datetime(2026, 3, 2, 8, 30, tzinfo=UTC), datetime(2027, 3, 2, 8, 30, tzinfo=UTC)),
        (36, datetime(2026, 12, 31, tzinfo=UTC), datetime(2029, 12, 31, tzinfo=UTC)),
    ],
)
def test_expiry_adds_calendar_months_clamped_to_the_month_end(
    months: int, anchor: datetime, expected: datetime
) -> None:
    assert RetentionRule(months=months, after="event").expires_at(anchor) == expected


def test_expires_at_reads_the_category_of_the_policy() -> None:
    assert FR.expires_at("identity", datetime(2026, 1, 31, tzinfo=UTC)) == datetime(2026, 4, 30, tzinfo=UTC)
    assert VN.expires_at("identity", datetime(2026, 1, 31, tzinfo=UTC)) == datetime(2026, 3, 31, tzinfo=UTC)


def test_expiry_is_in_utc_whatever_zone_the_anchor_is_in() -> None:
    paris_winter = timezone(timedelta(hours=1))
    expiry = FR.expires_at("surveillance", datetime(2026, 1, 1, 0, 30, tzinfo=paris_winter))
    assert expiry == datetime(2026, 12, 31, 23, 30, tzinfo=UTC)
    assert expiry.tzinfo is UTC


def test_expiry_refuses_a_naive_anchor() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        FR.expires_at("identity", datetime(2026, 1, 31))  # noqa: DTZ001 (the naive datetime is the point)


def test_a_policy_cannot_be_changed_once_loaded() -> None:
    with pytest.raises(ValidationError, match="frozen"):
        FR.name = "fr-2021"


@pytest.mark.parametrize("purpose", ["insurance", "law_enforcement", "Law-Enforcement", " Marketing "])
def test_prohibited_purposes_are_recognised_however_spelt(purpose: str) -> None:
    assert is_prohibited(purpose)


@pytest.mark.parametrize("purpose", [*PURPOSES, "law", "insure"])
def test_the_purposes_of_the_vocabulary_are_not_prohibited(purpose: str) -> None:
    assert not is_prohibited(purpose)


def test_the_vocabulary_never_overlaps_the_prohibited_purposes() -> None:
    assert not PROHIBITED_PURPOSES & set(PURPOSES)
    assert set(ACTIONS) >= MEDICAL_ACTIONS


def forbidden(policy: Policy, role: str, purpose: str, action: str) -> bool:
    """Whether the promises of Serment forbid `role` to take `action` for `purpose`, whatever the policy."""
    non_medical = role in policy.roles and not policy.roles[role].medical
    return is_prohibited(purpose) or (non_medical and action in MEDICAL_ACTIONS)


@pytest.mark.parametrize("policy", [FR, VN], ids=["fr-2020", "vn-2020"])
@given(
    role=st.sampled_from(ROLES),
    purpose=st.sampled_from(PURPOSES + PROHIBITED),
    action=st.sampled_from(ACTIONS),
)
def test_a_preset_never_allows_what_the_promises_forbid(
    policy: Policy, role: str, purpose: str, action: str
) -> None:
    if forbidden(policy, role, purpose, action):
        assert not policy.allows(role, purpose, action)


@st.composite
def policy_data(draw: st.DrawFn) -> dict[str, Any]:
    """The data of a policy file with random medical flags and grants, prohibited purposes included."""
    data = FR.model_dump()
    data["roles"] = {
        role: {"description": f"The {role}.", "medical": draw(st.booleans(), label=role)} for role in ROLES
    }
    data["grants"] = draw(
        st.lists(
            st.fixed_dictionaries(
                {
                    "role": st.sampled_from(ROLES),
                    "purpose": st.sampled_from(PURPOSES + PROHIBITED),
                    "actions": st.lists(st.sampled_from(ACTIONS), min_size=1, max_size=4, unique=True),
                }
            ),
            max_size=6,
        ),
        label="grants",
    )
    return data


@given(data=policy_data())
def test_no_policy_that_loads_allows_what_the_promises_forbid(data: dict[str, Any]) -> None:
    medical = {role: table["medical"] for role, table in data["roles"].items()}
    breaks_a_promise = any(
        is_prohibited(grant["purpose"])
        or (not medical[grant["role"]] and set(grant["actions"]) & MEDICAL_ACTIONS)
        for grant in data["grants"]
    )
    try:
        policy = Policy.model_validate(data)
    except ValidationError:
        return
    assert not breaks_a_promise
    for role in ROLES:
        for purpose in PURPOSES + PROHIBITED:
            for action in ACTIONS:
                assert not (forbidden(policy, role, purpose, action) and policy.allows(role, purpose, action))


def test_every_category_has_a_retention_rule_in_both_presets() -> None:
    for policy in (FR, VN):
        assert set(policy.retention) == set(CATEGORIES)
