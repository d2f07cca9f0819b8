"""Signing in from a real browser, in French and in English, with nothing leaving the machine."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from tests.e2e.conftest import DEMO_PASSWORD, Sovereignty, is_loopback, screenshot, sign_in
from tests.server_process import ServerProcess


def test_sign_in_then_sign_out_in_french(
    demo_server: ServerProcess, page: Page, sovereignty: Sovereignty
) -> None:
    page.goto(f"{demo_server.base_url}/")
    expect(page).to_have_url(f"{demo_server.base_url}/sign-in?next=%2F")
    if page.locator("html").get_attribute("lang") != "fr":
        page.locator('form[action="/language"] button[value="fr"]').click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Se connecter")
    screenshot(page, "sign-in-fr")

    page.get_by_label("Nom du compte").fill("epidemio")
    page.get_by_label("Mot de passe").fill("not the password")
    page.get_by_role("button", name="Se connecter").click()
    expect(page.get_by_role("alert")).to_contain_text("mot de passe est faux")
    expect(page.get_by_label("Nom du compte")).to_have_value("epidemio")

    page.get_by_label("Mot de passe").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    expect(page.get_by_role("button", name="Se déconnecter")).to_be_visible()
    page.get_by_role("button", name="Se déconnecter").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Se connecter")
    assert all(is_loopback(url) for url in sovereignty.requested)


def test_the_language_switch_and_the_keyboard(demo_server: ServerProcess, page: Page) -> None:
    sign_in(page, demo_server, "admin", language="en")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    page.locator('form[action="/language"] button[value="fr"]').click()
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    page.keyboard.press("Tab")
    expect(page.locator(".skip")).to_be_focused()
