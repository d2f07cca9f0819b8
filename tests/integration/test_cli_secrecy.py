"""The secrecy-core commands: policy, users, tokens, keys, audit, purge, backup and restore."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from serment.cli import app
from serment.demo import ACCOUNT_NAMES, demo_logins, ensure_accounts
from serment.installation import initialise, open_installation
from serment.policy import ROLES
from serment.settings import Settings


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture
def data_dir(runner: CliRunner, tmp_path: Path) -> str:
    path = str(tmp_path / "data")
    assert runner.invoke(app, ["init", "--data-dir", path]).exit_code == 0
    return path


def test_policy_show_renders_the_preset(runner: CliRunner) -> None:
    result = runner.invoke(app, ["policy", "show", "--policy", "vn-2020"])
    assert result.exit_code == 0
    assert "vn-2020" in result.stdout
    for role in ("clinician", "tracer", "dpo"):
        assert role in result.stdout


def test_policy_check_accepts_a_good_file_and_names_the_problem_in_a_bad_one(
    runner: CliRunner, tmp_path: Path
) -> None:
    good = tmp_path / "good.toml"
    preset = Path(__file__).resolve().parents[2] / "serment" / "policy" / "presets" / "fr-2020.toml"
    good.write_text(preset.read_text(encoding="utf-8"), encoding="utf-8")
    accepted = runner.invoke(app, ["policy", "check", str(good)])
    assert accepted.exit_code == 0
    assert "is valid" in accepted.stdout
    bad = tmp_path / "insurer.toml"
    bad.write_text(
        preset.read_text(encoding="utf-8") + '\n[[grants]]\nrole = "epidemiologist"\npurpose = "insurance"\n'
        'actions = ["read"]\n',
        encoding="utf-8",
    )
    refused = runner.invoke(app, ["policy", "check", str(bad)])
    assert refused.exit_code == 1
    lines = refused.stderr.strip().splitlines()
    assert len(lines) == 1
    assert "insurance" in lines[0]


def test_an_account_gets_a_password_and_a_token_shown_once(runner: CliRunner, data_dir: str) -> None:
    added = runner.invoke(
        app, ["user", "add", "dr-martin", "--role", "clinician", "--org", "CHU Lyon", "--data-dir", data_dir]
    )
    assert added.exit_code == 0, added.output
    assert "Created the account dr-martin (role clinician, CHU Lyon)." in added.stdout
    password = added.stdout.strip().splitlines()[-1].split(": ")[-1]
    assert len(password) >= 16
    token = runner.invoke(app, ["token", "create", "dr-martin", "--days", "7", "--data-dir", data_dir])
    assert token.exit_code == 0
    printed = token.stdout.strip().splitlines()[-1]
    assert printed.startswith("srm_")
    database = (Path(data_dir) / "serment.db").read_bytes()
    assert printed.encode() not in database
    # srm_<id>_<secret>: the secret is URL-safe base64, which has underscores of its own.
    secret = printed.split("_", 2)[2]
    assert len(secret) == 43
    assert secret.encode() not in database
    assert password.encode() not in database


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["user", "add", "x", "--role", "clinician"], "must be 2-64 lower-case letters"),
        (["user", "add", "dr-who", "--role", "insurer"], "insurer is not a role"),
        (["token", "create", "nobody"], "no account is named nobody"),
        (["token", "create", "nobody", "--days", "999"], "a token lives 1 to 365 days"),
    ],
)
def test_account_mistakes_are_one_line(
    runner: CliRunner, data_dir: str, arguments: list[str], message: str
) -> None:
    result = runner.invoke(app, [*arguments, "--data-dir", data_dir])
    assert result.exit_code == 1
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_keys_rotate_and_status(runner: CliRunner, data_dir: str) -> None:
    rotated = runner.invoke(app, ["keys", "rotate", "--data-dir", data_dir])
    assert rotated.exit_code == 0
    assert "Key-encryption key v1 replaced by v2" in rotated.stdout
    status = runner.invoke(app, ["keys", "status", "--data-dir", data_dir])
    assert "Key-encryption key: v2" in status.stdout


def test_audit_verify_and_export(runner: CliRunner, data_dir: str) -> None:
    verified = runner.invoke(app, ["audit", "verify", "--data-dir", data_dir])
    assert verified.exit_code == 0
    assert "chain intact" in verified.stdout
    exported = runner.invoke(app, ["audit", "export", "--since", "2000-01-01", "--data-dir", data_dir])
    assert exported.exit_code == 0
    events = [json.loads(line) for line in exported.stdout.splitlines()]
    assert events[0]["action"] == "installed"
    assert all(len(event["hash"]) == 64 for event in events)
    bad = runner.invoke(app, ["audit", "export", "--since", "yesterday", "--data-dir", data_dir])
    assert bad.exit_code == 2


def test_purge_dry_run_and_backup_restore_round_trip(
    runner: CliRunner, data_dir: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    dry = runner.invoke(app, ["purge", "--dry-run", "--at", "2030-01-01", "--data-dir", data_dir])
    assert dry.exit_code == 0
    assert dry.stdout.startswith("Would destroy")
    refused = runner.invoke(app, ["backup", str(tmp_path / "b"), "--data-dir", data_dir])
    assert refused.exit_code == 1
    assert "SERMENT_BACKUP_PASSPHRASE" in refused.stderr
    monkeypatch.setenv("SERMENT_BACKUP_PASSPHRASE", "a long and private passphrase")
    done = runner.invoke(app, ["backup", str(tmp_path / "b"), "--data-dir", data_dir])
    assert done.exit_code == 0, done.output
    assert "encrypted" in done.stdout
    again = runner.invoke(app, ["backup", str(tmp_path / "b"), "--data-dir", data_dir])
    assert again.exit_code == 1
    assert "is not empty" in again.stderr
    restored = runner.invoke(app, ["restore", str(tmp_path / "b"), "--data-dir", str(tmp_path / "elsewhere")])
    assert restored.exit_code == 0, restored.output
    verified = runner.invoke(app, ["audit", "verify", "--data-dir", str(tmp_path / "elsewhere")])
    assert verified.exit_code == 0


def test_a_passphrase_protected_key_store_needs_its_passphrase(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data_dir = str(tmp_path / "guarded")
    monkeypatch.setenv("SERMENT_KEY_PASSPHRASE", "une phrase de passe assez longue")
    assert runner.invoke(app, ["init", "--data-dir", data_dir]).exit_code == 0
    assert b"une phrase" not in b"".join(
        p.read_bytes() for p in (tmp_path / "guarded").rglob("*") if p.is_file()
    )
    assert runner.invoke(app, ["keys", "status", "--data-dir", data_dir]).exit_code == 0
    monkeypatch.delenv("SERMENT_KEY_PASSPHRASE")
    missing = runner.invoke(app, ["keys", "status", "--data-dir", data_dir])
    assert missing.exit_code == 1
    assert missing.stderr.strip() == (
        "error: the key store is protected by a passphrase; set SERMENT_KEY_PASSPHRASE"
    )
    monkeypatch.setenv("SERMENT_KEY_PASSPHRASE", "not the one")
    wrong = runner.invoke(app, ["keys", "status", "--data-dir", data_dir])
    assert wrong.exit_code == 1
    assert wrong.stderr.strip() == "error: the passphrase does not open the key store"


def test_demo_logins_give_every_role_an_account_and_a_fresh_token(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "demo")
    initialise(settings)
    installation = open_installation(settings)
    try:
        ensure_accounts(installation.platform, "un mot de passe de démo")
        ensure_accounts(installation.platform, "un mot de passe de démo")
        first = demo_logins(installation.platform)
        second = demo_logins(installation.platform)
    finally:
        installation.close()
    assert [login.role for login in first] == [*ROLES, "tracer"], "two tracers share the demo's calls"
    assert [login.account for login in first] == [*(ACCOUNT_NAMES[role] for role in ROLES), "traceuse"]
    assert len({login.variable for login in first}) == len(first)
    assert {login.token for login in first}.isdisjoint({login.token for login in second})
