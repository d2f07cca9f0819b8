"""The epidemiologist in a real browser, on the demo outbreak: the dashboard filtered by area, a chain
opened from it, a case reached from the graph with the mouse and with the keyboard, and a cluster alert
taken into investigation, in English and in French, with nothing leaving the machine."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.e2e.conftest import screenshot, sign_in
from tests.server_process import ServerProcess

CASE_URL = re.compile(r".*/epi/cases/[a-z2-7]{26}$")
# French typography: the apostrophe is a right single quotation mark.
INVESTIGATE = "Commencer l\u2019investigation"


def _in_graph(page: Page) -> bool:
    return bool(page.evaluate("() => !!document.activeElement.closest('svg.chain-graph')"))


def test_the_dashboard_leads_through_a_chain_to_a_case_with_the_mouse_and_the_keyboard(
    demo_server: ServerProcess, page: Page
) -> None:
    sign_in(page, demo_server, "epidemiologist", language="en")
    expect(page).to_have_url(f"{demo_server.base_url}/epi/dashboard")
    expect(page.get_by_role("heading", level=1)).to_have_text("Dashboard")
    expect(page.locator("svg.chart rect.bar")).to_have_count(56)
    screenshot(page, "epi-dashboard")

    every_area = page.locator(".cards .figure").first.inner_text()
    area = page.locator("datalist#areas option").first.get_attribute("value")
    assert area is not None
    page.get_by_label("Département").fill(area)
    page.get_by_role("button", name="Show").click()
    expect(page).to_have_url(re.compile(rf".*area={area}"))
    expect(page.locator("main")).to_contain_text(f"Département {area}")
    assert int(page.locator(".cards .figure").first.inner_text()) <= int(every_area)

    page.goto(f"{demo_server.base_url}/epi/dashboard")
    page.locator("#h-chains ~ div.table-wrap a").first.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Transmission chain")
    expect(page.locator("svg.chain-graph a").first).to_be_visible()
    screenshot(page, "epi-chain")
    chain_url = page.url

    page.locator("svg.chain-graph a circle.case").first.click()
    expect(page).to_have_url(CASE_URL)
    expect(page.get_by_role("heading", level=1)).to_contain_text("Case")
    screenshot(page, "epi-case")

    page.goto(chain_url)
    for _ in range(60):
        page.keyboard.press("Tab")
        if _in_graph(page):
            break
    assert _in_graph(page), "no case of the graph is reachable with the Tab key"
    focused = page.evaluate("() => document.activeElement.getAttribute('href')")
    page.keyboard.press("Enter")
    expect(page).to_have_url(f"{demo_server.base_url}{focused}")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Case")


def test_the_case_list_and_a_cluster_alert_taken_into_investigation_in_french(
    demo_server: ServerProcess, page: Page
) -> None:
    sign_in(page, demo_server, "epidemiologist", language="fr")
    page.get_by_role("link", name="Cas", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Cas")
    page.get_by_label("Statut").select_option("confirmed")
    page.get_by_role("button", name="Afficher").click()
    expect(page).to_have_url(re.compile(r".*status=confirmed"))
    expect(page.locator("tbody tr").first).to_contain_text("Confirmé")

    page.get_by_role("link", name="Alertes de cluster").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Alertes de cluster")
    screenshot(page, "epi-clusters")
    row = page.locator("tbody tr").filter(has=page.get_by_role("button", name=INVESTIGATE)).first
    alert = row.locator("td").first.inner_text()
    row.get_by_role("button", name=INVESTIGATE).click()
    expect(page.get_by_role("status")).to_contain_text(
        f"L\u2019alerte {alert} est maintenant « En investigation »"
    )
    expect(page.locator(f"#alert-{alert}")).to_contain_text("En investigation")
