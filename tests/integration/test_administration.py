"""The administrator's use cases beyond creating accounts: listing accounts and tokens, disabling,
enabling and unlocking, revoking, the platform's operations from the audit log, and the keys'
status; each guarded (refused to other roles, audited) and never naming a person."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from pydantic import SecretStr
from sqlalchemy import select

from serment.access import Actor, Platform, Refused, Request, operator
from serment.access.accounts import (
    AccountError,
    AuthenticationFailed,
    account_problems,
    add_user,
    authenticate_password,
    authenticate_token,
    create_token,
)
from serment.access.administration import (
    BACKUP_OPERATIONS,
    KEY_OPERATIONS,
    AdministrationError,
    disable_account,
    enable_account,
    list_accounts,
    list_tokens,
    recent_operations,
    revoke_token,
    unlock_account,
)
from serment.clock import FixedClock
from serment.installation import (
    Installation,
    back_up_installation,
    page_backup_directory,
    purge_installation,
    rotate_keys,
)
from serment.people.epochs import key_status
from serment.settings import Settings
from serment.store.tables import AuditEventRow

ADMIN = Request(Actor("root-1", "admin", "IT"), purpose="administration", request_id="req-admin")
TRACER = Request(Actor("tracer-1", "tracer", "Tracer Org"), purpose="tracing")


def _audited(platform: Platform, action: str) -> list[AuditEventRow]:
    with platform.database.read() as session:
        return list(session.scalars(select(AuditEventRow).where(AuditEventRow.action == action)))


@pytest.fixture
def staff(platform: Platform) -> list[str]:
    """Three accounts besides the operator's: an epidemiologist, a patient linked to no one yet, a tracer."""
    names = ["epi-1", "patient-1", "tracer-1"]
    for name, role in zip(names, ("epidemiologist", "patient", "tracer"), strict=True):
        add_user(platform, operator(), name=name, role=role, password="p" * 12)
    return names


def test_accounts_are_listed_by_name_a_page_at_a_time(
    platform: Platform, clock: FixedClock, staff: list[str]
) -> None:
    authenticate_password(platform, "epi-1", "p" * 12)

    total, first = list_accounts(platform, ADMIN, limit=2)
    _, second = list_accounts(platform, ADMIN, limit=2, offset=2)

    assert total == 3
    assert [a.name for a in first + second] == staff
    assert first[0].role == "epidemiologist"
    assert first[0].last_sign_in is None, "a password check alone opens no browser session"
    assert not any(account.linked for account in first + second)
    (event,) = [e for e in _audited(platform, "manage_users") if e.actor == "root-1"][:1]
    assert (event.outcome, event.subject) == ("allowed", None)


def test_the_account_rules_are_told_all_at_once() -> None:
    problems = account_problems(name="Dr X", role="boss", password="short")

    assert [field for field, _ in problems] == ["name", "role", "password"]
    assert account_problems(name="dr.x", role="clinician", password=None) == []


def test_adding_an_account_says_its_first_problem(platform: Platform) -> None:
    with pytest.raises(AccountError, match="account name"):
        add_user(platform, ADMIN, name="Dr X", role="boss", password="short")


def test_an_account_is_unlocked_disabled_and_enabled_each_change_audited(
    platform: Platform, staff: list[str]
) -> None:
    for _ in range(5):
        with pytest.raises(AuthenticationFailed):
            authenticate_password(platform, "epi-1", "wrong")
    assert list_accounts(platform, ADMIN)[1][0].locked_until is not None

    unlock_account(platform, ADMIN, name="epi-1")
    authenticate_password(platform, "epi-1", "p" * 12)
    disable_account(platform, ADMIN, name="epi-1")
    with pytest.raises(AuthenticationFailed):
        authenticate_password(platform, "epi-1", "p" * 12)
    with pytest.raises(AdministrationError, match="disabled already"):
        disable_account(platform, ADMIN, name="epi-1")
    enable_account(platform, ADMIN, name="epi-1")
    authenticate_password(platform, "epi-1", "p" * 12)

    with pytest.raises(AdministrationError, match="not locked"):
        unlock_account(platform, ADMIN, name="epi-1")
    with pytest.raises(AdministrationError, match="not disabled"):
        enable_account(platform, ADMIN, name="epi-1")
    with pytest.raises(AdministrationError, match="no account is named"):
        disable_account(platform, ADMIN, name="nobody")
    with pytest.raises(AdministrationError, match="your own account"):
        disable_account(platform, ADMIN, name="root-1")
    for action in ("user_unlocked", "user_disabled", "user_enabled"):
        (event,) = _audited(platform, action)
        assert (event.actor, event.purpose, event.detail, event.request_id) == (
            "root-1", "administration", '{"account":"epi-1"}', "req-admin",
        )  # fmt: skip


def test_a_revoked_token_opens_nothing_and_tokens_never_show_their_secret(
    platform: Platform, staff: list[str]
) -> None:
    issued = create_token(platform, operator(), name="tracer-1", days=7)
    token_id = issued.token.split("_")[1]

    total, (shown,) = list_tokens(platform, ADMIN)
    revoke_token(platform, ADMIN, token_id=token_id)

    assert (total, shown.id, shown.account, shown.revoked_at) == (1, token_id, "tracer-1", None)
    assert issued.token.split("_")[2] not in repr(shown)
    with pytest.raises(AuthenticationFailed):
        authenticate_token(platform, issued.token)
    assert list_tokens(platform, ADMIN)[1][0].revoked_at is not None
    with pytest.raises(AdministrationError, match="revoked already"):
        revoke_token(platform, ADMIN, token_id=token_id)
    with pytest.raises(AdministrationError, match="no API token"):
        revoke_token(platform, ADMIN, token_id="0" * 12)
    (event,) = _audited(platform, "token_revoked")
    assert event.detail == f'{{"account":"tracer-1","token":"{token_id}"}}'


@pytest.mark.parametrize(
    "call",
    [
        lambda p: list_accounts(p, TRACER),
        lambda p: list_tokens(p, TRACER),
        lambda p: disable_account(p, TRACER, name="epi-1"),
        lambda p: revoke_token(p, TRACER, token_id="0" * 12),
        lambda p: recent_operations(p, TRACER, KEY_OPERATIONS, needs="manage_keys"),
        lambda p: key_status(p, TRACER),
    ],
)
def test_another_role_is_refused_and_the_refusal_audited(
    platform: Platform, staff: list[str], call: Callable[[Platform], object]
) -> None:
    with pytest.raises(Refused):
        call(platform)

    refused = [e for e in _audited_all(platform) if e.actor == "tracer-1" and e.outcome == "refused"]
    assert len(refused) == 1


def _audited_all(platform: Platform) -> list[AuditEventRow]:
    with platform.database.read() as session:
        return list(session.scalars(select(AuditEventRow)))


def test_the_platforms_operations_are_read_from_the_audit_log_newest_first(
    installation: Installation, settings: Settings, clock: FixedClock
) -> None:
    platform = installation.platform
    rotate_keys(installation)
    clock.advance(timedelta(minutes=1))
    rotate_keys(installation, ADMIN)
    purge_installation(installation)
    configured = settings.model_copy(update={"backup_passphrase": SecretStr("backup passphrase")})
    report = back_up_installation(installation, configured, page_backup_directory(installation), ADMIN)

    keys = recent_operations(platform, ADMIN, KEY_OPERATIONS, needs="manage_keys")
    backups = recent_operations(platform, ADMIN, BACKUP_OPERATIONS, needs="backup")

    assert [(op.action, op.actor) for op in keys] == [
        ("purge", "operator"), ("key_rotation", "root-1"), ("key_rotation", "operator"),
    ]  # fmt: skip
    assert keys[1].detail == {"from": 2, "to": 3, "rewrapped": 1}
    (backup,) = backups
    assert backup.detail["directory"] == str(report.directory)
    assert Path(str(backup.detail["directory"])).parent == installation.data_dir / "backups"
    assert isinstance(backup.detail["milliseconds"], int)
    assert backup.detail["database_bytes"] == report.database_bytes
    assert len(recent_operations(platform, ADMIN, KEY_OPERATIONS, needs="manage_keys", limit=1)) == 1


def test_a_rotation_or_backup_by_another_role_is_refused_before_anything_happens(
    installation: Installation, settings: Settings
) -> None:
    configured = settings.model_copy(update={"backup_passphrase": SecretStr("backup passphrase")})
    with pytest.raises(Refused):
        rotate_keys(installation, TRACER)
    with pytest.raises(Refused):
        back_up_installation(installation, configured, page_backup_directory(installation), TRACER)

    assert installation.keys.kek_version() == 1
    assert not (installation.data_dir / "backups").exists()


def test_the_key_status_tells_versions_and_when_each_epoch_key_dies(
    installation: Installation, clock: FixedClock
) -> None:
    platform = installation.platform
    platform.keys.epoch_key("identity", "2026-01", create=True)
    platform.keys.epoch_key("identity", "2026-03", create=True)
    platform.keys.epoch_key("notes", "2026-03", create=True)
    clock.set(datetime(2026, 5, 2, tzinfo=UTC))
    purge_installation(installation)

    status = key_status(platform, ADMIN)

    assert (status.store, status.kek_version) == ("file", 1)
    assert [(e.category, e.month, e.expires_at) for e in status.epochs] == [
        ("identity", "2026-03", datetime(2026, 7, 1, tzinfo=UTC)), ("notes", "2026-03", None),
    ]  # fmt: skip
    assert [(t.category, t.month) for t in status.destroyed] == [("identity", "2026-01")]
