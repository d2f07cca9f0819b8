"""The tracer's pages (purpose tracing): my queue, today's follow-ups, and a task with its call
script and outcome form. A tracer reaches only the people of their own tasks; the index case, whom
the contact was exposed to, is named nowhere.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Literal, TypeVar

from fastapi import Depends, HTTPException, Path, Query, Request
from fastapi.responses import RedirectResponse, Response

from serment.reporting import ReportInvalid
from serment.reporting.minimisation import contact_problems
from serment.reporting.rules import SETTINGS
from serment.tracing.outcomes import RESULTS, outcome_problems, record_outcome
from serment.tracing.queues import TaskView
from serment.tracing.scripts import SYMPTOMS
from serment.tracing.tasks import TaskError
from serment.tracing.worklist import Worklist, follow_ups, my_queue, open_task
from serment.web.pages import nav
from serment.web.pages.i18n import N_, negotiate, translations
from serment.web.pages.templating import render
from serment.web.pages.tracer import wording
from serment.web.pages.tracer.outcome import (
    PERSON_FIELDS,
    RECORD,
    REQUIRED_PERSON_FIELDS,
    OutcomeForm,
    Problem,
    explain,
    field_of,
)
from serment.web.pages.viewer import CurrentViewer, Pages, Viewer, installation_of

router = Pages()
T = TypeVar("T")
PURPOSE = "tracing"
PAGE_SIZE = 50
QUEUE = "/tracer/queue"
FOLLOW_UPS = "/tracer/follow-ups"
nav.declare(
    nav.NavItem(QUEUE, N_("My queue"), PURPOSE, "read", order=10),
    nav.NavItem(FOLLOW_UPS, N_("Today's follow-ups"), PURPOSE, "read", order=11),
)
Show = Literal["open", "call", "follow_up"]
PageNumber = Annotated[int, Query(ge=1, le=100_000)]
TaskId = Annotated[str, Path(min_length=1, max_length=32)]
# What the queue says after an outcome, by the task's status then.
RECORDED = {
    "to_call": N_("No answer recorded: the call stays in your queue and is due again in a few hours."),
    "unreachable": N_("No answer recorded: that was the last attempt, the contact is marked unreachable."),
    "reached": N_("Outcome recorded: the contact was reached."),
    "refused": N_("Outcome recorded: the contact refused the call."),
    "wrong_number": N_("Outcome recorded: wrong number."),
}
TITLES = (N_("My queue"), N_("Today's follow-ups"), N_("Task"))


@router.page(QUEUE, purpose=PURPOSE, action="read")
def queue(
    request: Request,
    viewer: CurrentViewer,
    show: Show = "open",
    page: PageNumber = 1,
    recorded: Annotated[str | None, Query(max_length=16)] = None,
) -> Response:
    """My open tasks, the most urgent first, a page at a time."""
    platform = installation_of(request).platform
    found = _answer(
        lambda: my_queue(
            platform, viewer.request(), show=show, limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE
        )
    )
    context = {
        "title": "My queue", "worklist": found, "page": page, "has_next": _has_next(found, page),
        "show": show, "shows": wording.SHOW_LABELS, "recorded": RECORDED.get(recorded or ""),
        "base": f"{QUEUE}?show={show}", **_labels(),
    }  # fmt: skip
    return render(request, "tracer/queue.html", context)


@router.page(FOLLOW_UPS, purpose=PURPOSE, action="read")
def follow_up_list(request: Request, viewer: CurrentViewer, page: PageNumber = 1) -> Response:
    """Today's follow-up calls still to make, and how many are done."""
    platform = installation_of(request).platform
    found = _answer(
        lambda: follow_ups(platform, viewer.request(), limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE)
    )
    context = {
        "title": "Today's follow-ups", "day": found.day, "done": found.done, "worklist": found.open,
        "page": page, "has_next": _has_next(found.open, page), "base": FOLLOW_UPS, **_labels(),
    }  # fmt: skip
    return render(request, "tracer/follow_ups.html", context)


@router.page("/tracer/tasks/{task_id}", purpose=PURPOSE, action="read")
def task_page(request: Request, viewer: CurrentViewer, task_id: TaskId) -> Response:
    """A task: the contact to call, the exposure, the quarantine plan, the script, the outcome form."""
    view = _task(request, viewer, task_id)
    return _render_task(request, view, OutcomeForm(), [])


async def _fields(request: Request) -> dict[str, str | list[str]]:
    form = await request.form()
    fields: dict[str, str | list[str]] = {key: value for key, value in form.items() if isinstance(value, str)}
    fields["symptoms"] = [value for value in form.getlist("symptoms") if isinstance(value, str)]
    return fields


@router.page("/tracer/tasks/{task_id}/outcome", purpose=PURPOSE, action="update", methods=("POST",))
def outcome_submit(
    request: Request,
    viewer: CurrentViewer,
    task_id: TaskId,
    fields: Annotated[dict[str, str | list[str]], Depends(_fields)],
) -> Response:
    """Record the call's outcome and go back to the queue; or show the form again, as typed, with
    what to fix (422), or with a contact row more or less."""
    symptoms = fields.pop("symptoms", [])
    typed = {key: value for key, value in fields.items() if isinstance(value, str)}
    form = OutcomeForm.read(typed, symptoms if isinstance(symptoms, list) else [])
    edited = form.edited(typed.get("action", RECORD))
    if edited is not None:
        return _render_task(request, _task(request, viewer, task_id), edited, [])
    platform = installation_of(request).platform
    today = platform.clock.now().date()
    outcome, problems = form.outcome(today)
    if problems:
        placed = {location for location, _ in problems}
        more = outcome_problems(outcome, today) + contact_problems(platform.policy, outcome.contacts)
        problems += [(location, message) for location, message in more if location not in placed]
    else:
        try:
            receipt = record_outcome(platform, viewer.request(), task_id, outcome)
        except ReportInvalid as invalid:
            problems = list(invalid.problems)
        except TaskError as error:
            raise HTTPException(error.status, str(error)) from None
        else:
            return RedirectResponse(f"{QUEUE}?recorded={receipt.status}", status_code=303)
    return _render_task(request, _task(request, viewer, task_id), form, problems, status=422)


def _task(request: Request, viewer: Viewer, task_id: str) -> TaskView:
    platform = installation_of(request).platform
    return _answer(lambda: open_task(platform, viewer.request(), task_id))


def _render_task(
    request: Request, view: TaskView, form: OutcomeForm, problems: list[Problem], status: int = 200
) -> Response:
    locale = negotiate(request)
    gettext = translations(locale).gettext
    errors: dict[str, list[str]] = {}
    summary = []
    for location, message in problems:
        said = explain(message, gettext)
        errors.setdefault(field_of(location), []).append(said)
        summary.append(said)
    platform = installation_of(request).platform
    offered = platform.policy.may_carry("contact", "person")
    script = wording.localised_script(view.steps, translations(locale), locale)
    context = {
        "title": "Task", "task": view, "script": script, "form": form, "errors": errors, "summary": summary,
        "results": RESULTS, "symptoms": SYMPTOMS,
        "settings": SETTINGS, "sexes": tuple(wording.SEX_LABELS),
        "person_fields": [f for f in PERSON_FIELDS if f in REQUIRED_PERSON_FIELDS or f in offered],
        "now": platform.clock.now(), **_labels(),
    }  # fmt: skip
    return render(request, "tracer/task.html", context, status=status)


def _labels() -> dict[str, object]:
    return {
        "kinds": wording.KIND_LABELS, "statuses": wording.STATUS_LABELS,
        "setting_labels": wording.SETTING_LABELS, "symptom_labels": wording.SYMPTOM_LABELS,
        "places": wording.PLACE_LABELS, "sex_labels": wording.SEX_LABELS,
    }  # fmt: skip


def _has_next(found: Worklist, page: int) -> bool:
    return (page - 1) * PAGE_SIZE + len(found.tasks) < found.total


def _answer(call: Callable[[], T]) -> T:
    try:
        return call()
    except TaskError as error:
        raise HTTPException(error.status, str(error)) from None
