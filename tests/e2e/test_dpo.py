"""The data-protection officer's main flow in a real browser, in English: search the audit log, open
a person's access history, verify the chain, register and withdraw an opposition on someone's behalf,
read the unusual-access report. Nothing leaves the machine (checked by the `context` fixture)."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.e2e.conftest import screenshot, sign_in
from tests.server_process import ServerProcess

REF = re.compile(r"^[a-z2-7]{26}$")


def test_the_officer_searches_verifies_and_handles_an_opposition(
    demo_server: ServerProcess, page: Page
) -> None:
    sign_in(page, demo_server, "dpo", language="en")
    expect(page).to_have_url(f"{demo_server.base_url}/dpo/audit")
    expect(page.get_by_role("heading", level=1)).to_have_text("Audit log")

    page.get_by_label("Action").fill("route")
    page.get_by_role("button", name="Search").click()
    rows = page.locator("table.audit tbody tr")
    expect(rows.first).to_be_visible()
    expect(rows.first).to_contain_text("Routed a call to a team")
    screenshot(page, "dpo-audit")
    ref = page.locator("table.audit tbody a.ref").first.inner_text()
    assert REF.match(ref), ref

    page.get_by_label("Person ref").fill("Jean Dupont")
    page.get_by_role("button", name="Search").click()
    expect(page.get_by_role("alert")).to_contain_text("A person ref is 26 characters")
    expect(page.get_by_label("Person ref")).to_have_value("Jean Dupont")

    page.goto(f"{demo_server.base_url}/dpo/people/{ref}/accesses")
    expect(page.get_by_role("heading", level=1)).to_have_text("Access history")
    expect(page.locator("tbody tr").first).to_be_visible()
    screenshot(page, "dpo-accesses")

    page.get_by_role("link", name="Chain verification").click()
    page.get_by_role("button", name="Verify the chain now").click()
    expect(page.get_by_text("The chain is intact.")).to_be_visible()
    expect(page.locator("code.hash")).to_have_text(re.compile(r"^[0-9a-f]{64}$"))
    screenshot(page, "dpo-verify")

    page.get_by_role("link", name="Oppositions").click()
    page.locator("#f-person").fill(ref)
    page.get_by_label("Purpose opposed").select_option("research")
    page.get_by_label("Received by").select_option("phone")
    page.get_by_role("button", name="Register the opposition").click()
    expect(page.get_by_role("status")).to_have_text("The opposition is registered.")
    row = page.locator("tbody tr", has_text=ref)
    expect(row).to_contain_text("Telephone")
    expect(row).to_contain_text("Active")
    screenshot(page, "dpo-oppositions")
    row.get_by_role("button", name="Withdraw").click()
    expect(page.get_by_role("status")).to_have_text("The opposition is withdrawn.")
    expect(page.locator("tbody tr", has_text=ref).get_by_role("button", name="Withdraw")).to_have_count(0)

    page.get_by_role("link", name="Unusual access").click()
    expect(page.get_by_role("heading", name="How users are ranked")).to_be_visible()
    expect(page.locator("tbody tr").first).to_be_visible()
    screenshot(page, "dpo-unusual")
