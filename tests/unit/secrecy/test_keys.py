"""The key store: hierarchy, rotation, destruction with tombstones, snapshots, files on disk."""

import base64
import json
import stat
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from serment.clock import FixedClock
from serment.secrecy import (
    EpochInfo,
    FileKeyStore,
    KdfParameters,
    KeyDestroyed,
    KeyStore,
    KeyStoreError,
    MemoryKeyStore,
    RotationReport,
    Tombstone,
)

START = datetime(2026, 3, 2, 8, 30, tzinfo=UTC)
TINY = KdfParameters(memory_kib=1024, iterations=1, lanes=1)
EPOCHS = [("cases", "2026-01"), ("cases", "2026-02"), ("contacts", "2026-02"), ("lab_results", "2025-12")]


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(START)


@pytest.fixture(params=["memory", "file"])
def store(request: pytest.FixtureRequest, tmp_path: Path, clock: FixedClock) -> KeyStore:
    if request.param == "memory":
        return MemoryKeyStore(clock)
    return FileKeyStore.create(tmp_path / "keys", clock=clock)


def files_of(directory: Path) -> Iterator[Path]:
    return (path for path in directory.rglob("*") if path.is_file())


def test_a_new_store_has_kek_v1_a_pseudonym_secret_and_nothing_else(store: KeyStore) -> None:
    assert store.kek_version() == 1
    assert len(store.pseudonym_secret()) == 32
    assert store.pseudonym_secret() == store.pseudonym_secret()
    assert store.epochs() == ()
    assert store.tombstones() == ()


def test_an_absent_epoch_key_is_none_until_created(store: KeyStore) -> None:
    assert store.epoch_key("cases", "2026-03") is None
    key = store.epoch_key("cases", "2026-03", create=True)
    assert key is not None
    assert len(key) == 32
    assert store.epoch_key("cases", "2026-03") == key
    assert store.epoch_key("cases", "2026-03", create=True) == key
    assert store.epoch_key("cases", "2026-04") is None
    assert store.epochs() == (EpochInfo("cases", "2026-03", 1, START),)


def test_each_epoch_has_its_own_key(store: KeyStore) -> None:
    keys = {store.epoch_key(category, month, create=True) for category, month in EPOCHS}
    assert len(keys) == len(EPOCHS)
    assert [(info.category, info.month) for info in store.epochs()] == sorted(EPOCHS)


@pytest.mark.parametrize(
    ("category", "month", "message"),
    [
        ("Cases", "2026-03", "'Cases' is not a data category"),
        ("", "2026-03", "'' is not a data category"),
        ("c" * 33, "2026-03", "is not a data category"),
        ("../cases", "2026-03", "is not a data category"),
        ("cases", "2026-13", "'2026-13' is not a month: write it YYYY-MM"),
        ("cases", "2026-00", "'2026-00' is not a month"),
        ("cases", "2026-3", "'2026-3' is not a month"),
        ("cases", "2026-03/../x", "is not a month"),
    ],
)
def test_categories_and_months_are_checked(store: KeyStore, category: str, month: str, message: str) -> None:
    with pytest.raises(ValueError, match=message.replace("(", r"\(")):
        store.epoch_key(category, month, create=True)
    with pytest.raises(ValueError, match=r"is not a"):
        store.destroy_epoch(category, month)


def test_rotation_keeps_every_key_and_moves_to_the_next_kek(store: KeyStore) -> None:
    before = {epoch: store.epoch_key(*epoch, create=True) for epoch in EPOCHS}
    secret = store.pseudonym_secret()
    assert store.rotate() == RotationReport(old_version=1, new_version=2, rewrapped=len(EPOCHS) + 1)
    assert store.kek_version() == 2
    assert {epoch: store.epoch_key(*epoch) for epoch in EPOCHS} == before
    assert store.pseudonym_secret() == secret
    assert {info.kek_version for info in store.epochs()} == {2}
    assert store.rotate() == RotationReport(old_version=2, new_version=3, rewrapped=len(EPOCHS) + 1)
    assert {epoch: store.epoch_key(*epoch) for epoch in EPOCHS} == before


def test_rotation_destroys_the_old_kek_file_and_survives_reopening(tmp_path: Path) -> None:
    store = FileKeyStore.create(tmp_path / "keys")
    before = {epoch: store.epoch_key(*epoch, create=True) for epoch in EPOCHS}
    secret = store.pseudonym_secret()
    store.rotate()
    assert sorted(path.name for path in (tmp_path / "keys" / "kek").iterdir()) == ["v2.json"]
    reopened = FileKeyStore.open(tmp_path / "keys")
    assert reopened.kek_version() == 2
    assert reopened.pseudonym_secret() == secret
    assert {epoch: reopened.epoch_key(*epoch) for epoch in EPOCHS} == before


def test_a_destroyed_epoch_key_can_never_be_read_or_created_again(store: KeyStore, clock: FixedClock) -> None:
    store.epoch_key("cases", "2026-01", create=True)
    kept = store.epoch_key("cases", "2026-02", create=True)
    clock.advance(timedelta(days=400))
    assert store.destroy_epoch("cases", "2026-01") is True
    message = r"^the epoch key of cases 2026-01 was destroyed on 2027-04-06; its data can no longer be read$"
    with pytest.raises(KeyDestroyed, match=message):
        store.epoch_key("cases", "2026-01")
    with pytest.raises(KeyDestroyed, match=message):
        store.epoch_key("cases", "2026-01", create=True)
    assert store.destroy_epoch("cases", "2026-01") is False
    assert store.tombstones() == (Tombstone("cases", "2026-01", START + timedelta(days=400)),)
    assert [info.month for info in store.epochs()] == ["2026-02"]
    assert store.epoch_key("cases", "2026-02") == kept


def test_destroying_an_epoch_that_never_had_a_key_still_forbids_creating_one(store: KeyStore) -> None:
    assert store.destroy_epoch("contacts", "2025-01") is False
    with pytest.raises(KeyDestroyed):
        store.epoch_key("contacts", "2025-01", create=True)


def test_rotation_does_not_bring_back_a_destroyed_epoch(store: KeyStore) -> None:
    store.epoch_key("cases", "2026-01", create=True)
    store.destroy_epoch("cases", "2026-01")
    assert store.rotate().rewrapped == 1
    with pytest.raises(KeyDestroyed):
        store.epoch_key("cases", "2026-01")


def test_a_snapshot_round_trips_the_key_material(store: KeyStore) -> None:
    before = {epoch: store.epoch_key(*epoch, create=True) for epoch in EPOCHS}
    secret = store.pseudonym_secret()
    snapshot = store.export_snapshot()
    later = store.epoch_key("cases", "2026-03", create=True)
    store.rotate()
    store.import_snapshot(snapshot)
    assert store.kek_version() == 1
    assert store.pseudonym_secret() == secret
    assert {epoch: store.epoch_key(*epoch) for epoch in EPOCHS} == before
    assert store.epoch_key("cases", "2026-03") is None
    assert store.epoch_key("cases", "2026-03", create=True) != later


def test_an_old_backup_never_resurrects_a_destroyed_epoch_key(store: KeyStore) -> None:
    destroyed = store.epoch_key("cases", "2026-01", create=True)
    kept = store.epoch_key("cases", "2026-02", create=True)
    snapshot = store.export_snapshot()
    store.destroy_epoch("cases", "2026-01")
    store.import_snapshot(snapshot)
    with pytest.raises(KeyDestroyed):
        store.epoch_key("cases", "2026-01")
    assert store.epoch_key("cases", "2026-02") == kept
    assert [(t.category, t.month) for t in store.tombstones()] == [("cases", "2026-01")]
    assert destroyed is not None
    assert base64.b64encode(destroyed) not in store.export_snapshot()


def test_a_snapshot_holds_no_destroyed_epoch_and_no_key_in_clear(store: KeyStore) -> None:
    keys = [store.epoch_key(*epoch, create=True) for epoch in EPOCHS]
    store.destroy_epoch(*EPOCHS[0])
    snapshot = store.export_snapshot()
    documents = json.loads(snapshot)["documents"]
    assert "epochs/cases/2026-01.json" not in documents
    assert "epochs/cases/2026-02.json" in documents
    for secret in [store.pseudonym_secret(), *keys]:
        assert secret is not None
        assert secret not in snapshot
        assert base64.b64encode(secret) not in snapshot


def test_a_snapshot_of_another_store_replaces_the_material(tmp_path: Path) -> None:
    source = MemoryKeyStore()
    key = source.epoch_key("cases", "2026-01", create=True)
    target = FileKeyStore.create(tmp_path / "keys")
    target.epoch_key("contacts", "2026-01", create=True)
    target.import_snapshot(source.export_snapshot())
    assert target.pseudonym_secret() == source.pseudonym_secret()
    assert target.epoch_key("cases", "2026-01") == key
    assert target.epoch_key("contacts", "2026-01") is None
    assert not (tmp_path / "keys" / "epochs" / "contacts" / "2026-01.json").exists()
    reopened = FileKeyStore.open(tmp_path / "keys")
    assert reopened.epoch_key("cases", "2026-01") == key


@pytest.mark.parametrize(
    ("snapshot", "message"),
    [
        (b"not json", "the key store's snapshot is damaged or from another version"),
        (b'{"format": "other"}', "the key store's snapshot is damaged or from another version"),
        (
            b'{"format": "serment/key-snapshot/v1", "documents": {"../../evil.json": {}}}',
            "the snapshot holds '../../evil.json', which is no key store file",
        ),
        (
            b'{"format": "serment/key-snapshot/v1", "documents": {}}',
            "the snapshot cannot be imported: it holds no master key",
        ),
    ],
)
def test_a_bad_snapshot_is_refused_and_changes_nothing(
    store: KeyStore, snapshot: bytes, message: str
) -> None:
    key = store.epoch_key("cases", "2026-01", create=True)
    with pytest.raises(KeyStoreError, match=message.replace("(", r"\(")):
        store.import_snapshot(snapshot)
    assert store.epoch_key("cases", "2026-01") == key


def test_a_tampered_snapshot_is_refused_and_changes_nothing(store: KeyStore) -> None:
    key = store.epoch_key("cases", "2026-01", create=True)
    snapshot = json.loads(store.export_snapshot())
    moved = snapshot["documents"].pop("epochs/cases/2026-01.json")
    snapshot["documents"]["epochs/cases/2026-02.json"] = moved
    with pytest.raises(KeyStoreError, match=r"^the snapshot cannot be imported: the epoch:cases:2026-02 key"):
        store.import_snapshot(json.dumps(snapshot).encode())
    assert store.epoch_key("cases", "2026-01") == key
    assert store.epoch_key("cases", "2026-02") is None


def test_the_key_directory_is_0700_and_every_file_0600(tmp_path: Path) -> None:
    directory = tmp_path / "data" / "keys"
    store = FileKeyStore.create(directory, passphrase="correct horse", kdf=TINY)
    for epoch in EPOCHS:
        store.epoch_key(*epoch, create=True)
    store.rotate()
    store.destroy_epoch(*EPOCHS[0])
    store.import_snapshot(store.export_snapshot())
    directories = [directory, *(path for path in directory.rglob("*") if path.is_dir())]
    assert len(directories) >= 4
    for path in directories:
        assert stat.S_IMODE(path.stat().st_mode) == 0o700, path
    files = list(files_of(directory))
    assert {path.relative_to(directory).as_posix() for path in files} >= {
        "master.json",
        "pseudonym.json",
        "tombstones.json",
        "kek/v2.json",
        "epochs/cases/2026-02.json",
    }
    for path in files:
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path


@pytest.mark.parametrize("passphrase", [None, "correct horse battery staple"])
def test_no_file_holds_a_secret_key_in_clear(tmp_path: Path, passphrase: str | None) -> None:
    store = FileKeyStore.create(tmp_path / "keys", passphrase=passphrase, kdf=TINY)
    secrets = [store.pseudonym_secret(), *(store.epoch_key(*epoch, create=True) for epoch in EPOCHS)]
    store.rotate()
    store.destroy_epoch(*EPOCHS[0])
    for path in files_of(tmp_path / "keys"):
        content = path.read_bytes()
        for secret in secrets:
            assert secret is not None
            assert secret not in content, path
            assert base64.b64encode(secret) not in content, path
            assert secret.hex().encode() not in content, path


def test_a_passphrase_protects_the_master_key(tmp_path: Path) -> None:
    directory = tmp_path / "keys"
    store = FileKeyStore.create(directory, passphrase="correct horse", kdf=TINY)
    secret = store.pseudonym_secret()
    master = json.loads((directory / "master.json").read_text())
    assert master["protection"] == "argon2id"
    assert (master["memory_kib"], master["iterations"], master["lanes"]) == (1024, 1, 1)
    assert "key" not in master
    with pytest.raises(
        KeyStoreError, match=r"^the key store is protected by a passphrase; set SERMENT_KEY_PASSPHRASE$"
    ):
        FileKeyStore.open(directory)
    with pytest.raises(KeyStoreError, match=r"^the passphrase does not open the key store$"):
        FileKeyStore.open(directory, passphrase="wrong horse")
    assert FileKeyStore.open(directory, passphrase="correct horse").pseudonym_secret() == secret


def test_a_passphrase_for_a_store_without_one_is_refused(tmp_path: Path) -> None:
    FileKeyStore.create(tmp_path / "keys")
    with pytest.raises(
        KeyStoreError, match=r"no passphrase, but one was given; unset SERMENT_KEY_PASSPHRASE$"
    ):
        FileKeyStore.open(tmp_path / "keys", passphrase="anything")


def test_an_empty_passphrase_is_refused(tmp_path: Path) -> None:
    with pytest.raises(KeyStoreError, match=r"the passphrase is empty"):
        FileKeyStore.create(tmp_path / "keys", passphrase="")


def test_a_passphrase_store_imports_its_own_backup(tmp_path: Path) -> None:
    store = FileKeyStore.create(tmp_path / "keys", passphrase="correct horse", kdf=TINY)
    key = store.epoch_key("cases", "2026-01", create=True)
    snapshot = store.export_snapshot()
    fresh = FileKeyStore.create(tmp_path / "restored", passphrase="correct horse", kdf=TINY)
    fresh.import_snapshot(snapshot)
    assert (
        FileKeyStore.open(tmp_path / "restored", passphrase="correct horse").epoch_key("cases", "2026-01")
        == key
    )
    other = FileKeyStore.create(tmp_path / "other", passphrase="another one", kdf=TINY)
    with pytest.raises(
        KeyStoreError, match=r"^the snapshot cannot be imported: the passphrase does not open"
    ):
        other.import_snapshot(snapshot)
    with pytest.raises(KeyStoreError, match=r"the snapshot is protected by a passphrase; set SERMENT_KEY"):
        MemoryKeyStore().import_snapshot(snapshot)


def test_opening_a_missing_store_says_where_it_looked(tmp_path: Path) -> None:
    with pytest.raises(KeyStoreError, match=rf"^no key store at {tmp_path / 'nowhere'}$"):
        FileKeyStore.open(tmp_path / "nowhere")
    (tmp_path / "empty").mkdir()
    with pytest.raises(KeyStoreError, match=r"^no key store at "):
        FileKeyStore.open(tmp_path / "empty")


def test_creating_over_a_non_empty_directory_is_refused(tmp_path: Path) -> None:
    (tmp_path / "keys").mkdir()
    (tmp_path / "keys" / "something").write_text("x")
    with pytest.raises(KeyStoreError, match=r"already exists and is not empty"):
        FileKeyStore.create(tmp_path / "keys")
    FileKeyStore.create(tmp_path / "empty-but-present")
    with pytest.raises(KeyStoreError, match=r"already exists and is not empty"):
        FileKeyStore.create(tmp_path / "empty-but-present")


def test_an_existing_empty_directory_becomes_a_store(tmp_path: Path) -> None:
    (tmp_path / "keys").mkdir(mode=0o755)
    FileKeyStore.create(tmp_path / "keys")
    assert stat.S_IMODE((tmp_path / "keys").stat().st_mode) == 0o700


def test_a_damaged_file_is_reported_with_what_to_do(tmp_path: Path) -> None:
    FileKeyStore.create(tmp_path / "keys")
    (tmp_path / "keys" / "kek" / "v1.json").write_text("{")
    with pytest.raises(
        KeyStoreError, match=r"^the key store's kek/v1.json is damaged .*restore it from a backup$"
    ):
        FileKeyStore.open(tmp_path / "keys")


def test_a_wrapped_key_copied_to_another_epoch_does_not_open(tmp_path: Path) -> None:
    store = FileKeyStore.create(tmp_path / "keys")
    store.epoch_key("cases", "2026-01", create=True)
    epochs = tmp_path / "keys" / "epochs" / "cases"
    (epochs / "2026-02.json").write_bytes((epochs / "2026-01.json").read_bytes())
    with pytest.raises(KeyStoreError, match=r"the epoch:cases:2026-02 key does not open"):
        store.epoch_key("cases", "2026-02")


def test_a_destruction_by_another_process_reaches_a_cached_key(tmp_path: Path) -> None:
    first = FileKeyStore.create(tmp_path / "keys")
    first.epoch_key("cases", "2026-01", create=True)
    second = FileKeyStore.open(tmp_path / "keys")
    assert second.destroy_epoch("cases", "2026-01") is True
    with pytest.raises(KeyDestroyed):
        first.epoch_key("cases", "2026-01")


def test_a_rotation_by_another_process_does_not_strand_new_epochs(tmp_path: Path) -> None:
    first = FileKeyStore.create(tmp_path / "keys")
    old = first.epoch_key("cases", "2026-01", create=True)
    FileKeyStore.open(tmp_path / "keys").rotate()
    new = first.epoch_key("cases", "2026-02", create=True)
    assert first.epochs()[1].kek_version == 2
    reopened = FileKeyStore.open(tmp_path / "keys")
    assert (reopened.epoch_key("cases", "2026-01"), reopened.epoch_key("cases", "2026-02")) == (old, new)


def test_destroyed_files_are_gone_from_disk(tmp_path: Path) -> None:
    store = FileKeyStore.create(tmp_path / "keys")
    store.epoch_key("cases", "2026-01", create=True)
    store.destroy_epoch("cases", "2026-01")
    assert not (tmp_path / "keys" / "epochs" / "cases" / "2026-01.json").exists()
    tombstones = json.loads((tmp_path / "keys" / "tombstones.json").read_text())["tombstones"]
    assert tombstones == [
        {"category": "cases", "month": "2026-01", "destroyed_at": tombstones[0]["destroyed_at"]}
    ]


def test_kdf_parameters_are_checked() -> None:
    with pytest.raises(KeyStoreError, match=r"Argon2id needs"):
        KdfParameters(memory_kib=4, iterations=1, lanes=1)


def test_no_store_shows_its_keys_when_printed(store: KeyStore) -> None:
    text = repr(store)
    assert text.endswith("KeyStore(<keys>)")
    assert base64.b64encode(store.pseudonym_secret()).decode() not in text


def test_rotation_finishes_a_destruction_interrupted_before_the_file_was_removed(tmp_path: Path) -> None:
    store = FileKeyStore.create(tmp_path / "keys")
    store.epoch_key("cases", "2026-01", create=True)
    epoch = tmp_path / "keys" / "epochs" / "cases" / "2026-01.json"
    leftover = epoch.read_bytes()
    store.destroy_epoch("cases", "2026-01")
    epoch.write_bytes(leftover)
    with pytest.raises(KeyDestroyed):
        store.epoch_key("cases", "2026-01")
    assert store.epochs() == ()
    assert store.rotate().rewrapped == 1
    assert not epoch.exists()


@pytest.mark.parametrize(
    ("drop", "message"),
    [
        ("pseudonym.json", "the snapshot cannot be imported: it holds no pseudonym secret"),
        ("kek/v1.json", "the snapshot cannot be imported: it lacks the key-encryption key of "),
    ],
)
def test_an_incomplete_snapshot_is_refused(store: KeyStore, drop: str, message: str) -> None:
    store.epoch_key("cases", "2026-01", create=True)
    snapshot = json.loads(store.export_snapshot())
    del snapshot["documents"][drop]
    with pytest.raises(KeyStoreError, match=f"^{message}"):
        store.import_snapshot(json.dumps(snapshot).encode())
