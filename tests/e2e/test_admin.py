"""The administrator's pages in a real browser, in English: an account added with a generated
password shown once, a token created and revoked, the keys rotated, and the backups page saying
how to configure its passphrase; never a person's identity."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.e2e.conftest import screenshot, sign_in
from tests.server_process import ServerProcess

NEW_ACCOUNT = "e2e.tracer"


def test_an_administrator_adds_an_account_and_gives_it_a_token_then_revokes_it(
    demo_server: ServerProcess, page: Page
) -> None:
    sign_in(page, demo_server, "admin", language="en")
    expect(page).to_have_url(f"{demo_server.base_url}/admin/users")
    expect(page.get_by_role("heading", level=1)).to_have_text("Accounts")
    expect(page.get_by_text("Linked to a person")).to_be_visible()
    screenshot(page, "admin-users")

    page.get_by_label("Account name").fill("Not Valid")
    page.get_by_role("button", name="Add the account").click()
    expect(page.get_by_role("alert")).to_contain_text("2 problems to fix")
    expect(page.get_by_label("Account name")).to_have_value("Not Valid")
    page.get_by_label("Account name").fill(NEW_ACCOUNT)
    page.get_by_label("Role").select_option("tracer")
    page.get_by_label("Organisation").fill("Démo Serment")
    page.get_by_role("button", name="Add the account").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Account created")
    password = page.locator(".secret code").inner_text()
    assert len(password) >= 12
    screenshot(page, "admin-user-created")

    page.get_by_role("link", name="API tokens").click()
    page.get_by_label("Account name").fill(NEW_ACCOUNT)
    page.get_by_label("Valid for (days)").fill("2")
    page.get_by_role("button", name="Create the token").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("API token created")
    token = page.locator(".secret code").inner_text()
    assert re.fullmatch(r"srm_[0-9a-f]{12}_[A-Za-z0-9_-]{43}", token)
    screenshot(page, "admin-token-created")
    page.get_by_role("link", name="Back to the tokens").click()
    assert token not in page.content(), "a token's secret is shown once"
    row = page.locator("tr", has_text=token.split("_")[1])
    row.get_by_role("button", name="Revoke").click()
    expect(page.get_by_role("status")).to_contain_text("is revoked")
    expect(page.locator("tr", has_text=token.split("_")[1])).to_contain_text("Revoked")
    screenshot(page, "admin-tokens")


def test_an_administrator_rotates_the_keys_and_reads_how_to_configure_backups(
    demo_server: ServerProcess, page: Page
) -> None:
    sign_in(page, demo_server, "admin", language="en")
    page.get_by_role("link", name="Keys").click()
    expect(page.get_by_role("heading", name="Live epoch keys")).to_be_visible()
    version = int(re.findall(r"Version (\d+)", page.locator("dl.facts").inner_text())[0])
    page.get_by_role("button", name="Rotate the key-encryption key").click()
    expect(page.get_by_role("status")).to_contain_text(f"version {version} replaced by version {version + 1}")
    screenshot(page, "admin-keys")

    page.get_by_role("link", name="Backups").click()
    expect(page.get_by_text("No backup passphrase is configured")).to_be_visible()
    expect(page.get_by_role("button", name="Back up now")).to_have_count(0)
    screenshot(page, "admin-backups")
