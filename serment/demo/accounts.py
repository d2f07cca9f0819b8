"""Demo accounts: one per role, with the French names a public-health team would expect, a shared
password, and a fresh API token each at every start."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from sqlalchemy import select

from serment.access import Actor, Platform, operator
from serment.access.accounts import add_user, create_token, link_patient
from serment.store.tables import UserRow

DEMO_ORGANISATION = "Démo Serment"
TOKEN_DAYS = 1
ACCOUNT_NAMES = {
    "admin": "admin",
    "clinician": "clinicien",
    "lab": "labo",
    "tracer": "traceur",
    "epidemiologist": "epidemio",
    "producer": "producteur",
    "researcher": "chercheur",
    "reviewer": "relecteur",
    "dpo": "dpo",
    "patient": "patient",
}


@dataclass(frozen=True)
class DemoLogin:
    """A demo account: its role, name and a fresh API token."""

    role: str
    account: str
    token: str


def demo_password(given: str | None) -> str:
    """The demo accounts' password: the one given (SERMENT_DEMO_PASSWORD), or a new random one."""
    return given or secrets.token_urlsafe(12)


def ensure_accounts(platform: Platform, password: str) -> dict[str, Actor]:
    """Make sure the demo account of every role exists; the actors, by role."""
    with platform.database.read() as session:
        existing = {user.name: user for user in session.scalars(select(UserRow))}
    actors = {}
    for role, name in ACCOUNT_NAMES.items():
        if name not in existing:
            add_user(
                platform, operator(), name=name, role=role, organisation=DEMO_ORGANISATION, password=password
            )
        actors[role] = Actor(name=name, role=role, organisation=DEMO_ORGANISATION)
    return actors


def link_demo_patient(platform: Platform, person_ref: str) -> None:
    """Link the demo patient account to a person of the outbreak."""
    link_patient(platform, operator(), name=ACCOUNT_NAMES["patient"], person_ref=person_ref)


def demo_logins(platform: Platform) -> list[DemoLogin]:
    """A token valid one day for every demo account."""
    return [
        DemoLogin(role, name, create_token(platform, operator(), name=name, days=TOKEN_DAYS).token)
        for role, name in ACCOUNT_NAMES.items()
    ]
