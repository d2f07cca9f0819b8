"""A clinician, in French, in a real browser: a report with a mistake comes back with everything typed
and the mistake named by its field, a contact row is added and removed without JavaScript, Enter sends
the report, and the report is then in their list and its patient found by name and birth date."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from playwright.sync_api import Page, expect

from tests.e2e.conftest import screenshot, sign_in
from tests.people_data import people
from tests.server_process import ServerProcess

# People of this test's own, with names no demo person has.
PATIENT, CONTACT = people(2, seed=4242)


def _field(name: str) -> str:
    """The selector of the form's field `name` (names hold dots, which CSS ids would need escaped)."""
    return f'[name="{name}"]'


def test_a_clinician_reports_a_case_with_a_contact_in_french(demo_server: ServerProcess, page: Page) -> None:
    today = datetime.now(UTC).date()
    sign_in(page, demo_server, "clinician", language="fr")
    expect(page).to_have_url(f"{demo_server.base_url}/clinic/report")
    expect(page.get_by_role("heading", level=1)).to_have_text("Signaler un cas")
    screenshot(page, "clinic-report-fr")

    nir = PATIENT.nir
    wrong = nir[:-2] + ("00" if nir[-2:] != "00" else "01")
    # Typed as printed on a carte Vitale, with spaces.
    spaced = " ".join((wrong[:1], wrong[1:3], wrong[3:5], wrong[5:7], wrong[7:10], wrong[10:13], wrong[13:]))
    fills = {
        "person.nir": spaced,
        "person.family_name": PATIENT.family_name, "person.given_names": PATIENT.given_names,
        "person.birth_date": PATIENT.birth_date, "person.phone": PATIENT.phone,
        "case.onset_date": (today - timedelta(days=1)).isoformat(),
        "result.sample_date": (today - timedelta(days=1)).isoformat(),
        "contacts.0.person.family_name": CONTACT.family_name,
        "contacts.0.person.given_names": CONTACT.given_names,
        "contacts.0.person.birth_date": CONTACT.birth_date, "contacts.0.person.phone": CONTACT.phone,
        "contacts.0.exposure.date": (today - timedelta(days=2)).isoformat(),
    }  # fmt: skip
    for name, value in fills.items():
        page.locator(_field(name)).fill(value)
    choices = {
        "person.sex": PATIENT.sex, "case.status": "confirmed", "result.test_type": "rt-pcr",
        "result.value": "positive", "contacts.0.person.sex": CONTACT.sex,
        "contacts.0.exposure.setting": "household",
    }  # fmt: skip
    for name, value in choices.items():
        page.locator(_field(name)).select_option(value)
    page.get_by_role("button", name="Envoyer le signalement").last.click()

    expect(page.get_by_role("alert")).to_contain_text("1 problème à corriger")
    expect(page.locator('[id="e-person.nir"]')).to_contain_text("La clé de contrôle du NIR est fausse")
    for name, value in fills.items():
        expect(page.locator(_field(name))).to_have_value(value)
    expect(page.locator(_field("contacts.0.exposure.setting"))).to_have_value("household")
    screenshot(page, "clinic-report-errors-fr")

    page.locator(_field("person.nir")).fill(nir)
    page.get_by_role("button", name="Ajouter un contact").click()
    expect(page.locator("fieldset.contact")).to_have_count(2)
    expect(page.locator(_field("contacts.1.person.family_name"))).to_be_focused()
    expect(page.locator(_field("person.nir"))).to_have_value(nir)
    page.get_by_role("button", name="Retirer le contact 2").click()
    expect(page.locator("fieldset.contact")).to_have_count(1)
    expect(page.locator(_field("contacts.0.person.family_name"))).to_have_value(CONTACT.family_name)

    # Enter in a field sends the report (not the first row's "remove" button).
    page.locator(_field("person.phone")).press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Signalement enregistré")
    expect(page.get_by_role("status")).to_contain_text("Le signalement est enregistré")
    expect(page.locator("main")).to_contain_text(CONTACT.family_name)
    screenshot(page, "clinic-receipt-fr")

    page.get_by_role("navigation", name="Principale").get_by_role("link", name="Mes signalements").click()
    expect(page.locator("tbody tr").first).to_contain_text(PATIENT.family_name)
    screenshot(page, "clinic-reports-fr")

    page.get_by_role("navigation", name="Principale").get_by_role("link", name="Mes patients").click()
    day, month, year = reversed(PATIENT.birth_date.split("-"))
    page.get_by_label("NIR, ou nom de famille et date de naissance").fill(
        f"{PATIENT.family_name} {day}/{month}/{year}"
    )
    screenshot(page, "clinic-patients-fr")
    page.get_by_role("button", name="Chercher").click()
    # One patient found: their record, at an address that holds their ref only.
    expect(page).to_have_url(re.compile(r"/clinic/patients/[a-z2-7]{26}$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(f"{PATIENT.family_name} {PATIENT.given_names}")
    expect(page.locator("main")).to_contain_text(nir)
    expect(page.locator("main")).to_contain_text("Confirmé")
    screenshot(page, "clinic-patient-fr")
