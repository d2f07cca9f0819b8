"""Promise 6, attacked with an old backup: once purged, an expired identity stays unreadable, even
after restoring a backup taken before the purge; identities still within retention survive."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import httpx
import pytest
from pydantic import SecretStr

from serment.access import Actor, Request
from serment.clock import FixedClock
from serment.installation import (
    Installation,
    back_up_installation,
    open_installation,
    purge_installation,
    restore_installation,
)
from serment.people import IdentityUnavailable, read_person
from serment.secrecy import KeyDestroyed
from serment.settings import Settings
from serment.store.tables import CaseRow
from tests.conftest import Accounts
from tests.people_data import people
from tests.security.scanner import scan

pytestmark = pytest.mark.anyio
OLD, RECENT = people(2, seed=11)
CLINICIAN = Request(Actor(name="clinician-1", role="clinician"), purpose="care")
PASSPHRASE = SecretStr("backups are encrypted too")


async def test_an_expired_identity_stays_unreadable_after_restoring_an_older_backup(
    client: httpx.AsyncClient,
    accounts: Accounts,
    installation: Installation,
    settings: Settings,
    clock: FixedClock,
) -> None:
    headers = accounts.headers("clinician")
    clock.set(datetime(2026, 1, 10, 9, 0, tzinfo=UTC))
    old = (await client.post("/api/v1/people", json=OLD.payload(), headers=headers)).json()["ref"]
    clock.set(datetime(2026, 5, 20, 9, 0, tzinfo=UTC))
    recent = (await client.post("/api/v1/people", json=RECENT.payload(), headers=headers)).json()["ref"]

    settings = settings.model_copy(update={"backup_passphrase": PASSPHRASE})
    backup_dir = installation.data_dir.parent / "backup-may"
    back_up_installation(installation, settings, backup_dir)
    assert (backup_dir / "keys" / "epochs" / "identity_2026-01.enc").is_file()

    # fr-2020 keeps identities 3 months after the month of the last event: January expires on 1 May.
    clock.set(datetime(2026, 6, 15, tzinfo=UTC))
    dry = purge_installation(installation, dry_run=True)
    assert dry.epochs == (("identity", "2026-01"),)
    assert installation.keys.epoch_key("identity", "2026-01") is not None
    report = purge_installation(installation)
    assert report.epochs == (("identity", "2026-01"),)
    assert report.expired_people == 1
    with pytest.raises(KeyDestroyed):
        installation.keys.epoch_key("identity", "2026-01")
    expired = await client.get(f"/api/v1/people/{old}", headers=headers)
    assert expired.status_code == 410
    assert OLD.family_name not in expired.text
    assert (await client.get(f"/api/v1/people/{recent}", headers=headers)).status_code == 200

    # The purge reached the backup too: its copy of the January epoch key is gone.
    assert not (backup_dir / "keys" / "epochs" / "identity_2026-01.enc").exists()
    manifest = json.loads((backup_dir / "manifest.json").read_text())
    assert "keys/epochs/identity_2026-01.enc" not in manifest["files"]

    installation.close()
    restore_installation(settings, backup_dir, clock=clock)
    restored = open_installation(settings, clock=clock)
    try:
        with pytest.raises(IdentityUnavailable):
            read_person(restored.platform, CLINICIAN, old)
        assert read_person(restored.platform, CLINICIAN, recent).details.family_name == RECENT.family_name
        assert [(t.category, t.month) for t in restored.keys.tombstones()] == [("identity", "2026-01")]
    finally:
        restored.close()


async def test_notes_become_unreadable_with_the_identity_of_the_person_they_concern(
    client: httpx.AsyncClient,
    accounts: Accounts,
    installation: Installation,
    clock: FixedClock,
) -> None:
    clock.set(datetime(2026, 1, 10, 9, 0, tzinfo=UTC))
    report = {
        "person": OLD.payload(),
        "case": {"status": "confirmed", "onset_date": "2026-01-08", "notes": f"Call on {OLD.phone}."},
    }
    created = await client.post("/api/v1/reports", json=report, headers=accounts.headers("clinician"))
    ref = created.json()["person"]
    own = accounts.headers("patient", name="old", person_ref=ref)
    before = await client.get(f"/fhir/Patient/{ref}/$everything", headers=own)
    assert f"Call on {OLD.phone}." in before.text

    clock.set(datetime(2026, 6, 15, tzinfo=UTC))
    purge_installation(installation)
    after = await client.get(f"/fhir/Patient/{ref}/$everything", headers=own)
    assert after.status_code == 410
    assert OLD.phone not in after.text
    # The sealed notes are still in the case row, and no key left anywhere opens them.
    with installation.database.read() as session:
        case = session.get(CaseRow, created.json()["case"])
        assert case is not None
        assert case.notes is not None
    with pytest.raises(KeyDestroyed):
        installation.keys.epoch_key("identity", "2026-01")
    assert scan(installation.data_dir, [OLD.phone]) == []


async def test_a_copy_of_the_backup_taken_out_of_reach_still_cannot_revive_a_destroyed_key(
    client: httpx.AsyncClient,
    accounts: Accounts,
    installation: Installation,
    settings: Settings,
    clock: FixedClock,
) -> None:
    headers = accounts.headers("clinician")
    clock.set(datetime(2026, 1, 10, tzinfo=UTC))
    old = (await client.post("/api/v1/people", json=OLD.payload(), headers=headers)).json()["ref"]
    settings = settings.model_copy(update={"backup_passphrase": PASSPHRASE})
    backup_dir = installation.data_dir.parent / "backup-january"
    back_up_installation(installation, settings, backup_dir)
    copy = installation.data_dir.parent / "copy-on-a-usb-stick"
    copy.mkdir()
    for path in backup_dir.rglob("*"):
        target = copy / path.relative_to(backup_dir)
        if path.is_dir():
            target.mkdir(exist_ok=True)
        else:
            target.write_bytes(path.read_bytes())
    clock.set(datetime(2026, 6, 1, tzinfo=UTC))
    purge_installation(installation)
    installation.close()

    # The live key store's tombstone wins over the copy that still holds the January key.
    restore_installation(settings, copy, clock=clock)
    restored = open_installation(settings, clock=clock)
    try:
        with pytest.raises(IdentityUnavailable):
            read_person(restored.platform, CLINICIAN, old)
    finally:
        restored.close()


async def test_a_backup_holds_no_identifier_in_clear_and_needs_its_passphrase(
    client: httpx.AsyncClient, accounts: Accounts, installation: Installation, settings: Settings
) -> None:
    await client.post("/api/v1/people", json=OLD.payload(), headers=accounts.headers("clinician"))
    backup_dir = installation.data_dir.parent / "backup"
    with pytest.raises(Exception, match="SERMENT_BACKUP_PASSPHRASE"):
        back_up_installation(installation, settings, backup_dir)
    settings = settings.model_copy(update={"backup_passphrase": PASSPHRASE})
    back_up_installation(installation, settings, backup_dir)
    assert scan(backup_dir, OLD.identifiers()) == []
    wrong = settings.model_copy(update={"backup_passphrase": SecretStr("not the passphrase")})
    installation.close()
    with pytest.raises(Exception, match="does not open with this passphrase"):
        restore_installation(wrong, backup_dir)
