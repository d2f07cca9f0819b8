"""A role with several purposes must name one; passwords lock after repeated failures; every
security event of the secrecy core is an audit event."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from serment.access import operator
from serment.access.accounts import AuthenticationFailed, add_user, authenticate_password
from serment.clock import FixedClock
from serment.installation import (
    DailyUpkeep,
    Installation,
    initialise,
    open_installation,
    purge_installation,
    rotate_keys,
)
from serment.settings import Settings
from serment.store.tables import AuditEventRow, TracingStateRow, UserRow
from serment.web import create_app
from tests.conftest import Accounts
from tests.people_data import people

PRESET = Path(__file__).resolve().parents[2] / "serment" / "policy" / "presets" / "fr-2020.toml"
ALICE = people(1, seed=9)[0]


@pytest.fixture
def two_purpose_settings(tmp_path: Path, database_url: str | None) -> Settings:
    """A policy where clinicians also register contacts for tracing: two purposes, none implied."""
    policy = tmp_path / "clinicians-trace.toml"
    policy.write_text(
        PRESET.read_text(encoding="utf-8") + '\n[[grants]]\nrole = "clinician"\npurpose = "tracing"\n'
        'actions = ["register"]\n',
        encoding="utf-8",
    )
    return Settings(data_dir=tmp_path / "data", database_url=database_url, policy=str(policy))


@pytest.mark.anyio
async def test_a_role_with_several_purposes_must_name_one(two_purpose_settings: Settings) -> None:
    initialise(two_purpose_settings)
    installation = open_installation(two_purpose_settings)
    try:
        accounts = Accounts(installation.platform)
        app = create_app(two_purpose_settings, installation=installation)
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
            unnamed = await client.post(
                "/api/v1/people", json=ALICE.payload(), headers=accounts.headers("clinician")
            )
            assert unnamed.status_code == 400
            assert unnamed.json()["detail"] == (
                "the role clinician acts for several purposes (care, tracing); "
                "name one in the Serment-Purpose header"
            )
            named = await client.post(
                "/api/v1/people",
                json=ALICE.payload(),
                headers=accounts.headers("clinician", purpose="tracing"),
            )
            assert named.status_code == 201
    finally:
        installation.close()


def test_five_wrong_passwords_lock_the_account_and_each_attempt_is_audited(
    installation: Installation, clock: FixedClock
) -> None:
    platform = installation.platform
    new = add_user(platform, operator(), name="dr-bernard", role="clinician", organisation="CHU")
    assert authenticate_password(platform, "dr-bernard", new.password).name == "dr-bernard"
    for _ in range(5):
        with pytest.raises(AuthenticationFailed):
            authenticate_password(platform, "dr-bernard", "guess")
    with pytest.raises(AuthenticationFailed):
        authenticate_password(platform, "dr-bernard", new.password)  # locked, even with the right one
    clock.advance(timedelta(minutes=16))
    assert authenticate_password(platform, "dr-bernard", new.password).role == "clinician"
    with pytest.raises(AuthenticationFailed):
        authenticate_password(platform, "nobody", "x")
    with installation.database.read() as session:
        user = session.scalars(select(UserRow).where(UserRow.name == "dr-bernard")).one()
        assert user.password_hash is not None
        assert user.password_hash.startswith("$argon2id$")
        outcomes = [
            (event.action, event.reason)
            for event in session.scalars(select(AuditEventRow).where(AuditEventRow.action.like("login%")))
        ]
    assert outcomes[0] == ("login", None)
    assert [reason for _, reason in outcomes[1:5]] == ["wrong password"] * 4
    assert outcomes[5] == ("login_failed", "wrong password; locked for 15 minutes")
    assert outcomes[6] == ("login_failed", "account locked")
    assert outcomes[7] == ("login", None)
    assert outcomes[8] == ("login_failed", "unknown account")


def test_every_security_event_is_audited(
    installation: Installation, accounts: Accounts, clock: FixedClock
) -> None:
    accounts.token("clinician")
    rotate_keys(installation)
    clock.set(datetime(2027, 1, 1, tzinfo=UTC))
    purge_installation(installation)
    with installation.database.read() as session:
        actions = set(session.scalars(select(AuditEventRow.action)))
    assert {"installed", "user_added", "token_created", "key_rotation", "purge"} <= actions


def test_the_daily_upkeep_purges_and_recomputes_the_tiers_at_start_and_stops(
    installation: Installation,
) -> None:
    upkeep = DailyUpkeep(installation, every=timedelta(hours=1))
    upkeep.start()
    upkeep.stop()
    upkeep.join(timeout=30)
    assert not upkeep.is_alive()
    with installation.database.read() as session:
        assert "purge" in set(session.scalars(select(AuditEventRow.action)))
        state = session.get(TracingStateRow, 1)
    assert state is not None
    assert state.at == installation.clock.now().date(), "the tiers hold for today"
