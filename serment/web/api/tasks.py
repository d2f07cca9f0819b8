"""Tracer work: a tracer's own queue of calls, and the outcome of each call."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Annotated, Literal, TypeVar

from fastapi import APIRouter, HTTPException, Path, Query
from pydantic import BaseModel, ConfigDict, Field

from serment.reporting import NOTE_MAX_LENGTH, ContactInput
from serment.tracing.outcomes import OutcomeInput, OutcomeReceipt, record_outcome
from serment.tracing.queues import TaskView, list_tasks
from serment.tracing.tasks import TaskError
from serment.web.api.people import AddressIn
from serment.web.api.reports import ContactIn, people_details
from serment.web.auth import Caller
from serment.web.dependencies import CurrentInstallation
from serment.web.grants import granted

router = APIRouter(prefix="/tracing", tags=["tracing"])
T = TypeVar("T")
TaskId = Annotated[str, Path(pattern=r"^[a-z2-7]{26}$", description="A task's id, as the queue lists it.")]
Status = Literal[
    "to_call", "lost", "reached", "unreachable", "refused", "wrong_number", "missed", "became_case",
    "left_tiers", "not_called",
]  # fmt: skip
Symptom = Literal["fever", "cough", "breathlessness", "loss_of_smell_or_taste", "other"]


class ContactOut(BaseModel):
    """The person to call: their ref, names, phone and address as the reporters gave them."""

    ref: str
    family_name: str
    given_names: str
    phone: str | None
    address: AddressIn | None


class QuarantineOut(BaseModel):
    """The contact's quarantine plan today."""

    tier_name: str
    place: str
    start: date
    until: date
    tests_due: list[date]
    cleared: bool


class OutcomeOut(BaseModel):
    """What the call found, as recorded."""

    symptoms: list[str]
    onset_date: date | None
    notes: str | None


class TaskOut(BaseModel):
    """A call to make: never who the contact was exposed to. `contact` is null once no open task of
    the caller names the person."""

    id: str
    kind: Literal["call", "follow_up"]
    status: str = Field(
        description="to_call or lost (open: lost to follow-up after two missed days), or how it closed."
    )
    day: date | None = Field(description="The day a follow-up covers; null for a first call.")
    due_at: datetime
    priority: int = Field(description="Higher is more urgent: tier first, then age, health work, household.")
    attempts: int
    tier: int
    exposure_date: date | None
    setting: str | None
    contact: ContactOut | None
    quarantine: QuarantineOut | None
    script: list[str]
    consent: bool | None
    outcome: OutcomeOut | None
    closed_at: datetime | None


class TasksOut(BaseModel):
    """A page of the caller's tasks, due soonest and then most urgent first."""

    total: int
    items: list[TaskOut]


class OutcomeIn(BaseModel):
    """The result of a call and, when the contact was reached, what they said."""

    model_config = ConfigDict(extra="forbid")
    result: Literal["reached", "no_answer", "refused", "wrong_number"]
    symptoms: list[Symptom] = Field(default_factory=list, max_length=5)
    onset_date: date | None = Field(default=None, description="When the first symptom began.")
    contacts: list[ContactIn] = Field(
        default_factory=list, max_length=500, description="The people the contact met: their own contacts."
    )
    consent: bool | None = Field(
        default=None, description="Agrees to a daily follow-up call (asked on a first call)."
    )
    notes: str | None = Field(
        default=None, max_length=NOTE_MAX_LENGTH, description="Sealed like an identity."
    )


class OutcomeReceiptOut(BaseModel):
    """The task after its outcome, and the refs of the contacts named."""

    task: str
    status: str
    attempts: int
    due_at: datetime
    closed_at: datetime | None
    contacts: list[str]


@router.get(
    "/tasks",
    openapi_extra=granted("read", on_person=False, assigned_only=True),
    response_model=TasksOut,
    summary="The caller's own tracing tasks",
)
def get_tasks(
    caller: Caller,
    installation: CurrentInstallation,
    status: Annotated[
        Status | None, Query(description="Only tasks in this status; default: open ones.")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> TasksOut:
    """For tracers (tracing): each contact shown is an access to that person, checked and audited."""
    total, views = _answer(
        lambda: list_tasks(installation.platform, caller, status=status, limit=limit, offset=offset)
    )
    return TasksOut(total=total, items=[_task_out(view) for view in views])


@router.post(
    "/tasks/{task}/outcome",
    openapi_extra=granted("update", on_person=False, assigned_only=True),
    response_model=OutcomeReceiptOut,
    summary="Record the outcome of a call",
)
def post_outcome(
    task: TaskId, body: OutcomeIn, caller: Caller, installation: CurrentInstallation
) -> OutcomeReceiptOut:
    """404 for an unknown task, 403 (audited) for another tracer's, 409 once it is closed."""
    platform = installation.platform
    named = [(contact.person, f"contacts.{number}.person") for number, contact in enumerate(body.contacts)]
    details = people_details(named, platform.clock.now().date())
    outcome = OutcomeInput(
        result=body.result,
        symptoms=tuple(body.symptoms),
        onset_date=body.onset_date,
        contacts=tuple(
            ContactInput(d, c.exposure.to_input()) for d, c in zip(details, body.contacts, strict=True)
        ),
        consent=body.consent,
        notes=body.notes,
    )
    receipt: OutcomeReceipt = _answer(lambda: record_outcome(platform, caller, task, outcome))
    return OutcomeReceiptOut(
        task=receipt.task, status=receipt.status, attempts=receipt.attempts, due_at=receipt.due_at,
        closed_at=receipt.closed_at, contacts=list(receipt.contacts),
    )  # fmt: skip


def _answer(call: Callable[[], T]) -> T:
    try:
        return call()
    except TaskError as error:
        raise HTTPException(error.status, detail=str(error)) from None


def _task_out(view: TaskView) -> TaskOut:
    return TaskOut.model_validate(view, from_attributes=True)
