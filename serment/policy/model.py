"""The policy model: the vocabulary Serment knows (roles, purposes, actions, data categories) and the
rules an installation chooses with it (grants and retention), validated so that no policy object can
break a promise of the platform. Minimisation (what each kind of report may carry) has its vocabulary
and rules in `minimisation.py`.

The vocabulary is fixed here, in code, because the rest of Serment is written against it; a policy
file only chooses which role may do what for which purpose, how long each category is kept and which
fields each report may carry.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from itertools import chain
from typing import Annotated, Literal, Self

from pydantic import (
    BaseModel,
    ConfigDict,
    StrictBool,
    StrictInt,
    StrictStr,
    StringConstraints,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from serment.policy.minimisation import minimisation_problems
from serment.policy.tracing import TracingRules, tracing_problems

ROLES: tuple[str, ...] = (
    "admin",
    "clinician",
    "lab",
    "tracer",
    "epidemiologist",
    "producer",
    "researcher",
    "reviewer",
    "dpo",
    "patient",
)
PURPOSES: tuple[str, ...] = ("care", "tracing", "surveillance", "research", "audit", "self", "administration")

# What each action lets an actor do, in the order the documentation lists them.
ACTION_MEANINGS: dict[str, str] = {
    "register": "find or create a person",
    "read": "see a person's identity",
    "update": "change a person's data",
    "merge": "review duplicate records and merge or separate them",
    "report": "report test results, cases and contacts",
    "erase": "erase a person's data",
    "list": "see pseudonymous lists",
    "investigate": "open, follow and close cluster investigations",
    "export": "export a person's data",
    "history": "see a person's access history",
    "oppose": "register or withdraw a person's oppositions",
    "audit": "verify, search and export the audit log",
    "manage_users": "create, change and disable accounts",
    "manage_keys": "rotate and destroy keys",
    "backup": "back up and restore the installation",
}
ACTIONS: tuple[str, ...] = tuple(ACTION_MEANINGS)
# Actions that reveal medical or identity data: never granted to a role with `medical = false`.
MEDICAL_ACTIONS: frozenset[str] = frozenset(
    {"register", "read", "update", "merge", "report", "list", "investigate", "export"}
)

CATEGORY_MEANINGS: dict[str, str] = {
    "identity": "sealed identities: names, NIR, birth date, address, phone, e-mail, notes",
    "results": "test results",
    "cases": "cases: people who tested positive and their onset dates",
    "contacts": "contacts and their exposures",
    "tracing_tasks": "tracers' tasks and call outcomes",
    "audit": "the audit log of every access",
    "surveillance": "pseudonymised surveillance data: counts, chains and clusters",
}
CATEGORIES: tuple[str, ...] = tuple(CATEGORY_MEANINGS)

PROHIBITED_MEANINGS: dict[str, str] = {
    "insurance": "pricing, granting or refusing insurance",
    "employment": "hiring, firing or any other decision about employment",
    "marketing": "advertising and marketing",
    "credit": "lending and credit scoring",
    "law_enforcement": "policing, prosecution and immigration control",
}
PROHIBITED_PURPOSES: frozenset[str] = frozenset(PROHIBITED_MEANINGS)

PATIENT_ROLE = "patient"
UNOPPOSABLE_PURPOSES = ("audit", "self", "administration")
SELF_PURPOSE = "self"
AUDIT_CATEGORY = "audit"
# People must be able to check who read their record for a while after the fact.
AUDIT_MINIMUM_MONTHS = 6

Relationship = Literal["none", "self", "assigned"]
Anchor = Literal["last_event", "event"]
# TOML writes these keys without quotes; any other key is quoted in locations.
_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")
Text = Annotated[StrictStr, StringConstraints(strip_whitespace=True, min_length=1)]


def is_prohibited(purpose: str) -> bool:
    """Whether `purpose` is one no policy may define or grant; for the loader and the guard."""
    # Spelling variants ("Insurance", "law-enforcement") are refused as firmly as the canonical names.
    return purpose.strip().lower().replace("-", "_") in PROHIBITED_PURPOSES


def location_of(path: tuple[str | int, ...]) -> str:
    """The TOML location of a value, such as `grants[3].actions[0]` or `roles.admin`, for error messages."""
    text = ""
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            key = part if _BARE_KEY.fullmatch(part) else f'"{part}"'
            text += f".{key}" if text else key
    return text


def _listing(names: tuple[str, ...] | list[str]) -> str:
    return ", ".join(names[:-1]) + f" and {names[-1]}" if len(names) > 1 else "".join(names)


PROHIBITED_LISTING = _listing(list(PROHIBITED_MEANINGS))
_POLICY_CONFIG = ConfigDict(extra="forbid", frozen=True)


class Role(BaseModel):
    """A role an actor holds, and whether it may ever see medical data."""

    model_config = _POLICY_CONFIG

    description: Text
    medical: StrictBool


class Purpose(BaseModel):
    """A reason to process personal data, and which people an actor reaches for it."""

    model_config = _POLICY_CONFIG

    description: Text
    relationship: Relationship
    # Whether a person may object to this use of their data; the guard then refuses it for them.
    opposable: StrictBool = False


class Grant(BaseModel):
    """The actions one role may take for one purpose."""

    model_config = _POLICY_CONFIG

    role: StrictStr
    purpose: StrictStr
    actions: tuple[StrictStr, ...]


class RetentionRule(BaseModel):
    """How long one category of data is kept, counted from which date."""

    model_config = _POLICY_CONFIG

    months: StrictInt
    after: Anchor

    @field_validator("months")
    @classmethod
    def _at_least_one_month(cls, months: int) -> int:
        if months < 1:
            raise PydanticCustomError(
                "retention_too_short", "must be at least 1 month (got {months})", {"months": months}
            )
        return months

    def expires_at(self, anchor: datetime) -> datetime:
        """When data anchored at `anchor` expires: `months` calendar months later, in UTC."""
        if anchor.tzinfo is None or anchor.utcoffset() is None:
            raise ValueError(f"retention needs a timezone-aware datetime, got naive {anchor.isoformat()}")
        start = anchor.astimezone(UTC)
        year, month_index = divmod(start.month - 1 + self.months, 12)
        year += start.year
        # 31 January + 1 month is the last day of February, not 3 March.
        day = min(start.day, calendar.monthrange(year, month_index + 1)[1])
        return start.replace(year=year, month=month_index + 1, day=day)


class Policy(BaseModel):
    """The rules of one installation: who may do what for which purpose, how long data is kept, and
    which fields each kind of report may carry.

    Built by `load_policy`; the guard asks `allows`, the purge asks `expires_at`, reporting asks
    `may_carry`.
    """

    model_config = _POLICY_CONFIG

    name: Text
    description: Text
    roles: dict[str, Role]
    purposes: dict[str, Purpose]
    grants: tuple[Grant, ...]
    retention: dict[str, RetentionRule]
    # Minimisation: the fields each part of each kind of report may carry (see minimisation.py).
    minimisation: dict[str, dict[str, tuple[StrictStr, ...]]]
    # Tracing: contact tiers, their quarantine, and tracers' tasks (see tracing.py).
    tracing: TracingRules

    @model_validator(mode="after")
    def _follows_the_rules(self) -> Self:
        problems = chain(
            _role_problems(self), _purpose_problems(self), _grant_problems(self), _retention_problems(self),
            minimisation_problems(self.minimisation), tracing_problems(self.tracing),
        )  # fmt: skip
        first = next(problems, None)
        if first is not None:
            path, problem = first
            location = location_of(path)
            raise PydanticCustomError(
                "policy_rule", "{location}: {problem}", {"location": location, "problem": problem}
            )
        return self

    def allows(self, role: str, purpose: str, action: str) -> bool:
        """Whether `role` may take `action` for `purpose`: the question the guard asks before every access.

        Anything the policy does not grant, including names outside the vocabulary, is refused.
        """
        return action in self.actions_of(role, purpose)

    def actions_of(self, role: str, purpose: str) -> frozenset[str]:
        """The actions granted to `role` for `purpose`, empty when none; for the guard and the pages."""
        # Validation already refuses prohibited grants; refusing here too keeps the promise local.
        if is_prohibited(purpose):
            return frozenset()
        for grant in self.grants:
            if grant.role == role and grant.purpose == purpose:
                return frozenset(grant.actions)
        return frozenset()

    def purposes_of(self, role: str) -> tuple[str, ...]:
        """The purposes granted to `role`, in vocabulary order; for sign-in and purpose pickers."""
        granted = {grant.purpose for grant in self.grants if grant.role == role}
        return tuple(purpose for purpose in PURPOSES if purpose in granted)

    def default_purpose(self, role: str) -> str | None:
        """The purpose an actor of `role` works under without choosing: its only one, else None."""
        purposes = self.purposes_of(role)
        return purposes[0] if len(purposes) == 1 else None

    def opposable_purposes(self) -> tuple[str, ...]:
        """The purposes a person may oppose, in PURPOSES order."""
        return tuple(name for name in PURPOSES if name in self.purposes and self.purposes[name].opposable)

    def relationship(self, purpose: str) -> Relationship:
        """Which people an actor reaches for `purpose`: "none" (anyone), "self" or "assigned"."""
        if purpose not in self.purposes:
            raise ValueError(
                f"{purpose!r} is not a purpose of policy {self.name}; the purposes are {_listing(PURPOSES)}"
            )
        return self.purposes[purpose].relationship

    def retention_for(self, category: str) -> RetentionRule:
        """How long the data of `category` is kept; for the purge and the key epochs."""
        if category not in self.retention:
            raise ValueError(
                f"{category!r} is not a data category of policy {self.name}; "
                f"the categories are {_listing(CATEGORIES)}"
            )
        return self.retention[category]

    def expires_at(self, category: str, anchor: datetime) -> datetime:
        """When data of `category` anchored at `anchor` (timezone-aware) expires, in UTC; for the purge."""
        return self.retention_for(category).expires_at(anchor)

    def may_carry(self, kind: str, part: str) -> frozenset[str]:
        """The fields the `part` of a `kind` report may carry ("contact", "person"); empty for names
        outside the vocabulary. For the reporting services, which refuse a report carrying any other."""
        return frozenset(self.minimisation.get(kind, {}).get(part, ()))


Problem = tuple[tuple[str | int, ...], str]


def _role_problems(policy: Policy) -> Iterator[Problem]:
    for name in policy.roles:
        if name not in ROLES:
            yield ("roles", name), f"{name!r} is not a role Serment knows; the roles are {_listing(ROLES)}"
    for name in ROLES:
        if name not in policy.roles:
            yield (
                ("roles",),
                f"the role {name!r} is not defined; add a [roles.{name}] table with its description "
                "and medical = true or false",
            )


def _purpose_problems(policy: Policy) -> Iterator[Problem]:
    for name in policy.purposes:
        if is_prohibited(name):
            yield (
                ("purposes", name),
                f"defines the prohibited purpose {name!r}; {PROHIBITED_LISTING} can be granted to no one",
            )
        elif name not in PURPOSES:
            yield (
                ("purposes", name),
                f"{name!r} is not a purpose Serment knows; the purposes are {_listing(PURPOSES)}",
            )
    for name in PURPOSES:
        if name not in policy.purposes:
            yield (
                ("purposes",),
                f"the purpose {name!r} is not defined; add a [purposes.{name}] table with its description "
                'and relationship = "none", "self" or "assigned"',
            )
    for name in UNOPPOSABLE_PURPOSES:
        defined = policy.purposes.get(name)
        if defined is not None and defined.opposable:
            yield (
                ("purposes", name, "opposable"),
                f"the purpose {name!r} cannot be opposable: the audit, a person's own access and the "
                "platform's administration must stay possible",
            )
    own = policy.purposes.get(SELF_PURPOSE)
    if own is not None and own.relationship != "self":
        yield (
            ("purposes", SELF_PURPOSE, "relationship"),
            "the purpose 'self' must have relationship = \"self\", so that a patient reaches only their "
            "own record",
        )


def _grant_problems(policy: Policy) -> Iterator[Problem]:
    first_grant: dict[tuple[str, str], int] = {}
    for index, grant in enumerate(policy.grants):
        here: tuple[str | int, ...] = ("grants", index)
        role, purpose = grant.role, grant.purpose
        if is_prohibited(purpose):
            yield (
                here,
                f"grants the prohibited purpose {purpose!r} to role {role!r}; "
                f"{PROHIBITED_LISTING} can be granted to no one",
            )
        elif purpose not in PURPOSES:
            yield (
                (*here, "purpose"),
                f"{purpose!r} is not a purpose Serment knows; the purposes are {_listing(PURPOSES)}",
            )
        if role not in ROLES:
            yield (*here, "role"), f"{role!r} is not a role Serment knows; the roles are {_listing(ROLES)}"
        if not grant.actions:
            yield (
                (*here, "actions"),
                f"grants role {role!r} no action for purpose {purpose!r}; list at least one action "
                "or remove this grant",
            )
        yield from _action_problems(policy, here, grant)
        if (role, purpose) in first_grant:
            yield (
                here,
                f"grants role {role!r} the purpose {purpose!r} a second time (first in "
                f"grants[{first_grant[role, purpose]}]); merge the two into one grant",
            )
        first_grant.setdefault((role, purpose), index)
        if purpose == SELF_PURPOSE and role != PATIENT_ROLE:
            yield (
                here,
                f"grants the purpose 'self' to role {role!r}; only the role 'patient' acts for the purpose "
                "self, on their own record",
            )


def _action_problems(policy: Policy, here: tuple[str | int, ...], grant: Grant) -> Iterator[Problem]:
    role = policy.roles.get(grant.role)
    for position, action in enumerate(grant.actions):
        where = (*here, "actions", position)
        if action not in ACTIONS:
            yield where, f"{action!r} is not an action Serment knows; the actions are {_listing(ACTIONS)}"
        elif action in grant.actions[:position]:
            yield where, f"lists the action {action!r} twice; keep one"
        elif action in MEDICAL_ACTIONS and role is not None and not role.medical:
            yield (
                where,
                f"grants the medical action {action!r} to role {grant.role!r}, which has medical = false; "
                f"separation of duties: such a role may be granted none of "
                f"{_listing([a for a in ACTIONS if a in MEDICAL_ACTIONS])}",
            )


def _retention_problems(policy: Policy) -> Iterator[Problem]:
    for name in policy.retention:
        if name not in CATEGORIES:
            yield (
                ("retention", name),
                f"{name!r} is not a data category Serment knows; the categories are {_listing(CATEGORIES)}",
            )
    for name in CATEGORIES:
        if name not in policy.retention:
            yield (
                ("retention",),
                f"the category {name!r} has no retention rule; add a [retention.{name}] table with months "
                'and after = "last_event" or "event"',
            )
    audit = policy.retention.get(AUDIT_CATEGORY)
    if audit is not None and audit.months < AUDIT_MINIMUM_MONTHS:
        yield (
            ("retention", AUDIT_CATEGORY, "months"),
            f"must be at least {AUDIT_MINIMUM_MONTHS} months for the audit log, so that people can check "
            f"who accessed their record (got {audit.months})",
        )
