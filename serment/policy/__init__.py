"""The policy: Serment's fixed vocabulary (roles, purposes, actions, data categories, kinds of report
and their fields) and the rules an installation chooses with it (grants, retention and minimisation),
loaded from the presets `fr-2020` and `vn-2020` or from an operator's TOML file, validated on load and
rendered as documentation from the same source.

The guard asks `Policy.allows`; the purge asks `Policy.expires_at`; the reporting services ask
`Policy.may_carry`; `load_policy` refuses any policy that grants a prohibited purpose, lets an
administering role see medical data or withholds a field a report cannot do without.
"""

from serment.policy.loader import PolicyError, load_policy, parse_policy, preset_names
from serment.policy.minimisation import FIELDS, NEEDED, REPORT_KINDS, REPORT_PARTS, refusal
from serment.policy.model import (
    ACTIONS,
    CATEGORIES,
    MEDICAL_ACTIONS,
    PROHIBITED_PURPOSES,
    PURPOSES,
    ROLES,
    Grant,
    Policy,
    Purpose,
    RetentionRule,
    Role,
    is_prohibited,
)
from serment.policy.render import render_markdown, render_tables

__all__ = [
    "ACTIONS",
    "CATEGORIES",
    "FIELDS",
    "MEDICAL_ACTIONS",
    "NEEDED",
    "PROHIBITED_PURPOSES",
    "PURPOSES",
    "REPORT_KINDS",
    "REPORT_PARTS",
    "ROLES",
    "Grant",
    "Policy",
    "PolicyError",
    "Purpose",
    "RetentionRule",
    "Role",
    "is_prohibited",
    "load_policy",
    "parse_policy",
    "preset_names",
    "refusal",
    "render_markdown",
    "render_tables",
]
