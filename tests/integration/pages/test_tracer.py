"""The tracer's pages: my queue most urgent first, a task with its script and outcome form (rows of
contacts added without JavaScript, everything typed kept on a mistake), today's follow-ups; never
the index case, and never another tracer's task (refused, audited)."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta

import httpx
import pytest
from sqlalchemy import select

from serment.access import Platform, operator
from serment.clock import FixedClock
from serment.installation import Installation
from serment.store.tables import AuditEventRow, ExposureRow, TracingTaskRow
from serment.tracing.standings import recompute_in
from serment.tracing.teams import add_team
from tests.conftest import Accounts
from tests.pages import HTML, Browser, Browsers, csrf_of
from tests.people_data import Synthetic, people

pytestmark = pytest.mark.anyio
# The browsers' tracers have the organisation "Tracer Org": the team is theirs.
TEAM = "Tracer Org"
# People under 65 on 2 March 2026, so that age adds nothing to their priority.
INDEX, ANNE, BRUNO, CLARA, DAVID, ELISE, FANNY = [p for p in people(40, seed=61) if p.birth_date > "1966"][:7]
CASE = {"status": "confirmed", "onset_date": "2026-02-27"}
# The apostrophe of French typography, which the pages use.
Q = "\u2019"
_TASK_LINK = re.compile(r'href="/tracer/tasks/([a-z2-7]{26})"')


def _exposure(setting: str, day: str = "2026-02-26") -> dict[str, object]:
    return {"date": day, "setting": setting}


async def _report(
    client: httpx.AsyncClient, accounts: Accounts, index: Synthetic, *contacts: tuple[Synthetic, str]
) -> dict[str, object]:
    body = {
        "person": index.payload(), "case": CASE,
        "contacts": [{"person": p.contact_payload(), "exposure": _exposure(s)} for p, s in contacts],
    }  # fmt: skip
    answer = await client.post("/api/v1/reports", json=body, headers=accounts.headers("clinician"))
    assert answer.status_code == 201, answer.text
    receipt: dict[str, object] = answer.json()
    return receipt


@pytest.fixture
def team(platform: Platform) -> str:
    """A team covering every region, whose tracers are the browsers' tracer accounts."""
    add_team(platform, operator(), TEAM, ["*"])
    return TEAM


def _type(name: str) -> str:
    return "date" if name.endswith("date") else "tel" if name.endswith("phone") else "text"


def _task_ids(html: str) -> list[str]:
    return list(dict.fromkeys(_TASK_LINK.findall(html)))


async def test_the_queue_shows_my_open_calls_the_most_urgent_first_then_the_soonest_due(
    client: httpx.AsyncClient, accounts: Accounts, browsers: Browsers, clock: FixedClock, team: str
) -> None:
    browsers.account("tracer", name="tracer-a")
    await _report(client, accounts, INDEX, (ANNE, "work"))
    clock.advance(timedelta(hours=1))
    await _report(client, accounts, DAVID, (BRUNO, "health_care"))
    clock.advance(timedelta(hours=1))
    await _report(client, accounts, ELISE, (CLARA, "work"))
    browser = await browsers.signed_in("tracer", name="tracer-a")

    page = await browser.get("/tracer/queue")

    assert page.status_code == 200, page.text
    names = re.findall(r'<a href="/tracer/tasks/[a-z2-7]{26}">([^<]+)</a>', page.text)
    # Bruno's exposure in health care ranks him first although he is due an hour after Anne.
    assert names == [f"{p.family_name} {p.given_names}" for p in (BRUNO, ANNE, CLARA)]
    assert f'href="tel:{ANNE.phone}"' in page.text
    assert "Overdue" not in page.text
    assert "En retard" not in page.text
    assert "3 tâches ouvertes" in page.text
    clock.advance(timedelta(hours=23, minutes=30))
    browser = await browsers.signed_in("tracer", name="tracer-a")  # the session idled out meanwhile
    late = await browser.get("/tracer/queue")
    assert late.text.count('class="badge status-bad"') == 2, "Anne's and Bruno's calls are overdue"
    follow_ups_only = await browser.get("/tracer/queue", show="follow_up")
    assert _task_ids(follow_ups_only.text) == []
    assert len(_task_ids((await browser.get("/tracer/queue", show="call")).text)) == 3


async def _only_task(browser: Browser) -> str:
    (task,) = _task_ids((await browser.get("/tracer/queue")).text)
    return task


def _secrets_of(index: Synthetic, receipt: dict[str, object]) -> list[str]:
    return [index.family_name, index.phone, index.nir, index.address_line, str(receipt["person"])]


async def test_a_task_shows_the_call_the_plan_and_the_script_and_never_the_index_case(
    client: httpx.AsyncClient, accounts: Accounts, browsers: Browsers, team: str
) -> None:
    browser = await browsers.signed_in("tracer", name="tracer-a")
    receipt = await _report(client, accounts, INDEX, (ANNE, "household"))
    task = await _only_task(browser)

    french = await browser.get(f"/tracer/tasks/{task}")
    await browser.post("/language", {"lang": "en", "next": "/"}, form_of="/tracer/queue")
    english = await browser.get(f"/tracer/tasks/{task}")

    assert french.status_code == english.status_code == 200
    assert f"<h1>{ANNE.family_name} {ANNE.given_names}</h1>" in french.text
    assert f'href="tel:{ANNE.phone}"' in french.text
    assert "26 févr. 2026 · Foyer" in french.text
    assert f"quarantaine à domicile jusqu{Q}au 5 mars 2026" in french.text
    assert "Ne dites jamais qui" in french.text
    assert "elles sont affichées en anglais" not in french.text
    assert "in contact with someone who has the infection on February 26, 2026 at home" in english.text
    assert "Advise them: quarantined at home until March 5, 2026." in english.text
    for page in (french.text, english.text, (await browser.get("/tracer/queue")).text):
        for secret in _secrets_of(INDEX, receipt):
            assert secret not in page, "a tracer never learns who the contact was exposed to"


async def test_an_outcome_is_recorded_with_the_contacts_own_contacts_and_the_queue_moves_on(
    client: httpx.AsyncClient,
    accounts: Accounts,
    browsers: Browsers,
    installation: Installation,
    team: str,
) -> None:
    browser = await browsers.signed_in("tracer", name="tracer-a")
    receipt = await _report(client, accounts, INDEX, (ANNE, "household"))
    task = await _only_task(browser)
    form = f"/tracer/tasks/{task}"
    typed = {
        "result": "reached", "consent": "yes", "onset_date": "2026-03-01", "notes": "Lives with her mother.",
        "contact-0-family_name": BRUNO.family_name, "contact-0-given_names": BRUNO.given_names,
        "contact-0-birth_date": BRUNO.birth_date, "contact-0-sex": BRUNO.sex, "contact-0-phone": BRUNO.phone,
        "contact-0-exposure_date": "2026-02-28", "contact-0-setting": "work",
    }  # fmt: skip
    answer = await _post_outcome(browser, task, {**typed, "action": "record"}, ["fever", "cough"])

    assert answer.status_code == 303, answer.text
    assert answer.headers["location"] == "/tracer/queue?recorded=reached"
    after = await browser.get("/tracer/queue", recorded="reached")
    assert "Résultat enregistré : le contact a été joint." in after.text
    assert task not in after.text, "a reached call leaves the open queue"
    with installation.database.read() as session:
        row = session.get_one(TracingTaskRow, task)
        assert (row.status, row.consent, row.attempts) == ("reached", True, 1)
        assert row.outcome is not None
        assert b"fever" not in row.outcome, "symptoms are sealed"
        named = session.scalars(select(ExposureRow).where(ExposureRow.person_ref == row.person_ref)).all()
        calls = session.scalars(select(TracingTaskRow).where(TracingTaskRow.id != task)).all()
    assert [(e.setting, e.date_from) for e in named] == [("work", date(2026, 2, 28))], "Bruno is her contact"
    assert calls == [], "fr-2020 calls the contacts of cases only: Bruno, a contact's contact, is not"
    closed = await browser.get(form)
    assert "Cette tâche est close" in closed.text
    assert ANNE.family_name not in closed.text, "a closed task no longer reaches the person"
    assert 'action="/tracer/tasks/' not in closed.text, "no outcome form on a closed task"
    for secret in _secrets_of(INDEX, receipt):
        assert secret not in after.text + closed.text


async def _post_outcome(
    browser: Browser, task: str, fields: dict[str, str], symptoms: list[str]
) -> httpx.Response:
    """Send the outcome form of `task` with several symptoms ticked (Browser.post sends one value
    per field)."""
    page = await browser.get(f"/tracer/tasks/{task}")
    data = {**fields, "symptoms": symptoms, "csrf": csrf_of(page.text)}
    return await browser.http.post(f"/tracer/tasks/{task}/outcome", data=data, headers=HTML)


async def test_an_invalid_outcome_comes_back_as_typed_with_each_problem_at_its_field(
    client: httpx.AsyncClient, accounts: Accounts, browsers: Browsers, installation: Installation, team: str
) -> None:
    browser = await browsers.signed_in("tracer", name="tracer-a")
    await _report(client, accounts, INDEX, (ANNE, "household"))
    task = await _only_task(browser)
    typed = {
        "result": "no_answer", "onset_date": "2026-03-09", "notes": "Rappeler après 18 h.",
        "contact-0-family_name": "Dupont3", "contact-0-given_names": CLARA.given_names,
        "contact-0-birth_date": "1990-02-30", "contact-0-sex": "F", "contact-0-phone": "12",
        "contact-0-exposure_date": "2026-03-09", "contact-0-setting": "",
        "contact-1-family_name": FANNY.family_name, "contact-1-given_names": FANNY.given_names,
        "contact-1-birth_date": FANNY.birth_date, "contact-1-sex": FANNY.sex, "contact-1-phone": "",
        "contact-1-exposure_date": "2026-02-28", "contact-1-setting": "school",
    }  # fmt: skip
    answer = await _post_outcome(browser, task, typed, ["cough"])

    assert answer.status_code == 422
    html = answer.text
    for name, value in typed.items():
        if name not in {"result", "notes"} and not name.endswith(("-sex", "-setting")):
            assert f'name="{name}" type="{_type(name)}" value="{value}"' in html, name
    assert ">Rappeler après 18 h.</textarea>" in html
    assert 'value="no_answer" checked' in html
    assert 'value="cough" checked' in html
    assert '<option value="school" selected>' in html
    assert "problèmes à corriger" in html
    expected = {
        "e-onset_date": "Cette date est dans le futur.",
        "e-contact-0-family_name": f"« 3 » n{Q}est pas une lettre",
        "e-contact-0-birth_date": f"Ce jour n{Q}existe pas dans le calendrier.",
        "e-contact-0-phone": "Un numéro de téléphone compte 6 à 15 chiffres",
        "e-contact-0-setting": "Choisissez où ils se sont vus.",
        "e-symptoms": "Seul un contact joint peut donner cette information",
    }
    for error_id, message in expected.items():
        assert re.search(rf'id="{error_id}">[^<]*{re.escape(message)}', html), (error_id, message)
    with installation.database.read() as session:
        row = session.get_one(TracingTaskRow, task)
        assert (row.status, row.attempts) == ("to_call", 0), "nothing is stored"


async def test_contact_rows_are_added_and_removed_without_javascript_and_keep_what_was_typed(
    client: httpx.AsyncClient, accounts: Accounts, browsers: Browsers, team: str
) -> None:
    browser = await browsers.signed_in("tracer", name="tracer-a")
    await _report(client, accounts, INDEX, (ANNE, "household"))
    task = await _only_task(browser)
    form = f"/tracer/tasks/{task}"
    blank = await browser.get(form)
    assert 'name="contact-0-family_name"' not in blank.text
    assert blank.text.index('value="record" class="default-submit"') < blank.text.index('value="add"'), (
        "Enter in a text box records the outcome: it never adds a row"
    )

    one = await browser.post(
        f"{form}/outcome", {"action": "add", "result": "reached", "notes": "Gardé"}, form_of=form
    )
    assert one.status_code == 200
    assert 'name="contact-0-family_name"' in one.text
    assert 'name="contact-1-family_name"' not in one.text
    assert 'value="reached" checked' in one.text
    assert ">Gardé</textarea>" in one.text
    two = await browser.post(
        f"{form}/outcome",
        {"action": "add", "contact-0-family_name": BRUNO.family_name, "contact-0-setting": "work"},
        form_of=form,
    )
    assert f'value="{BRUNO.family_name}"' in two.text
    assert 'name="contact-1-family_name"' in two.text
    removed = await browser.post(
        f"{form}/outcome",
        {
            "action": "remove:0",
            "contact-0-family_name": BRUNO.family_name,
            "contact-1-family_name": CLARA.family_name,
        },
        form_of=form,
    )
    assert BRUNO.family_name not in removed.text
    assert f'name="contact-0-family_name" type="text" value="{CLARA.family_name}"' in removed.text


async def test_another_tracers_task_is_refused_and_the_refusal_audited_with_the_person(
    client: httpx.AsyncClient, accounts: Accounts, browsers: Browsers, installation: Installation, team: str
) -> None:
    first = await browsers.signed_in("tracer", name="tracer-a")
    second = await browsers.signed_in("tracer", name="tracer-b")
    await _report(client, accounts, INDEX, (ANNE, "household"), (BRUNO, "household"))
    mine = await _only_task(first)
    theirs = await _only_task(second)

    read = await first.get(f"/tracer/tasks/{theirs}")
    written = await first.post(
        f"/tracer/tasks/{theirs}/outcome", {"result": "no_answer"}, form_of="/tracer/queue"
    )
    unknown = await first.get("/tracer/tasks/" + "a" * 26)

    assert read.status_code == written.status_code == 403
    assert "Refusé" in read.text
    assert unknown.status_code == 404
    with installation.database.read() as session:
        person = session.get_one(TracingTaskRow, theirs).person_ref
        refusals = session.scalars(
            select(AuditEventRow).where(AuditEventRow.actor == "tracer-a", AuditEventRow.outcome == "refused")
        ).all()
        untouched = session.get_one(TracingTaskRow, theirs)
    assert [(event.action, event.subject) for event in refusals] == [("read", person), ("update", person)]
    assert untouched.attempts == 0
    assert (await first.get(f"/tracer/tasks/{mine}")).status_code == 200


async def test_reading_the_queue_is_an_audited_read_of_each_contact_shown(
    client: httpx.AsyncClient, accounts: Accounts, browsers: Browsers, installation: Installation, team: str
) -> None:
    browser = await browsers.signed_in("tracer", name="tracer-a")
    await _report(client, accounts, INDEX, (ANNE, "household"), (BRUNO, "work"))
    with installation.database.read() as session:
        people = set(session.scalars(select(TracingTaskRow.person_ref)))

    await browser.get("/tracer/queue")

    with installation.database.read() as session:
        reads = session.scalars(
            select(AuditEventRow.subject).where(
                AuditEventRow.actor == "tracer-a", AuditEventRow.action == "read",
                AuditEventRow.outcome == "allowed", AuditEventRow.subject.is_not(None),
            )
        ).all()  # fmt: skip
    assert set(reads) == people


async def test_todays_follow_ups_list_the_contacts_who_agreed_to_them(
    client: httpx.AsyncClient,
    accounts: Accounts,
    browsers: Browsers,
    clock: FixedClock,
    platform: Platform,
    team: str,
) -> None:
    browser = await browsers.signed_in("tracer", name="tracer-a")
    await _report(client, accounts, INDEX, (ANNE, "household"), (BRUNO, "household"))
    first, second = _task_ids((await browser.get("/tracer/queue")).text)
    await browser.post(
        f"/tracer/tasks/{first}/outcome", {"result": "reached", "consent": "yes"}, form_of="/tracer/queue"
    )
    await browser.post(
        f"/tracer/tasks/{second}/outcome", {"result": "reached", "consent": "no"}, form_of="/tracer/queue"
    )
    assert "Il ne reste aucun appel de suivi" in (await browser.get("/tracer/follow-ups")).text

    clock.set(datetime.combine(date(2026, 3, 3), clock.now().timetz()))
    platform.run(lambda session: recompute_in(platform, session, date(2026, 3, 3)))
    browser = await browsers.signed_in("tracer", name="tracer-a")
    page = await browser.get("/tracer/follow-ups")

    assert page.status_code == 200
    (follow_up,) = _task_ids(page.text)
    assert "Appels de suivi du mardi 3 mars 2026 : 1 à passer, 0 faits." in page.text
    task = await browser.get(f"/tracer/tasks/{follow_up}")
    assert "Suivi · 3 mars 2026" in task.text
    assert "Ne dites jamais qui" not in task.text, "a follow-up does not tell the exposure again"
    assert (await browser.get("/tracer/queue", show="follow_up")).text.count(follow_up) >= 1
