"""Who may do what, and for which purpose, under the fr-2020 policy: the grants written as a table.

Each row reads as a rule: "a clinician, for care, may read a person's identity". The second table lists
refusals worth stating; the last test checks that nothing outside the first table is allowed.
"""

from __future__ import annotations

from itertools import product

import pytest

from serment.policy import ACTIONS, PROHIBITED_PURPOSES, PURPOSES, ROLES, load_policy

FR_2020 = load_policy("fr-2020")

# fmt: off
ALLOWED = [
    # role            purpose           action
    ("clinician",      "care",           "register"),
    ("clinician",      "care",           "read"),
    ("clinician",      "care",           "update"),
    ("clinician",      "care",           "merge"),
    ("clinician",      "care",           "report"),
    ("lab",            "care",           "register"),
    ("lab",            "care",           "report"),
    ("tracer",         "tracing",        "read"),
    ("tracer",         "tracing",        "update"),
    ("tracer",         "tracing",        "register"),
    ("tracer",         "tracing",        "report"),
    ("epidemiologist", "surveillance",   "list"),
    ("epidemiologist", "surveillance",   "investigate"),
    ("dpo",            "audit",          "history"),
    ("dpo",            "audit",          "audit"),
    ("dpo",            "audit",          "oppose"),
    ("dpo",            "audit",          "erase"),
    ("patient",        "self",           "read"),
    ("patient",        "self",           "export"),
    ("patient",        "self",           "history"),
    ("patient",        "self",           "oppose"),
    ("admin",          "administration", "manage_users"),
    ("admin",          "administration", "manage_keys"),
    ("admin",          "administration", "backup"),
]

REFUSED = [
    # role            purpose           action          why
    ("admin",          "administration", "read",         "administering the platform shows no medical data"),
    ("admin",          "care",           "read",         "an administrator has no care purpose"),
    ("dpo",            "audit",          "read",         "auditing access shows no identity"),
    ("dpo",            "audit",          "export",       "auditing access exports no record"),
    ("lab",            "care",           "read",         "a laboratory reports, never browses"),
    ("lab",            "care",           "merge",        "merging records takes reading identities"),
    ("dpo",            "audit",          "merge",        "merging records takes reading identities"),
    ("tracer",         "tracing",        "merge",        "a tracer reaches only assigned contacts"),
    ("tracer",         "tracing",        "erase",        "a tracer records calls, never erases"),
    ("tracer",         "care",           "read",         "a tracer works for tracing, not for care"),
    ("epidemiologist", "surveillance",   "read",         "surveillance works on pseudonymous lists"),
    ("clinician",      "surveillance",   "list",         "care gives no access to surveillance lists"),
    ("clinician",      "care",           "erase",        "erasure is for the data protection officer"),
    ("patient",        "self",           "update",       "a patient reads, a clinician writes"),
    ("patient",        "self",           "erase",        "a patient asks the data protection officer"),
    ("patient",        "care",           "read",         "a patient acts only for self"),
    ("researcher",     "research",       "list",         "researchers get their actions with the hub"),
    ("producer",       "research",       "register",     "producers get their actions with the hub"),
    ("reviewer",       "research",       "read",         "a reviewer never sees a record"),
    ("clinician",      "insurance",      "read",         "insurance is a prohibited purpose"),
    ("admin",          "employment",     "manage_users", "employment is a prohibited purpose"),
]
# fmt: on


@pytest.mark.parametrize(("role", "purpose", "action"), ALLOWED)
def test_allowed(role: str, purpose: str, action: str) -> None:
    assert FR_2020.allows(role, purpose, action)


@pytest.mark.parametrize(("role", "purpose", "action", "why"), REFUSED)
def test_refused(role: str, purpose: str, action: str, why: str) -> None:
    assert not FR_2020.allows(role, purpose, action), why


def test_nothing_outside_the_table_is_allowed() -> None:
    every_triple = product(ROLES, (*PURPOSES, *sorted(PROHIBITED_PURPOSES)), ACTIONS)
    allowed = {triple for triple in every_triple if FR_2020.allows(*triple)}
    assert allowed == set(ALLOWED)
