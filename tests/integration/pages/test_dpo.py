"""The data-protection officer's pages: the audit log searched by every filter and paged, each search
itself audited; the chain verified, and a tampered chain reported on the page; oppositions registered
and withdrawn on someone's behalf; the unusual-access report putting a curious user first; one
person's access history. No page shows a name or a NIR."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlalchemy import select, update

from serment.access import Actor
from serment.audit import append
from serment.installation import Installation
from serment.store.tables import AuditEventRow, OppositionRow
from tests.conftest import Accounts
from tests.integration.pages.oversight_data import (
    ANNE,
    CLARA,
    EVERYONE,
    identifiers,
    register,
    report,
    text_of,
)
from tests.pages import Browsers

pytestmark = pytest.mark.anyio
SEQ = re.compile(r'<td class="num">(\d+)</td>')
NEXT = re.compile(r'<a href="([^"]+)" rel="next">')
SUBJECT = "abcdefghijklmnopqrstuvwxyz"
OTHER = "zyxwvutsrqponmlkjihgfedcba"


def _seqs(html: str) -> list[int]:
    return [int(number) for number in SEQ.findall(html)]


def _next(html: str) -> str | None:
    """The pager's link to the next page, as the browser would follow it."""
    found = NEXT.search(html)
    return found.group(1).replace("&amp;", "&") if found else None


def _fill_log(installation: Installation) -> dict[int, dict[str, object]]:
    """120 events of two actors, over five days, with every filter's column varied; by seq."""
    made: dict[int, dict[str, object]] = {}
    alpha = Actor(name="alpha", role="clinician", organisation="CHU")
    beta = Actor(name="beta", role="tracer", organisation="ARS")
    start = datetime(2026, 2, 20, 10, 0, tzinfo=UTC)
    with installation.database.write() as session:
        for number in range(120):
            actor = alpha if number % 2 else beta
            fields = {
                "purpose": "care" if actor is alpha else "tracing",
                "subject": SUBJECT if number % 3 == 0 else OTHER,
                "action": "read" if number % 4 else "update",
                "outcome": "refused" if number % 10 == 0 else "allowed",
            }
            at = start + timedelta(hours=number)
            entry = actor.entry(str(fields["action"]), fields["outcome"], purpose=str(fields["purpose"]),  # type: ignore[arg-type]
                                subject=str(fields["subject"]))  # fmt: skip
            event = append(session, entry, at)
            made[event.seq] = {**fields, "actor": actor.name, "at": at}
    return made


async def test_each_filter_of_the_audit_search_works_and_pages_of_fifty_follow(
    browsers: Browsers, installation: Installation
) -> None:
    made = _fill_log(installation)
    dpo = await browsers.signed_in("dpo")

    everything = await dpo.get("/dpo/audit")
    assert everything.status_code == 200
    first = _seqs(everything.text)
    assert len(first) == 50
    assert first == sorted(first, reverse=True), "newest first"
    assert 'rel="next"' in everything.text
    following = _next(everything.text)
    assert following is not None
    second = _seqs((await dpo.get(following)).text)
    assert len(second) == 50
    assert max(second) < min(first), "pages never overlap, though each search adds an event to the log"

    # The filter, its value, and the column of the log it must match.
    checks = {
        "actor": ("alpha", "actor"), "person": (SUBJECT, "subject"), "purpose": ("tracing", "purpose"),
        "action": ("update", "action"), "outcome": ("refused", "outcome"),
    }  # fmt: skip
    for name, (value, column) in checks.items():
        expected = sorted((seq for seq, event in made.items() if event[column] == value), reverse=True)
        answer = await dpo.get("/dpo/audit", **{name: value})
        assert answer.status_code == 200, (name, answer.text[:300])
        assert f'value="{value}"' in answer.text
        shown = _seqs(answer.text)
        following = _next(answer.text)
        if following is not None:
            shown += _seqs((await dpo.get(following)).text)
        assert shown == expected, name

    dated = await dpo.get("/dpo/audit", **{"from": "2026-02-21", "to": "2026-02-21", "actor": "beta"})
    in_day = sorted(
        (seq for seq, event in made.items() if event["actor"] == "beta"
         and datetime(2026, 2, 20, 23, tzinfo=UTC) <= event["at"] < datetime(2026, 2, 21, 23, tzinfo=UTC)),  # type: ignore[operator]
        reverse=True,
    )  # fmt: skip
    assert _seqs(dated.text) == in_day, "a day runs from midnight to midnight in Paris (UTC+1 in February)"
    assert 'href="/dpo/audit?actor=beta&amp;from=2026-02-21&amp;to=2026-02-21&amp;page=2"' not in dated.text


async def test_every_search_is_audited_naming_the_person_searched_for(
    browsers: Browsers, installation: Installation
) -> None:
    dpo = await browsers.signed_in("dpo")
    await dpo.get("/dpo/audit", person=SUBJECT)
    with installation.database.read() as session:
        searches = session.scalars(
            select(AuditEventRow).where(AuditEventRow.actor == "dpo-web", AuditEventRow.action == "audit")
        ).all()
    assert [(event.subject, event.purpose, event.outcome) for event in searches] == [
        (SUBJECT, "audit", "allowed")
    ]


async def test_a_search_with_bad_values_comes_back_with_every_value_kept_and_each_problem_explained(
    browsers: Browsers,
) -> None:
    dpo = await browsers.signed_in("dpo")
    answer = await dpo.get(
        "/dpo/audit", actor="alpha", person="Not-A-Ref", purpose="insurance", outcome="maybe",
        **{"from": "2026-13-01", "to": "yesterday"},
    )  # fmt: skip
    assert answer.status_code == 422
    page = answer.text
    for kept in ('value="alpha"', 'value="Not-A-Ref"', 'value="2026-13-01"', 'value="yesterday"'):
        assert kept in page
    assert 'role="alert"' in page
    assert page.count('class="error"') == 5
    assert "26 caract" in page  # French by default: the ref's shape is explained
    reversed_period = await dpo.get("/dpo/audit", **{"from": "2026-03-02", "to": "2026-03-01"})
    assert reversed_period.status_code == 422


async def test_the_verification_page_reports_an_intact_chain_then_the_first_tampered_event(
    browsers: Browsers, installation: Installation
) -> None:
    dpo = await browsers.signed_in("dpo")
    never = await dpo.get("/dpo/verify")
    assert never.status_code == 200
    assert "pas encore" in never.text

    verified = await dpo.post("/dpo/verify", {})
    assert verified.status_code == 303
    assert verified.headers["location"] == "/dpo/verify"
    intact = text_of((await dpo.get("/dpo/verify")).text)
    assert "La chaîne est intacte." in intact
    assert "Temps mis" in intact

    with installation.database.write() as session:
        session.execute(update(AuditEventRow).where(AuditEventRow.seq == 2).values(actor="mallory"))
    await dpo.post("/dpo/verify", {})
    broken = await dpo.get("/dpo/verify")
    assert "La chaîne est rompue à l\u2019événement 2." in text_of(broken.text)
    assert 'role="alert"' in broken.text


async def test_the_officer_registers_and_withdraws_an_opposition_for_someone_and_both_are_audited(
    browsers: Browsers, client: httpx.AsyncClient, accounts: Accounts, installation: Installation
) -> None:
    ref = await register(client, accounts, ANNE)
    dpo = await browsers.signed_in("dpo")

    registered = await dpo.post(
        "/dpo/oppositions", {"person": ref, "purpose": "research", "channel": "phone"}
    )
    assert registered.status_code == 303
    listed = await dpo.get(registered.headers["location"])
    assert "L\u2019opposition est enregistrée." in listed.text
    assert ref in listed.text
    assert "Téléphone" in listed.text
    again = await dpo.post("/dpo/oppositions", {"person": ref, "purpose": "research", "channel": "mail"})
    assert "done=already" in again.headers["location"]

    withdrawn = await dpo.post("/dpo/oppositions/withdraw", {"person": ref, "purpose": "research"},
                               form_of="/dpo/oppositions")  # fmt: skip
    assert withdrawn.status_code == 303
    active = await dpo.get("/dpo/oppositions", state="active")
    assert ref not in active.text
    with installation.database.read() as session:
        row = session.scalars(select(OppositionRow)).one()
        assert (row.channel, row.registered_by, row.withdrawn_by) == ("phone", "dpo-web", "dpo-web")
        actions = session.scalars(
            select(AuditEventRow.action).where(AuditEventRow.subject == ref, AuditEventRow.actor == "dpo-web")
        ).all()
    assert {"opposition_registered", "opposition_withdrawn"} <= set(actions)


async def test_a_bad_opposition_form_keeps_what_was_typed_and_says_what_is_wrong(
    browsers: Browsers, installation: Installation
) -> None:
    dpo = await browsers.signed_in("dpo")
    bad = await dpo.post("/dpo/oppositions", {"person": "nobody", "purpose": "care", "channel": ""})
    assert bad.status_code == 422
    assert 'value="nobody"' in bad.text
    assert '<option value="care"' not in bad.text, "care cannot be opposed: it is not offered"
    assert bad.text.count('class="error"') == 3
    unknown = await dpo.post(
        "/dpo/oppositions", {"person": SUBJECT, "purpose": "research", "channel": "mail"}
    )
    assert unknown.status_code == 422
    assert "Aucune personne n\u2019a cette référence." in unknown.text
    assert f'value="{SUBJECT}"' in unknown.text
    assert '<option value="mail" selected>' in unknown.text
    with installation.database.read() as session:
        assert session.scalars(select(OppositionRow)).all() == []


async def test_the_unusual_access_report_puts_the_user_who_read_more_than_their_work_explains_first(
    browsers: Browsers, client: httpx.AsyncClient, accounts: Accounts
) -> None:
    reported = await report(client, accounts, clinician="dutiful")
    dutiful = accounts.headers("clinician", name="dutiful")
    for ref in (reported.index, *reported.contacts):
        assert (await client.get(f"/api/v1/people/{ref}", headers=dutiful)).status_code == 200
    curious = accounts.headers("clinician", name="curious")
    strangers = [await register(client, accounts, person) for person in (CLARA,)] + reported.contacts
    for ref in (reported.index, *strangers):
        assert (await client.get(f"/api/v1/people/{ref}", headers=curious)).status_code == 200
    epidemiologist = accounts.headers("epidemiologist", name="epi")
    assert (await client.get(f"/api/v1/people/{reported.index}", headers=epidemiologist)).status_code == 403

    dpo = await browsers.signed_in("dpo")
    answer = await dpo.get("/dpo/unusual")
    assert answer.status_code == 200
    rows = re.findall(r'<tr>\s*<td><a href="/dpo/audit\?actor=([^&]+)&amp;[^"]*">[^<]*</a></td>(.*?)</tr>',
                      answer.text, re.S)  # fmt: skip
    assert rows[0][0] == "curious"
    numbers = [int(n) for n in re.findall(r'<td class="num">(?:<strong[^>]*>)?(\d+)', rows[0][1])]
    assert numbers[:3] == [4, 0, 4], "four people read, none reported by them"
    dutiful_row = next(cells for actor, cells in rows if actor == "dutiful")
    assert [int(n) for n in re.findall(r'<td class="num">(?:<strong[^>]*>)?(\d+)', dutiful_row)][:3] == [
        3,
        3,
        0,
    ]
    epi_row = next(cells for actor, cells in rows if actor == "epi")
    assert [int(n) for n in re.findall(r'<td class="num">(?:<strong[^>]*>)?(\d+)', epi_row)][3] == 1, (
        "refusal"
    )
    assert "Expliquées" in answer.text
    bad = await dpo.get("/dpo/unusual", **{"from": "2025-01-01", "to": "2026-03-02"})
    assert bad.status_code == 422
    assert 'value="2025-01-01"' in bad.text


async def test_a_persons_access_history_shows_the_clinicians_read_and_no_page_shows_an_identity(
    browsers: Browsers, client: httpx.AsyncClient, accounts: Accounts
) -> None:
    reported = await report(client, accounts)
    await client.get(f"/api/v1/people/{reported.index}", headers=accounts.headers("clinician"))
    dpo = await browsers.signed_in("dpo")
    await dpo.post(
        "/dpo/oppositions", {"person": reported.index, "purpose": "research", "channel": "in_person"}
    )
    await dpo.post("/dpo/verify", {})

    history = await dpo.get(f"/dpo/people/{reported.index}/accesses")
    assert history.status_code == 200
    shown = text_of(history.text)
    assert "clinician-1" in shown
    assert "A lu l\u2019identité" in shown
    pages = [
        history,
        await dpo.get("/dpo/audit"),
        await dpo.get("/dpo/audit", person=reported.index),
        await dpo.get("/dpo/verify"),
        await dpo.get("/dpo/oppositions"),
        await dpo.get("/dpo/unusual"),
        *[await dpo.get(f"/dpo/people/{ref}/accesses") for ref in reported.contacts],
    ]
    for page in pages:
        assert page.status_code == 200
        for secret in identifiers(*EVERYONE):
            assert secret not in page.text
    unknown = await dpo.get("/dpo/people/not-a-ref/accesses")
    assert unknown.status_code == 404
