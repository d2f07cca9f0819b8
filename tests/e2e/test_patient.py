"""The patient's main flow in a real browser, in French: my record, who accessed my data, an
opposition registered then withdrawn, and my data downloaded as a FHIR Bundle that parses as JSON."""

from __future__ import annotations

import json
from pathlib import Path

from playwright.sync_api import Page, expect

from tests.e2e.conftest import screenshot, sign_in
from tests.server_process import ServerProcess


def test_the_patient_reads_their_record_and_accesses_opposes_and_downloads_their_data(
    demo_server: ServerProcess, page: Page
) -> None:
    sign_in(page, demo_server, "patient", language="fr")
    expect(page).to_have_url(f"{demo_server.base_url}/me")
    expect(page.get_by_role("heading", level=1)).to_have_text("Mon dossier")
    expect(page.get_by_role("heading", name="Ma situation aujourd\u2019hui")).to_be_visible()
    expect(page.get_by_role("heading", name="Mon identité")).to_be_visible()
    screenshot(page, "patient-record")

    with page.expect_download() as downloading:
        page.get_by_role("link", name="Télécharger mes données (FHIR JSON)").click()
    download = downloading.value
    assert download.suggested_filename.startswith("serment-my-data-")
    bundle = json.loads(Path(download.path()).read_text(encoding="utf-8"))
    assert bundle["resourceType"] == "Bundle"
    assert bundle["entry"][0]["resource"]["resourceType"] == "Patient"

    page.get_by_role("link", name="Qui a consulté mes données", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Qui a consulté mes données")
    expect(page.locator("tbody tr").first).to_contain_text("patient")
    screenshot(page, "patient-accesses")

    page.get_by_role("link", name="Mes oppositions", exact=True).click()
    page.get_by_label("Finalité à laquelle je m\u2019oppose").select_option("research")
    page.get_by_role("button", name="Enregistrer mon opposition").click()
    expect(page.get_by_role("status")).to_contain_text("Votre opposition est enregistrée")
    screenshot(page, "patient-oppositions")
    page.locator("tbody tr", has_text="Recherche").get_by_role("button", name="Retirer").click()
    expect(page.get_by_role("status")).to_contain_text("Votre opposition est retirée")
    expect(page.locator("tbody tr", has_text="Recherche")).to_contain_text("Retirée le")
