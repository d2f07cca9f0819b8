"""What a call's outcome may say, checked before anything is stored: each problem named by its field.
And the call script, which tells the tracer what to say without ever naming the index case."""

from __future__ import annotations

from datetime import date
from typing import get_args

import pytest

from serment.people import person_details
from serment.reporting import ContactInput, ExposureInput
from serment.store.tables import TracingTaskRow
from serment.tracing.outcomes import RESULTS, OutcomeInput, outcome_problems
from serment.tracing.scripts import SYMPTOMS, Plan, call_script
from serment.tracing.tasks import KINDS, STATUSES
from serment.web.api import tasks as api

TODAY = date(2026, 3, 2)
NEIGHBOUR = ContactInput(
    person_details(
        nir=None, family_name="Vasseur", given_names="Noémie", birth_date="1990-04-01", sex="F",
        phone="+33611111111", today=TODAY,
    ),
    ExposureInput(date(2026, 2, 28), date(2026, 2, 28), "venue"),
)  # fmt: skip


@pytest.mark.parametrize(
    ("outcome", "problems"),
    [
        (OutcomeInput("reached", ("fever", "cough"), date(2026, 3, 1), (NEIGHBOUR,), True, "At 6."), []),
        (OutcomeInput("no_answer"), []),
        (OutcomeInput("refused"), []),
        (OutcomeInput("hung_up"), [("result", "must be one of reached, no_answer, refused, wrong_number")]),
        (OutcomeInput("reached", ("fever", "sneezing")), [("symptoms.1", "must be one of")]),
        (OutcomeInput("reached", ("fever", "fever")), [("symptoms.1", "fever is listed twice")]),
        (OutcomeInput("reached", (), date(2026, 3, 1)), [("onset_date", "give the symptoms")]),
        (OutcomeInput("reached", ("cough",), date(2026, 3, 3)), [("onset_date", "is in the future")]),
        (OutcomeInput("no_answer", ("cough",), None, (NEIGHBOUR,), False),
         [("symptoms", "only a contact who was reached"), ("contacts", "only a contact who was reached"),
          ("consent", "only a contact who was reached")]),
        (OutcomeInput("reached", notes="x" * 1001), [("notes", "at most 1,000 characters")]),
        (OutcomeInput("reached", contacts=(NEIGHBOUR, NEIGHBOUR)), [("contacts.1.person", "the same")]),
    ],
)  # fmt: skip
def test_outcome_problems(outcome: OutcomeInput, problems: list[tuple[str, str]]) -> None:
    found = outcome_problems(outcome, TODAY)
    assert [where for where, _ in found] == [where for where, _ in problems]
    for (_, message), (_, expected) in zip(found, problems, strict=True):
        assert expected in message


def test_a_first_call_tells_the_date_and_setting_and_the_quarantine_never_who() -> None:
    plan = Plan("home", date(2026, 3, 5), (date(2026, 2, 26), date(2026, 3, 5)))
    script = call_script("call", exposure_date=date(2026, 2, 26), setting="household", plan=plan)
    text = "\n".join(script)
    assert "on 2026-02-26 at home" in text
    assert "Never say who" in text
    assert "quarantined at home until 2026-03-05" in text
    assert "Tests are due on 2026-02-26, 2026-03-05" in text
    assert "daily" in text or "every day" in text
    follow_up = call_script("follow_up", exposure_date=date(2026, 2, 26), setting="household", plan=plan)
    assert "Never say who" not in "\n".join(follow_up), "a follow-up does not tell the exposure again"
    lost = call_script("follow_up", exposure_date=None, setting=None, plan=None, lost=True)
    assert any("missed their last two" in step for step in lost)


def test_the_api_offers_exactly_the_statuses_results_and_symptoms_the_service_knows() -> None:
    assert get_args(api.Status) == STATUSES
    assert get_args(api.Symptom) == SYMPTOMS
    assert get_args(api.OutcomeIn.model_fields["result"].annotation) == RESULTS


def test_every_kind_and_status_fits_its_column() -> None:
    # SQLite stores a longer value silently; PostgreSQL refuses it, failing the whole report.
    for column, values in ((TracingTaskRow.kind, KINDS), (TracingTaskRow.status, STATUSES)):
        length = column.type.length  # type: ignore[attr-defined]
        assert max(len(value) for value in values) <= length, column
