"""Demo accounts: one per role, named `<role>.demo`, each given a fresh API token at every start."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from serment.access import Platform, operator
from serment.access.accounts import add_user, create_token
from serment.policy import ROLES
from serment.store.tables import UserRow

DEMO_ORGANISATION = "Serment demo"
TOKEN_DAYS = 1


@dataclass(frozen=True)
class DemoLogin:
    """A demo account: its role, name, initial password (only when just created) and a fresh token."""

    role: str
    account: str
    password: str | None
    token: str


def demo_logins(platform: Platform) -> list[DemoLogin]:
    """Make sure an account of every role exists and give each a token valid for one day."""
    with platform.database.read() as session:
        existing = set(session.scalars(select(UserRow.name)))
    logins = []
    for role in ROLES:
        name = f"{role}.demo"
        password = None
        if name not in existing:
            password = add_user(
                platform, operator(), name=name, role=role, organisation=DEMO_ORGANISATION
            ).password
        token = create_token(platform, operator(), name=name, days=TOKEN_DAYS).token
        logins.append(DemoLogin(role, name, password, token))
    return logins
