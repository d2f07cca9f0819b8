"""A laboratory, in English, in a real browser: a CSV of results written here is uploaded, its good rows
stored and its bad row named by its line and reason; the same file sent again stores nothing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from playwright.sync_api import Page, expect

from tests.e2e.conftest import screenshot, sign_in
from tests.people_data import people
from tests.server_process import ServerProcess

# People of this test's own, with names no demo person has.
TESTED = people(4, seed=5151)


def _csv(folder: Path) -> Path:
    sampled = (datetime.now(UTC).date() - timedelta(days=1)).strftime("%d/%m/%Y")
    lines = ["nir;nom;prenom;date_naissance;sexe;date_prelevement;type_test;resultat;id_prelevement"]
    for number, person in enumerate(TESTED):
        value = "douteux" if number == 2 else ("positif" if number % 2 else "negatif")
        lines.append(
            f"{person.nir};{person.family_name};{person.given_names};{person.birth_date};{person.sex};"
            f"{sampled};PCR;{value};E2E-{number}"
        )
    path = folder / "resultats-e2e.csv"
    path.write_text("\r\n".join(lines) + "\r\n", encoding="utf-8")
    return path


def test_a_laboratory_uploads_a_csv_and_reads_its_import_report_in_english(
    demo_server: ServerProcess, page: Page, tmp_path: Path
) -> None:
    sign_in(page, demo_server, "lab", language="en")
    expect(page).to_have_url(f"{demo_server.base_url}/lab/imports")
    expect(page.get_by_role("heading", level=1)).to_have_text("Import results")
    screenshot(page, "lab-imports-en")
    results = _csv(tmp_path)

    page.get_by_role("button", name="Import", exact=True).click()
    expect(page.get_by_role("alert")).to_contain_text("Choose the file to import")
    page.get_by_label("File of results").set_input_files(results)
    page.get_by_label("Store the good rows, and list the bad ones").check()
    page.get_by_role("button", name="Import", exact=True).click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Import of resultats-e2e.csv")
    expect(page.get_by_role("status")).to_contain_text("3 of 4 rows stored.", timeout=30_000)
    bad = page.locator("tbody tr")
    expect(bad).to_have_count(1)
    expect(bad.first).to_contain_text("4")
    expect(bad.first).to_contain_text("'douteux' is not a result")
    screenshot(page, "lab-report-en")

    page.get_by_role("link", name="Import another file").click()
    expect(page.locator("table").first.locator("tbody tr").first).to_contain_text("3")
    page.get_by_label("File of results").set_input_files(results)
    page.get_by_role("button", name="Import", exact=True).click()
    expect(page.get_by_role("status")).to_contain_text("This file was already imported", timeout=30_000)
    screenshot(page, "lab-report-seen-en")
