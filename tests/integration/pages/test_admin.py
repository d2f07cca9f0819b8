"""The administrator's pages: accounts (added, disabled, enabled, unlocked), API tokens (the secret
shown once, revoked), keys (status, rotation) and backups (refused without a passphrase, run with
one); every change audited; and nothing medical anywhere: no name, NIR, phone or person ref."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from pydantic import SecretStr
from sqlalchemy import select

from serment.access import Platform
from serment.installation import Installation
from serment.settings import Settings
from serment.store.tables import AuditEventRow
from serment.web import create_app
from tests.conftest import Accounts
from tests.pages import Browsers, browsers_for
from tests.people_data import people

pytestmark = pytest.mark.anyio
INDEX, ANNE, BRUNO, CLARA = people(4, seed=83)
ADMIN = "admin-web"
ADMIN_PAGES = ("/admin/users", "/admin/tokens", "/admin/keys", "/admin/backups")


def _events(installation: Installation, action: str) -> list[AuditEventRow]:
    """The audit events of the operation `action` (not the guard's events of accesses named alike)."""
    with installation.database.read() as session:
        query = select(AuditEventRow).where(AuditEventRow.action == action, AuditEventRow.outcome == "ok")
        return list(session.scalars(query))


def _shown_once(html: str) -> str:
    found = re.search(r'<p class="secret"><code>([^<]+)</code></p>', html)
    assert found is not None, "the page shows no secret"
    return found.group(1)


async def test_the_accounts_page_lists_every_account_with_its_role_and_adds_one(
    browsers: Browsers, installation: Installation
) -> None:
    browsers.account("tracer", name="traceur-1")
    admin = await browsers.signed_in("admin")

    page = await admin.get("/admin/users")
    added = await admin.post(
        "/admin/users",
        {"name": "clinique.nord", "role": "clinician", "organisation": "CHU Nord", "password": "a" * 12},
    )

    assert page.status_code == 200
    assert re.search(r"<td>traceur-1</td>\s*<td>Traceur", page.text)
    assert "Administrateur" in page.text
    assert "(vous)" in page.text
    assert added.status_code == 303
    assert added.headers["location"] == "/admin/users?done=added&account=clinique.nord"
    listed = await admin.get("/admin/users", done="added", account="clinique.nord")
    assert "Le compte clinique.nord a été créé." in listed.text
    assert re.search(r"<td>clinique.nord</td>\s*<td>Clinicien", listed.text)
    assert "a" * 12 not in listed.text, "a password typed is never shown back"
    (event,) = [e for e in _events(installation, "user_added") if "clinique.nord" in (e.detail or "")]
    assert (event.actor, event.purpose) == (ADMIN, "administration")


async def test_a_generated_password_is_shown_once_and_opens_the_account(browsers: Browsers) -> None:
    admin = await browsers.signed_in("admin")

    created = await admin.post("/admin/users", {"name": "labo.sud", "role": "lab", "organisation": ""})

    assert created.status_code == 200
    password = _shown_once(created.text)
    assert "Laboratoire" in created.text
    assert password not in (await admin.get("/admin/users")).text
    lab = await browsers.anonymous()
    signed = await lab.post("/sign-in", {"name": "labo.sud", "password": password, "next": "/"})
    assert signed.status_code == 303


async def test_an_invalid_account_comes_back_as_typed_with_every_problem_at_its_field(
    browsers: Browsers, installation: Installation
) -> None:
    admin = await browsers.signed_in("admin")
    typed = {"name": "Dr Martin", "role": "", "organisation": "Cabinet du Parc", "password": "court"}

    answer = await admin.post("/admin/users", typed)

    assert answer.status_code == 422
    html = answer.text
    for name in ("name", "organisation", "password"):
        assert f'name="{name}" type="text" value="{typed[name]}"' in html, name
    assert re.search(r'id="e-name">Un nom de compte', html)
    assert re.search(r'id="e-role">Choisissez un rôle', html)
    assert re.search(r'id="e-password">Un mot de passe compte au moins 12 caractères', html)
    assert "3 problèmes à corriger" in html
    taken = await admin.post("/admin/users", {"name": ADMIN, "role": "admin", "organisation": ""})
    assert taken.status_code == 422
    assert f"Un compte nommé {ADMIN} existe déjà." in taken.text
    assert [e for e in _events(installation, "user_added") if "Dr Martin" in (e.detail or "")] == []


async def test_an_account_is_unlocked_disabled_and_enabled_again_each_change_audited(
    browsers: Browsers, installation: Installation
) -> None:
    name = browsers.account("epidemiologist", name="epi-1")
    intruder = await browsers.anonymous()
    for _ in range(5):
        await intruder.post("/sign-in", {"name": name, "password": "not it", "next": "/"})
    admin = await browsers.signed_in("admin")
    assert "Bloqué jusqu" in (await admin.get("/admin/users")).text

    unlocked = await admin.post(f"/admin/users/{name}/unlock", {}, form_of="/admin/users")
    assert unlocked.headers["location"] == f"/admin/users?done=unlocked&account={name}"
    epi = await browsers.signed_in("epidemiologist", name=name)
    disabled = await admin.post(f"/admin/users/{name}/disable", {}, form_of="/admin/users")
    assert disabled.status_code == 303
    assert (await epi.get("/")).status_code == 303, "a disabled account's session ends at once"
    again = await admin.post(f"/admin/users/{name}/disable", {}, form_of="/admin/users")
    assert again.status_code == 409
    assert f"Le compte {name} est déjà désactivé." in again.text
    enabled = await admin.post(f"/admin/users/{name}/enable", {}, form_of="/admin/users")
    assert enabled.status_code == 303
    await browsers.signed_in("epidemiologist", name=name)  # signs in again
    assert (await admin.post(f"/admin/users/{ADMIN}/disable", {}, form_of="/admin/users")).status_code == 409
    for action in ("user_unlocked", "user_disabled", "user_enabled"):
        (event,) = _events(installation, action)
        assert (event.actor, event.detail) == (ADMIN, f'{{"account":"{name}"}}'), action


async def test_a_tokens_secret_is_shown_once_works_and_stops_working_when_revoked(
    browsers: Browsers, client: httpx.AsyncClient, installation: Installation
) -> None:
    browsers.account("dpo", name="dpo-1")
    admin = await browsers.signed_in("admin")

    created = await admin.post("/admin/tokens", {"account": "dpo-1", "days": "7"})

    assert created.status_code == 200
    token = _shown_once(created.text)
    token_id = token.split("_")[1]
    headers = {"Authorization": f"Bearer {token}"}
    assert (await client.get("/api/v1/audit/verify", headers=headers)).status_code == 200
    listed = await admin.get("/admin/tokens")
    assert token_id in listed.text
    assert token not in listed.text, "the secret is never shown again"
    revoked = await admin.post(f"/admin/tokens/{token_id}/revoke", {}, form_of="/admin/tokens")
    assert revoked.headers["location"] == f"/admin/tokens?done=revoked&token={token_id}"
    assert "Révoqué" in (await admin.get("/admin/tokens")).text
    assert (await client.get("/api/v1/audit/verify", headers=headers)).status_code == 401
    (event,) = _events(installation, "token_revoked")
    assert event.actor == ADMIN
    bad = await admin.post("/admin/tokens", {"account": "nobody-here", "days": "400"})
    assert bad.status_code == 422
    assert 'value="nobody-here"' in bad.text
    assert 'value="400"' in bad.text
    assert "Un jeton vit de 1 à 365 jours." in bad.text


async def test_the_keys_page_tells_versions_and_lives_and_a_rotation_is_audited(
    browsers: Browsers, client: httpx.AsyncClient, accounts: Accounts, installation: Installation
) -> None:
    await _outbreak(client, accounts)
    admin = await browsers.signed_in("admin")

    page = await admin.get("/admin/keys")
    rotated = await admin.post("/admin/keys/rotate", {}, form_of="/admin/keys")
    after = await admin.get("/admin/keys", rotated="1")

    assert page.status_code == 200
    assert "Version 1" in page.text
    assert re.search(r"<td>Identités</td><td>2026-03</td><td class=\"num\">1</td>", page.text)
    assert "<td>1 juil. 2026</td>" in page.text, "fr-2020 keeps identities 3 months after their month"
    assert rotated.status_code == 303
    assert "version 1 remplacée par la version 2" in after.text
    (event,) = _events(installation, "key_rotation")
    assert (event.actor, event.role) == (ADMIN, "admin")


async def test_a_backup_is_refused_without_a_passphrase_and_says_how_to_set_one(
    browsers: Browsers, installation: Installation
) -> None:
    admin = await browsers.signed_in("admin")

    page = await admin.get("/admin/backups")
    refused = await admin.post("/admin/backups", {}, form_of="/admin/backups")

    assert "SERMENT_BACKUP_PASSPHRASE" in page.text
    assert 'action="/admin/backups"' not in page.text
    assert refused.status_code == 409
    assert "SERMENT_BACKUP_PASSPHRASE" in refused.text
    assert _events(installation, "backup") == []
    assert not (installation.data_dir / "backups").exists()


@pytest.fixture
async def with_passphrase(
    settings: Settings, installation: Installation, platform: Platform
) -> AsyncIterator[Browsers]:
    """Browsers over an app whose settings hold a backup passphrase."""
    configured = settings.model_copy(update={"backup_passphrase": SecretStr("a long backup passphrase")})
    app: FastAPI = create_app(configured, installation=installation)
    async for made in browsers_for(app, platform):
        yield made


async def test_a_backup_runs_from_the_page_and_says_where_it_went_and_how_long_it_took(
    with_passphrase: Browsers, installation: Installation
) -> None:
    admin = await with_passphrase.signed_in("admin")

    done = await admin.post("/admin/backups", {}, form_of="/admin/backups")
    page = await admin.get("/admin/backups", done="1")

    assert done.status_code == 303
    (event,) = _events(installation, "backup")
    assert event.actor == ADMIN
    directory = Path(re.findall(r"<code>([^<]+)</code><br>", page.text)[0])
    assert directory.parent == installation.data_dir / "backups"
    assert (directory / "manifest.json").is_file()
    assert re.search(r"La sauvegarde est écrite, en \d+,\d s\.", page.text)


async def _outbreak(client: httpx.AsyncClient, accounts: Accounts) -> dict[str, object]:
    body = {
        "person": INDEX.payload(), "case": {"status": "confirmed", "onset_date": "2026-02-27"},
        "contacts": [
            {"person": p.contact_payload(), "exposure": {"date": "2026-02-26", "setting": "household"}}
            for p in (ANNE, BRUNO, CLARA)
        ],
    }  # fmt: skip
    answer = await client.post("/api/v1/reports", json=body, headers=accounts.headers("clinician"))
    assert answer.status_code == 201, answer.text
    receipt: dict[str, object] = answer.json()
    return receipt


async def test_no_admin_page_shows_anything_medical(
    browsers: Browsers, client: httpx.AsyncClient, accounts: Accounts, installation: Installation
) -> None:
    receipt = await _outbreak(client, accounts)
    browsers.account("patient", name="patient-1", person_ref=str(receipt["person"]))
    admin = await browsers.signed_in("admin")
    await admin.post("/admin/keys/rotate", {}, form_of="/admin/keys")
    seen = [(await admin.get(path)).text for path in ADMIN_PAGES]
    seen.append(
        (await admin.post("/admin/users", {"name": "x-1", "role": "tracer", "organisation": ""})).text
    )
    seen.append((await admin.post("/admin/tokens", {"account": "patient-1", "days": "1"})).text)
    seen.append((await admin.post("/admin/users", {"name": "", "role": "", "organisation": ""})).text)
    html = "\n".join(seen)

    assert "Lié à une personne" in html, "a patient's account says only that it is linked"
    refs = [str(receipt["person"]), *(str(ref) for ref in receipt["contacts"])]  # type: ignore[attr-defined]
    for person in (INDEX, ANNE, BRUNO, CLARA):
        for identifier in (person.family_name, person.nir, person.phone, person.address_line):
            assert identifier not in html
    for ref in refs:
        assert ref not in html


async def test_the_admin_pages_are_the_administrators_only(browsers: Browsers) -> None:
    tracer = await browsers.signed_in("tracer")
    for path in ADMIN_PAGES:
        assert (await tracer.get(path)).status_code == 403
    refused = await tracer.post("/admin/keys/rotate", {}, form_of="/tracer/queue")
    assert refused.status_code == 403
