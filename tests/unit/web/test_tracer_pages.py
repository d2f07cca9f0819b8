"""The tracer's pages without a server: the script's sentences are all in the catalogues, every
problem the services can find about an outcome is said in French and placed at its field, and the
outcome form keeps what was typed while rows come and go."""

from __future__ import annotations

from datetime import date

import pytest

from serment.people import person_details
from serment.reporting import ContactInput, ExposureInput
from serment.reporting.rules import check_contacts
from serment.secrecy import IdentityError, IdentityErrors
from serment.tracing import scripts
from serment.tracing.outcomes import OutcomeInput, outcome_problems
from serment.web.pages.i18n import translations
from serment.web.pages.tracer import wording
from serment.web.pages.tracer.outcome import WORDING, OutcomeForm, explain, field_of

TODAY = date(2026, 3, 2)
FRENCH = translations("fr").gettext


def _contact(family_name: str = "Vasseur", day: date = date(2026, 2, 28)) -> ContactInput:
    person = person_details(
        nir=None, family_name=family_name, given_names="Noémie", birth_date="1990-04-01", sex="F",
        phone="+33611111111", today=TODAY,
    )  # fmt: skip
    return ContactInput(person, ExposureInput(day, day, "venue"))


def test_the_pages_list_every_sentence_and_word_of_the_call_script() -> None:
    assert set(wording.SCRIPT_TEXTS) == set(scripts.TEXTS)
    assert set(wording.SCRIPT_WORDS) == set(scripts.WORDS)


def test_a_script_is_said_in_french_with_french_dates() -> None:
    plan = scripts.Plan("home", date(2026, 3, 5), (date(2026, 2, 26), date(2026, 3, 5)))
    steps = scripts.script_steps("call", exposure_date=date(2026, 2, 26), setting="household", plan=plan)

    said = wording.localised_script(steps, translations("fr"), "fr")

    assert not said.untranslated
    assert "personne infectée le 26 février 2026 au domicile" in said.steps[1]
    assert "quarantaine à domicile jusqu\u2019au 5 mars 2026" in said.steps[2]
    assert "26 février 2026, 5 mars 2026" in said.steps[3]
    english = wording.localised_script(steps, translations("en"), "en")
    assert english.steps[1].startswith("Tell them they were in contact with someone who has the infection on")


def test_a_sentence_without_translation_is_shown_in_english_and_said_so() -> None:
    steps = (scripts.Step("Say something new about %(date)s.", {"date": date(2026, 3, 1)}),)

    said = wording.localised_script(steps, translations("fr"), "fr")

    assert said.steps == ("Say something new about 1 mars 2026.",)
    assert said.untranslated


def _service_messages() -> list[str]:
    """A message of every kind the services give about an outcome and its contacts."""
    bad = [
        OutcomeInput("hung_up"),
        OutcomeInput("reached", ("fever", "sneezing")),
        OutcomeInput("reached", ("fever", "fever")),
        OutcomeInput("reached", (), date(2026, 3, 1)),
        OutcomeInput("reached", ("cough",), date(2026, 3, 3)),
        OutcomeInput("no_answer", ("cough",)),
        OutcomeInput("reached", notes="x" * 1001),
        OutcomeInput("reached", contacts=(_contact(), _contact())),
        OutcomeInput("reached", contacts=(_contact(day=date(2026, 3, 9)),)),
    ]
    messages = [message for outcome in bad for _, message in outcome_problems(outcome, TODAY)]
    messages += [message for _, message in check_contacts(_contact().person, [_contact()], TODAY)]
    for family, given, birth, sex, phone in (
        ("", "", "1990-02-30", "Q", "12"), ("Du3", "Léa", "2027-01-01", "F", None),
        ("Du", "Léa", "1790-01-01", "F", None), ("Du", "Léa", "01/02/1990", "F", None),
    ):  # fmt: skip
        with pytest.raises((IdentityError, IdentityErrors)) as caught:
            person_details(
                nir=None, family_name=family, given_names=given, birth_date=birth, sex=sex, phone=phone,
                today=TODAY,
            )  # fmt: skip
        messages += [problem.message for problem in caught.value.errors]
    messages.append("say whether the contact agrees to a daily follow-up call")  # record_outcome's
    return messages


def test_every_problem_the_services_find_is_said_in_french() -> None:
    unexplained = [message for message in _service_messages() if explain(message, FRENCH) == message]

    assert unexplained == []
    assert explain("the same person as contacts.0", FRENCH) == "La même personne que le contact 1."
    assert explain("the family name holds '3', which is not a letter; use …", FRENCH).startswith("« 3 »")
    assert all(FRENCH(msgid) != msgid for _, msgid in WORDING)


@pytest.mark.parametrize(
    ("location", "field"),
    [
        ("result", "result"), ("symptoms.1", "symptoms"), ("onset_date", "onset_date"),
        ("contacts", "contacts"), ("contacts.2.person.phone", "contact-2-phone"),
        ("contacts.0.person", "contact-0"), ("contacts.1.person.email", "contact-1"),
        ("contacts.0.exposure.date_from", "contact-0-exposure_date"),
        ("contacts.3.exposure.setting", "contact-3-setting"), ("contacts.0", "contact-0"),
    ],
)  # fmt: skip
def test_each_problem_is_placed_at_its_field(location: str, field: str) -> None:
    assert field_of(location) == field


def test_rows_come_and_go_and_everything_typed_stays() -> None:
    sent = {
        "result": "reached", "onset_date": " 2026-03-01 ", "notes": "Appeler le soir",
        "contact-1-family_name": "Martin", "contact-0-family_name": "Vasseur", "contact-0-setting": "work",
        "contact-99-family_name": "Too far", "contact-0-nir": "not a field of the form",
    }  # fmt: skip
    form = OutcomeForm.read(sent, ["fever"])

    assert form.rows == [{"family_name": "Vasseur", "setting": "work"}, {"family_name": "Martin"}]
    assert (form.result, form.symptoms, form.onset_date, form.notes) == (
        "reached", ("fever",), "2026-03-01", "Appeler le soir",
    )  # fmt: skip
    added = form.edited("add")
    assert added is not None
    assert len(added.rows) == 3
    removed = added.edited("remove:0")
    assert removed is not None
    assert removed.rows == [{"family_name": "Martin"}, {}]
    assert removed.edited("record") is None


def test_an_outcome_read_from_the_form_names_what_it_could_not_read() -> None:
    form = OutcomeForm(result="", onset_date="1 mars", consent="yes", rows=[{}, {"family_name": "Martin"}])

    outcome, problems = form.outcome(TODAY)

    assert (outcome.consent, outcome.onset_date, outcome.contacts) == (True, None, ())
    assert [location for location, _ in problems] == [
        "result", "onset_date", "contacts.0", "contacts.1.person.given_names",
        "contacts.1.person.birth_date", "contacts.1.person.sex", "contacts.1.exposure.date",
        "contacts.1.exposure.setting",
    ]  # fmt: skip
