"""Demo accounts: one per role, with the French names a public-health team would expect, a shared
password, and a fresh API token each at every start; and a team of two tracers covering every
region, so that the outbreak's calls are shared between them."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from sqlalchemy import select

from serment.access import Actor, Platform, operator
from serment.access.accounts import add_user, create_token, link_patient
from serment.store.tables import UserRow
from serment.tracing.teams import ANY_REGION, add_team, list_teams

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
# Tracers beyond the one of ACCOUNT_NAMES: round robin needs two to show.
EXTRA_TRACERS = ("traceuse",)
TRACER_ROLE = "tracer"


@dataclass(frozen=True)
class DemoLogin:
    """A demo account: its role, name and a fresh API token."""

    role: str
    account: str
    token: str

    @property
    def variable(self) -> str:
        """The shell variable its token is exported as: by role, or by name for extra tracers."""
        suffix = self.role if ACCOUNT_NAMES.get(self.role) == self.account else self.account
        return f"SERMENT_TOKEN_{suffix.upper()}"


def demo_password(given: str | None) -> str:
    """The demo accounts' password: the one given (SERMENT_DEMO_PASSWORD), or a new random one."""
    return given or secrets.token_urlsafe(12)


def ensure_accounts(platform: Platform, password: str) -> dict[str, Actor]:
    """Make sure the demo account of every role exists; the actors, by role."""
    with platform.database.read() as session:
        existing = {user.name: user for user in session.scalars(select(UserRow))}
    actors: dict[str, Actor] = {}
    for role, name in [*ACCOUNT_NAMES.items(), *((TRACER_ROLE, extra) for extra in EXTRA_TRACERS)]:
        if name not in existing:
            add_user(
                platform, operator(), name=name, role=role, organisation=DEMO_ORGANISATION, password=password
            )
        actors.setdefault(role, Actor(name=name, role=role, organisation=DEMO_ORGANISATION))
    # The demo's tracers are the team of its organisation, which takes the calls of every region.
    if all(team.name != DEMO_ORGANISATION for team in list_teams(platform, operator()).teams):
        add_team(platform, operator(), DEMO_ORGANISATION, [ANY_REGION])
    return actors


def link_demo_patient(platform: Platform, person_ref: str) -> None:
    """Link the demo patient account to a person of the outbreak."""
    link_patient(platform, operator(), name=ACCOUNT_NAMES["patient"], person_ref=person_ref)


def demo_logins(platform: Platform) -> list[DemoLogin]:
    """A token valid one day for every demo account: one per role, then the extra tracers."""
    accounts = [*ACCOUNT_NAMES.items(), *((TRACER_ROLE, extra) for extra in EXTRA_TRACERS)]
    return [
        DemoLogin(role, name, create_token(platform, operator(), name=name, days=TOKEN_DAYS).token)
        for role, name in accounts
    ]
