"""The clinician's pages: one form reports a case with its contacts (rows added and removed without
JavaScript, nothing typed lost on a problem, each problem by its field, a double submission stored
once), the receipt and the list of the clinician's own reports, and the lookup of their patients,
which finds nobody else's."""

from __future__ import annotations

import html
import re

import httpx
import pytest
from sqlalchemy import func, select

from serment.installation import Installation
from serment.store.tables import AuditEventRow, CaseRow, ExposureRow
from serment.web.pages.i18n import LANGUAGE_COOKIE
from tests.pages import HTML, Browser, Browsers
from tests.people_data import Synthetic, people

pytestmark = pytest.mark.anyio
PATIENT, FIRST, SECOND, OTHER = people(4, seed=606)
KEY = "form-key-0123456789abcdef"


def _form(patient: Synthetic, contacts: list[Synthetic], key: str = KEY) -> dict[str, str]:
    """The fields a clinician fills in: the patient, a confirmed case with a positive PCR, contacts."""
    data = {
        "idempotency_key": key, "contact_rows": str(len(contacts)),
        "person.nir": patient.nir, "person.family_name": patient.family_name,
        "person.given_names": patient.given_names, "person.birth_date": patient.birth_date,
        "person.sex": patient.sex, "person.phone": patient.phone,
        "case.status": "confirmed", "case.onset_date": "2026-03-01", "case.notes": "Hard of hearing.",
        "result.test_type": "rt-pcr", "result.value": "positive", "result.sample_date": "2026-03-01",
        "result.result_date": "2026-03-02",
    }  # fmt: skip
    for row, contact in enumerate(contacts):
        data |= {
            f"contacts.{row}.person.family_name": contact.family_name,
            f"contacts.{row}.person.given_names": contact.given_names,
            f"contacts.{row}.person.birth_date": contact.birth_date,
            f"contacts.{row}.person.sex": contact.sex, f"contacts.{row}.person.phone": contact.phone,
            f"contacts.{row}.exposure.date": "2026-02-28", f"contacts.{row}.exposure.setting": "household",
        }  # fmt: skip
    return data


async def _signed_in(browsers: Browsers, role: str = "clinician", *, name: str | None = None) -> Browser:
    """A browser of `role` reading the pages in English (without a choice, they are in French)."""
    browser = await browsers.signed_in(role, name=name)
    browser.http.cookies.set(LANGUAGE_COOKIE, "en")
    return browser


async def _report(browser: Browser, data: dict[str, str]) -> httpx.Response:
    return await browser.post("/clinic/report", data)


def _value(page: str, name: str) -> str | None:
    """The value a page's field `name` holds (text inputs, selected option, textarea)."""
    text = html.unescape(page)
    found = re.search(
        rf'<input id="f-{re.escape(name)}" name="{re.escape(name)}" type="[a-z]+" value="([^"]*)"', text
    )
    if found:
        return found.group(1)
    select_ = re.search(rf'<select id="f-{re.escape(name)}".*?</select>', text, re.DOTALL)
    if select_:
        chosen = re.search(r'<option value="([^"]*)" selected>', select_.group(0))
        return chosen.group(1) if chosen else ""
    area = re.search(rf'<textarea id="f-{re.escape(name)}"[^>]*>([^<]*)</textarea>', text)
    return area.group(1) if area else None


def _count(installation: Installation, table: type[CaseRow] | type[ExposureRow]) -> int:
    with installation.database.read() as session:
        return session.scalar(select(func.count()).select_from(table)) or 0


async def test_the_form_shows_the_fields_the_policy_lets_a_report_carry(browsers: Browsers) -> None:
    clinician = await _signed_in(browsers)

    page = await clinician.get("/clinic/report")

    assert page.status_code == 200
    for name in (
        "person.nir",
        "person.email",
        "case.notes",
        "contacts.0.person.phone",
        "contacts.0.exposure.setting",
    ):
        assert f'name="{name}"' in page.text
    # fr-2020: a contact carries no NIR, no e-mail and no address.
    for withheld in ("contacts.0.person.nir", "contacts.0.person.email", "contacts.0.person.address.line"):
        assert f'name="{withheld}"' not in page.text
    assert 'href="/clinic/patients"' in page.text  # the navigation of a clinician
    assert 'name="csrf"' in page.text


async def test_a_case_with_two_contacts_is_stored_then_shown_in_the_receipt_and_the_list(
    browsers: Browsers, installation: Installation
) -> None:
    clinician = await _signed_in(browsers)

    sent = await _report(clinician, _form(PATIENT, [FIRST, SECOND]))

    assert sent.status_code == 303
    receipt_path = sent.headers["location"].split("?")[0]
    assert re.fullmatch(r"/clinic/reports/[a-z2-7]{26}", receipt_path)
    assert PATIENT.family_name not in sent.headers["location"]
    assert (_count(installation, CaseRow), _count(installation, ExposureRow)) == (1, 2)
    receipt = await clinician.get(sent.headers["location"])
    assert receipt.status_code == 200
    for shown in (PATIENT.family_name, FIRST.family_name, SECOND.given_names, "The report was stored"):
        assert shown in html.unescape(receipt.text)
    # What was stored, and nothing of the identity the clinician did not type on the receipt.
    assert PATIENT.nir not in receipt.text
    listed = await clinician.get("/clinic/reports")
    assert listed.status_code == 200
    row = re.search(r"<tr>.*?</tr>", listed.text.split("<tbody>")[1], re.DOTALL)
    assert row is not None
    assert PATIENT.family_name in html.unescape(row.group(0))
    assert '<td class="num">2</td>' in row.group(0)
    assert receipt_path in row.group(0)
    with installation.database.read() as session:
        reads = session.scalars(
            select(AuditEventRow).where(
                AuditEventRow.actor == "clinician-web", AuditEventRow.action == "read"
            )
        ).all()
    assert reads, "the names shown were read through the guard, and audited"
    assert {event.purpose for event in reads} == {"care"}


async def test_sending_the_same_form_twice_stores_one_report(
    browsers: Browsers, installation: Installation
) -> None:
    clinician = await _signed_in(browsers)
    data = _form(PATIENT, [FIRST])

    first = await _report(clinician, data)
    again = await _report(clinician, data)

    assert first.status_code == again.status_code == 303
    assert again.headers["location"].split("?")[0] == first.headers["location"].split("?")[0]
    assert again.headers["location"].endswith("?replayed=1")
    assert _count(installation, CaseRow) == 1
    changed = await _report(clinician, {**data, "case.status": "probable"})
    assert changed.status_code == 422
    assert "already sent as another report" in changed.text
    assert _value(changed.text, "case.status") == "probable"
    assert _count(installation, CaseRow) == 1


async def test_an_invalid_report_comes_back_with_every_value_kept_and_each_problem_by_its_field(
    browsers: Browsers, installation: Installation
) -> None:
    clinician = await _signed_in(browsers)
    data = _form(PATIENT, [FIRST, SECOND]) | {
        "person.nir": PATIENT.nir[:-2] + "00",  # a wrong control key
        "contacts.1.person.birth_date": "31/02/1990",  # no such day
        "contacts.0.exposure.setting": "",  # required
    }

    refused = await _report(clinician, data)

    assert refused.status_code == 422
    page = refused.text
    for name, value in data.items():
        if name not in {"idempotency_key", "contact_rows"}:
            assert _value(page, name) == value, name
    assert 'name="idempotency_key" value="form-key-0123456789abcdef"' in page
    errors = _errors(page)
    assert "control key is wrong (it should be" in errors["person.nir"]
    assert "does not exist in the calendar" in errors["contacts.1.person.birth_date"]
    assert errors["contacts.0.exposure.setting"] == "Required."
    assert len(errors) == 3
    assert "3 problems to fix" in page
    assert 'href="#f-person.nir"' in page
    assert 'aria-invalid="true" aria-describedby="e-person.nir"' in page
    assert _count(installation, CaseRow) == 0
    # Once the identities are right, the rules of the report are checked, each by its field too.
    data |= {
        "person.nir": PATIENT.nir, "contacts.1.person.birth_date": SECOND.birth_date,
        "contacts.0.exposure.setting": "work", "case.onset_date": "",
        "contacts.1.exposure.date": "2026-03-09",
    }  # fmt: skip
    again = await _report(clinician, data)
    assert again.status_code == 422
    assert _errors(again.text) == {
        "case.onset_date": "Give the date the symptoms began, or tick “No symptoms”.",
        "contacts.1.exposure.date": "The exposure date is after today.",
    }
    assert _value(again.text, "contacts.0.exposure.setting") == "work"
    assert _count(installation, CaseRow) == 0


def _errors(page: str) -> dict[str, str]:
    """The message next to each field of a page."""
    return dict(re.findall(r'<p class="error" id="e-([^"]+)">([^<]+)</p>', html.unescape(page)))


async def test_rules_of_the_report_are_shown_by_their_field_in_french(
    browsers: Browsers, installation: Installation
) -> None:
    clinician = await browsers.signed_in("clinician")
    clinician.http.cookies.set(LANGUAGE_COOKIE, "fr")
    data = _form(PATIENT, [FIRST, SECOND]) | {"contacts.1.exposure.date": "2026-03-09"}

    refused = await _report(clinician, data)

    assert refused.status_code == 422
    # French typography: apostrophes are U+2019.
    assert _errors(refused.text) == {
        "contacts.1.exposure.date": "La date d\u2019exposition est apr\u00e8s aujourd\u2019hui."
    }
    assert "Contact 2 \u00b7 Date d\u2019exposition" in html.unescape(refused.text)
    assert _count(installation, CaseRow) == 0


async def test_contact_rows_are_added_and_removed_without_javascript_and_nothing_typed_is_lost(
    browsers: Browsers, installation: Installation
) -> None:
    clinician = await _signed_in(browsers)
    data = _form(PATIENT, [FIRST, SECOND])

    added = await _report(clinician, data | {"add_contact": "1"})

    assert added.status_code == 200
    assert 'name="contact_rows" value="3"' in added.text
    assert _value(added.text, "contacts.2.person.family_name") == ""
    new_row = re.search(r'<input id="f-contacts\.2\.person\.family_name"[^>]*>', added.text)
    assert new_row is not None
    assert new_row.group(0).endswith(" autofocus>")  # the keyboard lands on the new row
    for name, value in data.items():
        if name.startswith(("person.", "case.", "result.", "contacts.")):
            assert _value(added.text, name) == value, name

    removed = await _report(clinician, data | {"remove_contact": "0"})

    assert removed.status_code == 200
    assert 'name="contact_rows" value="1"' in removed.text
    assert _value(removed.text, "contacts.0.person.family_name") == SECOND.family_name
    assert _value(removed.text, "contacts.1.person.family_name") is None
    assert _value(removed.text, "person.family_name") == PATIENT.family_name
    assert _count(installation, CaseRow) == 0
    # A row left blank is not sent: the report goes with the contacts filled in.
    blank = data | {"contact_rows": "3"}
    assert (await _report(clinician, blank)).status_code == 303
    assert _count(installation, ExposureRow) == 2


async def test_a_form_posted_without_its_csrf_token_stores_nothing(
    browsers: Browsers, installation: Installation
) -> None:
    clinician = await _signed_in(browsers)

    refused = await clinician.http.post("/clinic/report", data=_form(PATIENT, [FIRST]), headers=HTML)

    assert refused.status_code == 403
    assert _count(installation, CaseRow) == 0


async def test_a_clinician_finds_their_patient_and_nobody_elses(
    browsers: Browsers, installation: Installation
) -> None:
    mine = await _signed_in(browsers)
    other = await _signed_in(browsers, name="clinician-other")
    sent = await _report(mine, _form(PATIENT, [FIRST]))
    assert sent.status_code == 303
    day, month, year = reversed(PATIENT.birth_date.split("-"))

    by_nir = await _look_up(mine, PATIENT.nir)
    by_name = await _look_up(mine, f"{PATIENT.family_name.upper()} {day}/{month}/{year}")
    by_contact = await _look_up(mine, f"{FIRST.family_name} {FIRST.birth_date}")

    # One patient found: their record, at an address holding their ref, never what was typed.
    assert by_nir.status_code == by_name.status_code == 303
    record = by_nir.headers["location"]
    assert re.fullmatch(r"/clinic/patients/[a-z2-7]{26}", record)
    assert by_name.headers["location"] == record
    assert by_contact.status_code == 200
    assert "None of your patients matches" in by_contact.text  # a contact named is not a patient
    summary = await mine.get(record)
    assert summary.status_code == 200
    for shown in (PATIENT.nir, PATIENT.phone, "Hard of hearing.", "Confirmed", "Positive"):
        assert shown in html.unescape(summary.text)
    assert "As the tiers stood on" in summary.text

    theirs = await _look_up(other, PATIENT.nir)
    opened = await other.get(record)

    assert theirs.status_code == 200
    assert "None of your patients matches" in theirs.text
    assert PATIENT.family_name not in theirs.text
    assert opened.status_code == 404
    assert PATIENT.family_name not in opened.text
    with installation.database.read() as session:
        events = session.scalars(select(AuditEventRow).where(AuditEventRow.actor == "clinician-other")).all()
    assert [(event.action, event.outcome) for event in events if event.subject] == [("read", "refused")]


async def test_the_lookup_is_posted_and_one_that_is_neither_a_nir_nor_a_name_and_date_is_explained(
    browsers: Browsers,
) -> None:
    clinician = await _signed_in(browsers)

    form = await clinician.get("/clinic/patients")
    vague = await _look_up(clinician, "Durand")
    bad_key = await _look_up(clinician, PATIENT.nir[:-2] + "00")
    without_token = await clinician.http.post("/clinic/patients", data={"q": PATIENT.nir}, headers=HTML)

    assert 'method="post" action="/clinic/patients"' in form.text
    assert vague.status_code == bad_key.status_code == 422
    assert 'value="Durand"' in vague.text
    assert "Type a NIR, or a family name and a birth date" in vague.text
    assert "control key is wrong" in bad_key.text
    assert without_token.status_code == 403


async def _look_up(browser: Browser, query: str) -> httpx.Response:
    return await browser.post("/clinic/patients", {"q": query})


async def test_a_laboratory_that_reports_a_case_sees_refs_not_names(browsers: Browsers) -> None:
    lab = await _signed_in(browsers, "lab")

    sent = await _report(lab, _form(PATIENT, [FIRST]))
    receipt = await lab.get(sent.headers["location"])

    assert sent.status_code == 303
    assert receipt.status_code == 200
    assert PATIENT.family_name not in receipt.text
    assert FIRST.family_name not in receipt.text
    assert (await lab.get("/clinic/reports")).status_code == 403
    assert 'href="/clinic/report"' not in (await lab.get("/lab/imports")).text
