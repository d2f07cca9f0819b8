"""Which purposes a person may oppose is part of the policy, and some never can be."""

import json

import pytest

from serment.policy import PolicyError, load_policy, parse_policy


def test_research_is_opposable_in_both_presets_and_care_is_not() -> None:
    for preset in ("fr-2020", "vn-2020"):
        policy = load_policy(preset)
        assert policy.opposable_purposes() == ("research",)


@pytest.mark.parametrize("purpose", ["audit", "self", "administration"])
def test_the_audit_self_and_administration_can_never_be_opposable(purpose: str) -> None:
    document = load_policy("fr-2020").model_dump(mode="json")
    document["purposes"][purpose]["opposable"] = True
    with pytest.raises(PolicyError, match=f"the purpose '{purpose}' cannot be opposable"):
        parse_policy(_toml(document), "custom.toml")


def _toml(document: dict[str, object]) -> str:
    # JSON values are valid TOML values for these types; the tables are written out by hand.
    lines = [f"name = {json.dumps(document['name'])}", f"description = {json.dumps(document['description'])}"]
    for section in ("roles", "purposes", "retention", "minimisation"):
        for key, table in document[section].items():  # type: ignore[attr-defined]
            lines.append(f"[{section}.{key}]")
            lines.extend(f"{field} = {json.dumps(value)}" for field, value in table.items())
    for grant in document["grants"]:  # type: ignore[attr-defined]
        lines.append("[[grants]]")
        lines.extend(f"{field} = {json.dumps(value)}" for field, value in grant.items())
    tracing = dict(document["tracing"])  # type: ignore[call-overload]
    tiers = tracing.pop("tiers")
    lines.append("[tracing]")
    lines.extend(f"{field} = {json.dumps(value)}" for field, value in tracing.items())
    for tier in tiers:
        lines.append("[[tracing.tiers]]")
        lines.extend(f"{field} = {json.dumps(value)}" for field, value in tier.items())
    return "\n".join(lines) + "\n"
