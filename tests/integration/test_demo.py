"""The demo: a synthetic outbreak loaded through the real services, and an account of every role."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from serment.access import operator
from serment.access.accounts import authenticate_password
from serment.access.oversight import verify_audit
from serment.cli import app
from serment.demo import ACCOUNT_NAMES, ensure_accounts, load_outbreak
from serment.installation import Installation, open_installation
from serment.settings import Settings
from serment.store.tables import CaseRow, ExposureRow, ResultRow, UserRow


def test_the_outbreak_goes_in_through_the_services_on_its_own_dates(installation: Installation) -> None:
    actors = ensure_accounts(installation.platform, "a demo password")
    loaded = load_outbreak(
        installation.platform, clinician=actors["clinician"], lab=actors["lab"],
        people=1_500, days=30, seed=7,
        end=date(2026, 3, 1),
    )  # fmt: skip
    assert loaded.refused == 0, loaded.reasons
    assert loaded.case_reports > 0
    assert loaded.results > 0
    with installation.database.read() as session:
        cases = session.scalar(select(func.count()).select_from(CaseRow))
        results = session.scalar(select(func.count()).select_from(ResultRow))
        exposures = session.scalar(select(func.count()).select_from(ExposureRow))
        first, last = session.execute(
            select(func.min(CaseRow.reported_at), func.max(CaseRow.reported_at))
        ).one()
    assert (cases, results, exposures) == (loaded.case_reports, loaded.results, loaded.contacts)
    assert date(2026, 1, 30) <= first.date() <= last.date() <= date(2026, 3, 1), (
        "reports keep their own dates"
    )
    assert verify_audit(installation.platform, operator(role="dpo", purpose="audit")).intact


def test_an_outbreak_ending_today_is_refused_so_that_no_report_is_dated_in_the_future(
    installation: Installation,
) -> None:
    actors = ensure_accounts(installation.platform, "a demo password")
    with pytest.raises(ValueError, match="must end before today"):
        load_outbreak(
            installation.platform, clinician=actors["clinician"], lab=actors["lab"],
            people=50, days=5, seed=1, end=installation.clock.now().date(),
        )  # fmt: skip


def test_serment_demo_loads_once_and_prints_logins(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SERMENT_DEMO_PASSWORD", "motdepasse-de-demo")
    data_dir = str(tmp_path / "demo")
    runner = CliRunner()
    first = runner.invoke(
        app, ["demo", "--data-dir", data_dir, "--people", "800", "--days", "20", "--no-serve"]
    )
    assert first.exit_code == 0, first.output
    assert "case reports with" in first.stdout
    for name in ACCOUNT_NAMES.values():
        assert f"│ {name}" in first.stdout
    assert first.stdout.count("export SERMENT_TOKEN_") == len(ACCOUNT_NAMES) + 1, "and the second tracer"
    assert "export SERMENT_TOKEN_TRACEUSE=" in first.stdout
    second = runner.invoke(app, ["demo", "--data-dir", data_dir, "--no-serve"])
    assert second.exit_code == 0
    assert "case reports with" not in second.stdout, "the outbreak is loaded once"
    installation = open_installation(Settings(data_dir=tmp_path / "demo"))
    try:
        assert (
            authenticate_password(installation.platform, "clinicien", "motdepasse-de-demo").role
            == "clinician"
        )
        with installation.database.read() as session:
            patient = session.scalars(select(UserRow).where(UserRow.name == "patient")).one()
        assert patient.person_ref is not None, "the demo patient is a person of the outbreak"
    finally:
        installation.close()
