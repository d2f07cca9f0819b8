"""A tracer's worklist through the services: pages of open tasks most urgent first, today's
follow-ups, one task; for tracers only, and only their own."""

from __future__ import annotations

from datetime import date

import pytest

from serment.access import Actor, Platform, Refused, Request, operator
from serment.access.accounts import add_user
from serment.people import PersonDetails, person_details
from serment.reporting import CaseInput, CaseReport, ContactInput, ExposureInput, report_case
from serment.tracing.tasks import TaskError, TaskNotFound
from serment.tracing.teams import add_team
from serment.tracing.worklist import follow_ups, my_queue, open_task
from tests.people_data import Synthetic, people

TRACER = Request(Actor("tracer-1", "tracer", "Team"), purpose="tracing")
CLINICIAN = Request(Actor("doc-1", "clinician", "Clinic"), purpose="care")
TODAY = date(2026, 3, 2)
INDEX, *CONTACTS = people(6, seed=17)


def _details(person: Synthetic) -> PersonDetails:
    return person_details(
        nir=None, family_name=person.family_name, given_names=person.given_names,
        birth_date=person.birth_date, sex=person.sex, phone=person.phone, today=TODAY,
    )  # fmt: skip


@pytest.fixture
def reported(platform: Platform) -> None:
    """A case with five contacts at home, all called by the one tracer of a team covering everyone."""
    add_team(platform, operator(), "Team", ["*"])
    add_user(platform, operator(), name="tracer-1", role="tracer", organisation="Team")
    exposure = ExposureInput(date(2026, 2, 26), date(2026, 2, 26), "household")
    report = CaseReport(
        person=_details(INDEX),
        case=CaseInput("confirmed", date(2026, 2, 27), asymptomatic=False, hospitalised=False),
        result=None,
        contacts=tuple(ContactInput(_details(p), exposure) for p in CONTACTS),
    )
    report_case(platform, CLINICIAN, report)


@pytest.mark.usefixtures("reported")
def test_a_queue_is_read_a_page_at_a_time_most_urgent_first(platform: Platform) -> None:
    first = my_queue(platform, TRACER, limit=2)
    rest = my_queue(platform, TRACER, limit=2, offset=2)

    assert (first.total, len(first.tasks), len(rest.tasks)) == (5, 2, 2)
    every = my_queue(platform, TRACER).tasks
    assert [t.id for t in every[:4]] == [t.id for t in first.tasks + rest.tasks]
    assert [t.priority for t in every] == sorted((t.priority for t in every), reverse=True)
    assert my_queue(platform, TRACER, show="follow_up").total == 0
    assert follow_ups(platform, TRACER).open.total == 0
    with pytest.raises(TaskError, match="is not a queue"):
        my_queue(platform, TRACER, show="everything")
    with pytest.raises(TaskError, match="a page holds at least one task"):
        my_queue(platform, TRACER, limit=0)


@pytest.mark.usefixtures("reported")
def test_tasks_are_for_their_tracer_only(platform: Platform) -> None:
    (task, *_) = my_queue(platform, TRACER).tasks

    assert open_task(platform, TRACER, task.id).contact == task.contact
    with pytest.raises(TaskNotFound):
        open_task(platform, TRACER, "a" * 26)
    with pytest.raises(Refused):
        my_queue(platform, CLINICIAN)
    other = Request(Actor("tracer-2", "tracer", "Team"), purpose="tracing")
    with pytest.raises(Refused, match="not assigned to tracer-2"):
        open_task(platform, other, task.id)
