"""The outcome of a call, recorded by the tracer it is assigned to: whether the contact was reached,
their symptoms, the people they met (registered and exposed as their own contacts, in the same
transaction, so that they get their own tiers and calls), their consent to daily follow-up, notes.

Symptoms and notes are medical: they are sealed under the contact's data key, bound to the task, and
expire and are erased with the contact's identity.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from http import HTTPStatus

from sqlalchemy.orm import Session

from serment.access import Platform, Refused, Request, guard
from serment.people import seal_for
from serment.reporting import ContactInput, ReportInvalid
from serment.reporting.exposures import store_contacts
from serment.reporting.minimisation import contact_problems
from serment.reporting.rules import check_contacts, check_notes
from serment.store.tables import TracingTaskRow
from serment.tracing.queues import OUTCOME_COLUMN
from serment.tracing.scripts import SYMPTOMS
from serment.tracing.tasks import (
    CALL,
    REACHED,
    REFUSED,
    UNREACHABLE,
    WRONG_NUMBER,
    TaskClosed,
    TaskNotFound,
    close,
    task_access,
)

NO_ANSWER = "no_answer"
RESULTS = (REACHED, NO_ANSWER, REFUSED, WRONG_NUMBER)
# A call that found nobody is tried again after this long, until the policy's max_attempts.
RETRY_AFTER = timedelta(hours=4)


@dataclass(frozen=True)
class OutcomeInput:
    """What the tracer records: the call's result and, when the contact was reached, what they said."""

    result: str
    symptoms: tuple[str, ...] = ()
    onset_date: date | None = None
    contacts: tuple[ContactInput, ...] = ()
    consent: bool | None = None
    notes: str | None = None


@dataclass(frozen=True)
class OutcomeReceipt:
    """The task after its outcome, and the refs of the contacts named during the call."""

    task: str
    status: str
    attempts: int
    due_at: datetime
    closed_at: datetime | None
    contacts: tuple[str, ...]


def outcome_problems(outcome: OutcomeInput, today: date) -> list[tuple[str, str]]:
    """What is wrong with an outcome, each problem named by its field."""
    problems = []
    if outcome.result not in RESULTS:
        problems.append(("result", f"must be one of {', '.join(RESULTS)}"))
    for number, symptom in enumerate(outcome.symptoms):
        if symptom not in SYMPTOMS:
            problems.append((f"symptoms.{number}", f"must be one of {', '.join(SYMPTOMS)}"))
        elif symptom in outcome.symptoms[:number]:
            problems.append((f"symptoms.{number}", f"{symptom} is listed twice"))
    if outcome.onset_date is not None:
        if not outcome.symptoms:
            problems.append(("onset_date", "give the symptoms whose onset this is, or leave the onset out"))
        if outcome.onset_date > today:
            problems.append(("onset_date", f"{outcome.onset_date} is in the future (today is {today})"))
    if outcome.result != REACHED:
        said = [
            name
            for name, value in (
                ("symptoms", outcome.symptoms), ("onset_date", outcome.onset_date),
                ("contacts", outcome.contacts), ("consent", outcome.consent),
            )
            if value not in ((), None)
        ]  # fmt: skip
        problems += [
            (name, f"only a contact who was reached can give it (the result is {outcome.result})")
            for name in said
        ]
    problems += check_notes(outcome.notes, "notes")
    return problems + check_contacts(None, outcome.contacts, today)


def record_outcome(
    platform: Platform, request: Request, task_id: str, outcome: OutcomeInput
) -> OutcomeReceipt:
    """Record the outcome of the call `task_id` by the tracer it is assigned to. A call that found
    nobody stays to call, due again later, until the policy's maximum of attempts makes it
    unreachable; any other result closes it. Raises TaskNotFound, TaskClosed, Refused (another
    tracer's task, audited), ReportInvalid (naming each bad field; nothing is stored)."""
    today = platform.clock.now().date()
    problems = outcome_problems(outcome, today) + contact_problems(platform.policy, outcome.contacts)
    if problems:
        raise ReportInvalid(problems)

    def store(session: Session) -> OutcomeReceipt:
        access = task_access(platform, session, request, "update")
        task = session.get(TracingTaskRow, task_id, with_for_update=True)
        if task is None:
            raise TaskNotFound(f"no task has the id {task_id}; the tracer's queue lists their tasks")
        if task.tracer != request.actor.name:
            reason = f"the task {task_id} is not assigned to {request.actor.name}"
            entry = request.actor.entry(
                "update", "refused", purpose=access.purpose, subject=task.person_ref, reason=reason,
                request_id=request.request_id,
            )  # fmt: skip
            raise Refused(reason, entry, HTTPStatus.FORBIDDEN)
        if task.closed_at is not None:
            raise TaskClosed(
                f"the task {task_id} was closed ({task.status}) on {task.closed_at:%Y-%m-%d %H:%M} UTC; "
                "its outcome cannot change"
            )
        if task.kind == CALL and outcome.result == REACHED and outcome.consent is None:
            raise ReportInvalid([("consent", "say whether the contact agrees to a daily follow-up call")])
        # Both before the task closes: the guard's "assigned" holds while an open task names the person.
        guard(platform, session, request, "update", task.person_ref)
        if outcome.contacts:
            guard(platform, session, request, "report", task.person_ref)
        now = platform.clock.now()
        _apply(platform, session, task, outcome, now)
        named: tuple[str, ...] = ()
        if outcome.contacts:
            named = store_contacts(platform, session, request, task.person_ref, outcome.contacts, at=now)
        return OutcomeReceipt(task.id, task.status, task.attempts, task.due_at, task.closed_at, named)

    return platform.run(store)


def _apply(
    platform: Platform, session: Session, task: TracingTaskRow, outcome: OutcomeInput, now: datetime
) -> None:
    task.attempts += 1
    task.updated_at = now
    if outcome.result == NO_ANSWER:
        if task.attempts >= platform.policy.tracing.max_attempts:
            close([task], UNREACHABLE, now)
        else:
            task.due_at = now + RETRY_AFTER
        return
    close([task], outcome.result, now)
    if outcome.result == REFUSED:
        # Whoever refuses a call is not called every day against their will.
        task.consent = False
    elif outcome.consent is not None:
        task.consent = outcome.consent
    said = _said(outcome.symptoms, outcome.onset_date, outcome.notes)
    if said is not None:
        task.outcome = seal_for(
            platform, session, task.person_ref, table=TracingTaskRow.__tablename__, column=OUTCOME_COLUMN,
            row=task.id, text=said,
        )  # fmt: skip


def _said(symptoms: Sequence[str], onset: date | None, notes: str | None) -> str | None:
    text = (notes or "").strip() or None
    if not symptoms and onset is None and text is None:
        return None
    return json.dumps(
        {"symptoms": list(symptoms), "onset_date": onset.isoformat() if onset else None, "notes": text}
    )
