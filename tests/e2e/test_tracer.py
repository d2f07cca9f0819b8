"""A tracer's day in a real browser, in French: the queue, the first task with its call script, an
outcome recorded, and the queue one call shorter; with nothing loaded from outside the machine."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.e2e.conftest import screenshot, sign_in
from tests.server_process import ServerProcess

OPEN_TASKS = re.compile(r"(\d+) tâches? ouvertes?")


def _open_tasks(page: Page) -> int:
    found = OPEN_TASKS.search(page.locator("main").inner_text())
    assert found is not None, page.locator("main").inner_text()[:500]
    return int(found.group(1))


def test_a_tracer_calls_the_first_contact_of_the_queue_and_records_the_outcome_in_french(
    demo_server: ServerProcess, page: Page
) -> None:
    sign_in(page, demo_server, "tracer", language="fr")
    expect(page).to_have_url(f"{demo_server.base_url}/tracer/queue")
    expect(page.get_by_role("heading", level=1)).to_have_text("Ma file d\u2019appels")
    before = _open_tasks(page)
    assert before > 0, "the demo outbreak gives the tracer calls to make"
    screenshot(page, "tracer-queue")

    first = page.locator("table.tasks tbody tr").first.get_by_role("link").first
    name = first.inner_text()
    first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text(name)
    script = page.locator("ol.script li")
    expect(script.first).to_contain_text("Vérifiez que vous parlez bien à la personne")
    expect(page.get_by_role("heading", name="Script d\u2019appel")).to_be_visible()
    screenshot(page, "tracer-task")

    page.get_by_role("button", name="Enregistrer le résultat").last.click()
    expect(page.get_by_role("alert")).to_contain_text("Choisissez le résultat de l\u2019appel.")
    page.get_by_role("button", name="Ajouter un contact").click()
    expect(page.get_by_label("Nom de famille")).to_be_visible()
    page.get_by_role("button", name="Retirer le contact 1").click()
    expect(page.get_by_label("Nom de famille")).to_have_count(0)
    page.get_by_label("Joint").check()
    page.get_by_label("Toux").check()
    page.get_by_label("Non", exact=True).check()
    page.get_by_label("Notes").fill("Rappeler après 18 h.")
    page.get_by_role("button", name="Enregistrer le résultat").last.click()

    expect(page).to_have_url(re.compile(r"/tracer/queue\?recorded=reached$"))
    expect(page.get_by_role("status")).to_contain_text("le contact a été joint")
    assert _open_tasks(page) == before - 1, "the call left the queue"
    expect(page.get_by_role("link", name=name)).to_have_count(0)
    page.get_by_role("link", name="Suivis du jour").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Suivis du jour")
    screenshot(page, "tracer-follow-ups")
