"""Every load-time rule refuses a bad policy file with one line that names the file, the place and the fix."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from serment.policy import CATEGORIES, FIELDS, PURPOSES, REPORT_PARTS, ROLES, PolicyError, load_policy

MEDICAL = {role: "false" if role in {"admin", "reviewer", "dpo"} else "true" for role in ROLES}
RELATIONSHIPS = {**dict.fromkeys(PURPOSES, "none"), "tracing": "assigned", "self": "self"}
MONTHS = dict.fromkeys(CATEGORIES, "6")
# Every field for every part of every kind of report, as TOML arrays.
CARRIED = {kind: {part: json.dumps(FIELDS[part]) for part in parts} for kind, parts in REPORT_PARTS.items()}

THE_ROLES = "admin, clinician, lab, tracer, epidemiologist, producer, researcher, reviewer, dpo and patient"
THE_PURPOSES = "care, tracing, surveillance, research, audit, self and administration"
THE_ACTIONS = "register, read, update, merge, report, erase, list, investigate, export, history, oppose, " + (
    "audit, manage_users, manage_keys and backup"
)
THE_CATEGORIES = "identity, results, cases, contacts, tracing_tasks, audit and surveillance"
THE_PERSON_FIELDS = "nir, family_name, given_names, birth_date, sex, address, phone, email and external_ref"
PROHIBITED = "insurance, employment, marketing, credit and law_enforcement can be granted to no one"


def grant(role: str, purpose: str, actions: list[str]) -> str:
    """One [[grants]] table in TOML."""
    return f'\n[[grants]]\nrole = "{role}"\npurpose = "{purpose}"\nactions = {json.dumps(actions)}\n'


# grants[0] and grants[1]; a test's own grant is grants[2].
GRANTS = grant("clinician", "care", ["register", "read"]) + grant("patient", "self", ["read"])


# Two contact tiers; a test's own tracing section replaces this one.
TRACING = """
[tracing]
depth = 2
call_tiers = [1]

[[tracing.tiers]]
name = "F0"
place = "hospital"
days = 14

[[tracing.tiers]]
name = "F1"
place = "home"
days = 14
test_days = [1, 13]

[[tracing.tiers]]
name = "F2"
place = "self_monitoring"
days = 7
"""


def policy_toml(
    *,
    roles: dict[str, str] = MEDICAL,
    purposes: dict[str, str] = RELATIONSHIPS,
    grants: str = GRANTS,
    retention: dict[str, str] = MONTHS,
    minimisation: dict[str, dict[str, str]] = CARRIED,
    tracing: str = TRACING,
) -> str:
    """A valid small policy, or an invalid one when a test overrides a part with a bad value."""
    parts = ['name = "test"\ndescription = "A small policy for tests."\n']
    parts += [
        f'[roles.{name}]\ndescription = "The {name}."\nmedical = {value}\n' for name, value in roles.items()
    ]
    parts += [
        f'[purposes.{name}]\ndescription = "For {name}."\nrelationship = "{value}"\n'
        for name, value in purposes.items()
    ]
    parts.append(grants)
    parts += [f'[retention.{name}]\nmonths = {value}\nafter = "event"\n' for name, value in retention.items()]
    parts += [
        f"[minimisation.{kind}]\n" + "".join(f"{part} = {fields}\n" for part, fields in lists.items())
        for kind, lists in minimisation.items()
    ]
    parts.append(tracing)
    return "\n".join(parts)


def carrying(kind: str, part: str, fields: list[str] | str) -> dict[str, dict[str, str]]:
    """The test policy's minimisation with the `part` of a `kind` report carrying `fields` instead."""
    written = fields if isinstance(fields, str) else json.dumps(fields)
    return {**CARRIED, kind: {**CARRIED[kind], part: written}}


def without(mapping: dict[str, str], key: str) -> dict[str, str]:
    return {name: value for name, value in mapping.items() if name != key}


def replaced(text: str, old: str, new: str) -> str:
    assert text.count(old) == 1, f"the test policy holds {old!r} {text.count(old)} times"
    return text.replace(old, new)


ADMIN = '[roles.admin]\ndescription = "The admin."\nmedical = false\n'

REFUSALS = [
    pytest.param(
        'name = "test"\ndescription =\n',
        "not valid TOML: Invalid value (at line 2, column 14)",
        id="toml-syntax",
    ),
    pytest.param(
        replaced(policy_toml(), ADMIN, ADMIN.replace("false", '"no"')),
        "roles.admin.medical: Input should be a valid boolean (got 'no')",
        id="wrong-type",
    ),
    pytest.param(
        replaced(policy_toml(), ADMIN, ADMIN + 'colour = "red"\n'),
        "roles.admin.colour: unknown key; expected one of description, medical",
        id="unknown-key",
    ),
    pytest.param(
        replaced(policy_toml(), ADMIN, ADMIN.replace("medical = false\n", "")),
        "roles.admin.medical: this key is required but missing",
        id="missing-key",
    ),
    pytest.param(
        policy_toml(purposes={**RELATIONSHIPS, "tracing": "team"}),
        "purposes.tracing.relationship: Input should be 'none', 'self' or 'assigned' (got 'team')",
        id="unknown-relationship",
    ),
    pytest.param(
        replaced(policy_toml(), ADMIN, ADMIN.replace("false", '"no"').replace('"The admin."', "1")),
        "roles.admin.description: Input should be a valid string (got 1) (and 1 more problem)",
        id="several-problems",
    ),
    pytest.param(
        policy_toml(roles={**MEDICAL, "nurse": "true"}),
        f"roles.nurse: 'nurse' is not a role Serment knows; the roles are {THE_ROLES}",
        id="unknown-role",
    ),
    pytest.param(
        policy_toml(roles=without(MEDICAL, "dpo")),
        "roles: the role 'dpo' is not defined; add a [roles.dpo] table with its description and "
        "medical = true or false",
        id="missing-role",
    ),
    pytest.param(
        policy_toml(purposes={**RELATIONSHIPS, "insurance": "none"}),
        f"purposes.insurance: defines the prohibited purpose 'insurance'; {PROHIBITED}",
        id="prohibited-purpose-defined",
    ),
    pytest.param(
        policy_toml(purposes={**RELATIONSHIPS, "leisure": "none"}),
        f"purposes.leisure: 'leisure' is not a purpose Serment knows; the purposes are {THE_PURPOSES}",
        id="unknown-purpose",
    ),
    pytest.param(
        policy_toml(purposes=without(RELATIONSHIPS, "audit")),
        "purposes: the purpose 'audit' is not defined; add a [purposes.audit] table with its description "
        'and relationship = "none", "self" or "assigned"',
        id="missing-purpose",
    ),
    pytest.param(
        policy_toml(purposes={**RELATIONSHIPS, "self": "none"}),
        "purposes.self.relationship: the purpose 'self' must have relationship = \"self\", so that a patient "
        "reaches only their own record",
        id="self-reaching-others",
    ),
    pytest.param(
        policy_toml(grants=GRANTS + grant("clinician", "insurance", ["read"])),
        f"grants[2]: grants the prohibited purpose 'insurance' to role 'clinician'; {PROHIBITED}",
        id="prohibited-purpose-granted",
    ),
    pytest.param(
        policy_toml(grants=GRANTS + grant("tracer", "Law-Enforcement", ["list"])),
        f"grants[2]: grants the prohibited purpose 'Law-Enforcement' to role 'tracer'; {PROHIBITED}",
        id="prohibited-purpose-spelt-otherwise",
    ),
    pytest.param(
        policy_toml(grants=GRANTS + grant("nurse", "care", ["read"])),
        f"grants[2].role: 'nurse' is not a role Serment knows; the roles are {THE_ROLES}",
        id="grant-to-unknown-role",
    ),
    pytest.param(
        policy_toml(grants=GRANTS + grant("lab", "billing", ["read"])),
        f"grants[2].purpose: 'billing' is not a purpose Serment knows; the purposes are {THE_PURPOSES}",
        id="grant-of-unknown-purpose",
    ),
    pytest.param(
        policy_toml(grants=GRANTS + grant("lab", "care", ["register", "delete"])),
        f"grants[2].actions[1]: 'delete' is not an action Serment knows; the actions are {THE_ACTIONS}",
        id="unknown-action",
    ),
    pytest.param(
        policy_toml(grants=GRANTS + grant("lab", "care", [])),
        "grants[2].actions: grants role 'lab' no action for purpose 'care'; list at least one action or "
        "remove this grant",
        id="no-action",
    ),
    pytest.param(
        policy_toml(grants=GRANTS + grant("lab", "care", ["register", "register"])),
        "grants[2].actions[1]: lists the action 'register' twice; keep one",
        id="action-twice",
    ),
    pytest.param(
        policy_toml(grants=GRANTS + grant("clinician", "care", ["update"])),
        "grants[2]: grants role 'clinician' the purpose 'care' a second time (first in grants[0]); "
        "merge the two into one grant",
        id="role-and-purpose-twice",
    ),
    pytest.param(
        policy_toml(grants=GRANTS + grant("admin", "administration", ["backup", "read"])),
        "grants[2].actions[1]: grants the medical action 'read' to role 'admin', which has medical = false; "
        "separation of duties: such a role may be granted none of "
        "register, read, update, merge, report, list, investigate and export",
        id="separation-of-duties",
    ),
    pytest.param(
        policy_toml(grants=GRANTS + grant("clinician", "self", ["history"])),
        "grants[2]: grants the purpose 'self' to role 'clinician'; only the role 'patient' acts for the "
        "purpose self, on their own record",
        id="self-to-another-role",
    ),
    pytest.param(
        policy_toml(retention={**MONTHS, "identity": "0"}),
        "retention.identity.months: must be at least 1 month (got 0)",
        id="no-retention",
    ),
    pytest.param(
        policy_toml(retention={**MONTHS, "identity": "2.5"}),
        "retention.identity.months: Input should be a valid integer (got 2.5)",
        id="fractional-months",
    ),
    pytest.param(
        policy_toml(retention={**MONTHS, "audit": "5"}),
        "retention.audit.months: must be at least 6 months for the audit log, so that people can check who "
        "accessed their record (got 5)",
        id="short-audit",
    ),
    pytest.param(
        policy_toml(retention={**MONTHS, "blood": "3"}),
        f"retention.blood: 'blood' is not a data category Serment knows; the categories are {THE_CATEGORIES}",
        id="unknown-category",
    ),
    pytest.param(
        policy_toml(retention=without(MONTHS, "contacts")),
        "retention: the category 'contacts' has no retention rule; add a [retention.contacts] table with "
        'months and after = "last_event" or "event"',
        id="missing-category",
    ),
    pytest.param(
        policy_toml(minimisation={**CARRIED, "vaccination": {"person": '["family_name"]'}}),
        "minimisation.vaccination: 'vaccination' is not a kind of report Serment knows; the kinds are "
        "case, result and contact",
        id="unknown-kind-of-report",
    ),
    pytest.param(
        policy_toml(minimisation={k: v for k, v in CARRIED.items() if k != "contact"}),
        "minimisation: the contact report is not listed; add a [minimisation.contact] table with "
        "person = [...] and exposure = [...], the fields each may carry",
        id="missing-kind-of-report",
    ),
    pytest.param(
        policy_toml(minimisation={**CARRIED, "result": {**CARRIED["result"], "exposure": "[]"}}),
        "minimisation.result.exposure: 'exposure' is not a part of a result report; its parts are person "
        "and result",
        id="unknown-part",
    ),
    pytest.param(
        policy_toml(minimisation={**CARRIED, "case": {"person": CARRIED["case"]["person"]}}),
        "minimisation.case: the case report has no list for its case; add case = [...] with the fields it "
        "may carry",
        id="missing-part",
    ),
    pytest.param(
        policy_toml(minimisation=carrying("contact", "person", [*FIELDS["person"][1:5], "nir", "ssn"])),
        f"minimisation.contact.person[5]: 'ssn' is not a person field Serment knows; the person fields "
        f"are {THE_PERSON_FIELDS}",
        id="unknown-field",
    ),
    pytest.param(
        policy_toml(minimisation=carrying("result", "person", [*FIELDS["person"], "phone"])),
        "minimisation.result.person[9]: lists the field 'phone' twice; keep one",
        id="field-twice",
    ),
    pytest.param(
        policy_toml(minimisation=carrying("contact", "person", ["family_name", "given_names", "phone"])),
        "minimisation.contact.person: must list birth_date and sex, which no policy may withhold: a person "
        "cannot be registered without their names, birth date and sex",
        id="identity-withheld",
    ),
    pytest.param(
        policy_toml(minimisation=carrying("contact", "exposure", ["date", "place_id"])),
        "minimisation.contact.exposure: must list setting, which no policy may withhold: an exposure needs "
        "its date and setting",
        id="setting-withheld",
    ),
    pytest.param(
        policy_toml(minimisation=carrying("case", "case", '"all"')),
        "minimisation.case.case: Input should be a valid tuple (got 'all')",
        id="fields-not-a-list",
    ),
    pytest.param(
        policy_toml(tracing=TRACING.replace("depth = 2", "depth = 3")),
        "tracing.tiers: needs 4 tiers (tier 0 for cases, then 3 contact tiers), not 3",
        id="tiers-missing",
    ),
    pytest.param(
        policy_toml(tracing=TRACING.replace("depth = 2", "depth = 9")),
        "tracing.depth: must be between 0 and 5 contact tiers (got 9)",
        id="too-deep",
    ),
    pytest.param(
        policy_toml(tracing=TRACING.replace('place = "home"', 'place = "prison"')),
        "tracing.tiers[1].place: Input should be 'hospital', 'facility', 'home' or 'self_monitoring' "
        "(got 'prison')",
        id="unknown-place",
    ),
    pytest.param(
        policy_toml(tracing=TRACING.replace("test_days = [1, 13]", "test_days = [1, 30]")),
        "tracing.tiers[1].test_days[1]: must be a day from 0 to 14 (got 30)",
        id="test-after-quarantine",
    ),
    pytest.param(
        policy_toml(tracing=TRACING.replace('name = "F2"', 'name = "F1"')),
        "tracing.tiers[2].name: the tier name 'F1' is used twice",
        id="tier-named-twice",
    ),
    pytest.param(
        policy_toml(tracing=TRACING.replace("call_tiers = [1]", "call_tiers = [0]")),
        "tracing.call_tiers[0]: must be a contact tier from 1 to 2 (got 0)",
        id="calling-cases",
    ),
    pytest.param(
        policy_toml(tracing=TRACING.replace("depth = 2", "depth = 2\ncluster_cases = 0")),
        "tracing.cluster_cases: must be at least 1 case (got 0)",
        id="cluster-without-cases",
    ),
    pytest.param(
        policy_toml(tracing=TRACING.replace("depth = 2", "depth = 2\ncluster_days = 0")),
        "tracing.cluster_days: must be at least 1 day (got 0)",
        id="cluster-without-days",
    ),
    pytest.param(
        policy_toml(tracing=TRACING.replace("depth = 2", "depth = 2\nlookback_days = -1")),
        "tracing.lookback_days: must not be negative (got -1)",
        id="negative-lookback",
    ),
    pytest.param(
        policy_toml(tracing=""),
        "tracing: this key is required but missing",
        id="no-tracing",
    ),
]


def refusal(path: Path) -> str:
    """The one-line message with which `load_policy` refuses the file at `path`."""
    with pytest.raises(PolicyError) as refused:
        load_policy(path)
    message = str(refused.value)
    assert "\n" not in message
    return message


def test_the_small_test_policy_itself_loads(tmp_path: Path) -> None:
    path = tmp_path / "fr-custom.toml"
    path.write_text(policy_toml(), encoding="utf-8")
    assert load_policy(path).allows("clinician", "care", "read")


@pytest.mark.parametrize(("text", "expected"), REFUSALS)
def test_a_policy_breaking_a_rule_is_refused_with_one_line(tmp_path: Path, text: str, expected: str) -> None:
    path = tmp_path / "fr-custom.toml"
    path.write_text(text, encoding="utf-8")
    assert refusal(path) == f"{path}: {expected}"


def test_a_key_needing_quotes_is_quoted_in_the_location(tmp_path: Path) -> None:
    path = tmp_path / "fr-custom.toml"
    head_nurse = '[roles."head nurse"]\ndescription = "Leads the ward."\nmedical = true\n'
    path.write_text(replaced(policy_toml(), ADMIN, ADMIN + head_nurse), encoding="utf-8")
    assert refusal(path) == (
        f"{path}: roles.\"head nurse\": 'head nurse' is not a role Serment knows; the roles are {THE_ROLES}"
    )


def test_an_unknown_name_is_neither_a_preset_nor_a_file() -> None:
    with pytest.raises(PolicyError) as refused:
        load_policy("fr-2021")
    assert (
        str(refused.value)
        == "fr-2021: neither a preset (fr-2020, vn-2020) nor the path of a .toml policy file"
    )


def test_a_missing_file_is_named(tmp_path: Path) -> None:
    path = tmp_path / "missing.toml"
    assert refusal(path) == (
        f"{path}: no such file; give a preset name (fr-2020, vn-2020) or the path of a policy TOML file"
    )


def test_a_file_that_is_not_utf8_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "latin1.toml"
    path.write_bytes('name = "pr\u00e9f\u00e9rences"\n'.encode("latin-1"))
    assert refusal(path) == f"{path}: not UTF-8 text; save the policy file as UTF-8"


def test_a_directory_cannot_be_read_as_a_policy(tmp_path: Path) -> None:
    path = tmp_path / "policy.toml"
    path.mkdir()
    assert refusal(path) == f"{path}: cannot be read (Is a directory)"
