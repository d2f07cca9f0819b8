"""Creating, opening and checking an installation."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from sqlalchemy import select

from serment import __version__
from serment.clock import FixedClock
from serment.installation import (
    MARKER,
    Installation,
    InstallationError,
    check_health,
    initialise,
    open_installation,
)
from serment.settings import Settings
from serment.store import SchemaState
from serment.store.tables import InstallationRow


def test_init_creates_a_private_data_directory_and_records_the_installation(
    settings: Settings, clock: FixedClock
) -> None:
    report = initialise(settings, clock=clock)
    data_dir = settings.data_dir.resolve()
    assert report.data_dir == data_dir
    assert stat.S_IMODE(data_dir.stat().st_mode) == 0o700
    assert (data_dir / MARKER).is_file()
    assert not report.replaced_existing
    opened = open_installation(settings)
    try:
        with opened.database.read() as session:
            row = session.scalars(select(InstallationRow)).one()
        assert (row.id, row.created_at, row.created_by_version) == (
            report.installation_id,
            clock.now(),
            __version__,
        )
        health = check_health(opened)
        assert health.ok
        assert health.schema is SchemaState.CURRENT
    finally:
        opened.close()


def test_init_refuses_an_existing_directory_and_leaves_it_alone(installation: Installation) -> None:
    keepsake = installation.data_dir / "notes.txt"
    keepsake.write_text("kept", encoding="utf-8")
    settings = Settings(data_dir=installation.data_dir, database_url=None)
    with pytest.raises(InstallationError, match="already exists and is not empty; pass --force"):
        initialise(settings)
    assert keepsake.read_text(encoding="utf-8") == "kept"


def test_init_with_force_starts_a_serment_directory_again(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data")
    first = initialise(settings)
    (tmp_path / "data" / "notes.txt").write_text("old", encoding="utf-8")
    second = initialise(settings, force=True)
    assert second.replaced_existing
    assert second.installation_id != first.installation_id
    assert not (tmp_path / "data" / "notes.txt").exists()


def test_force_never_erases_a_directory_that_is_not_serments(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    (home / "thesis.tex").write_text("years of work", encoding="utf-8")
    with pytest.raises(InstallationError, match="not a Serment data directory; refusing to erase it"):
        initialise(Settings(data_dir=home), force=True)
    assert (home / "thesis.tex").read_text(encoding="utf-8") == "years of work"


def test_an_external_database_already_installed_is_refused_before_anything_is_erased(
    installation: Installation, database_url: str | None, tmp_path: Path
) -> None:
    if database_url is None:
        pytest.skip("the embedded database lives inside the data directory that --force erases")
    (installation.data_dir / "notes.txt").write_text("kept", encoding="utf-8")
    again = Settings(data_dir=installation.data_dir, database_url=database_url)
    with pytest.raises(InstallationError, match="already holds the Serment installation"):
        initialise(again, force=True)
    assert (installation.data_dir / "notes.txt").read_text(encoding="utf-8") == "kept"


def test_init_says_when_the_data_directory_cannot_be_created(tmp_path: Path) -> None:
    a_file = tmp_path / "file"
    a_file.write_text("", encoding="utf-8")
    with pytest.raises(InstallationError, match=r"cannot create the data directory .*: Not a directory"):
        initialise(Settings(data_dir=a_file / "data"))
    with pytest.raises(InstallationError, match="exists and is not a directory"):
        initialise(Settings(data_dir=a_file))


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes through any permission bits")
def test_init_says_when_the_parent_directory_is_read_only(tmp_path: Path) -> None:
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o500)
    with pytest.raises(InstallationError, match="Permission denied"):
        initialise(Settings(data_dir=locked / "data"))


def test_opening_a_directory_that_was_never_initialised_says_how_to_fix_it(tmp_path: Path) -> None:
    with pytest.raises(InstallationError, match="create it with `serment init --data-dir"):
        open_installation(Settings(data_dir=tmp_path / "nothing"))


def test_health_reports_an_unreachable_database(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data")
    initialise(settings)
    unreachable = Settings(data_dir=tmp_path / "data", database_url="postgresql://serment@127.0.0.1:1/x")
    opened = open_installation(unreachable)
    try:
        health = check_health(opened)
    finally:
        opened.close()
    assert not health.ok
    assert not health.database_reachable
    assert health.schema is None


def test_serving_an_unreachable_database_stops_with_the_reason(tmp_path: Path) -> None:
    initialise(Settings(data_dir=tmp_path / "data"))
    unreachable = Settings(data_dir=tmp_path / "data", database_url="postgresql://serment@127.0.0.1:1/x")
    with pytest.raises(InstallationError, match=r"127\.0\.0\.1:1/x does not answer"):
        open_installation(unreachable, migrate=True)
