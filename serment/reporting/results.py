"""Test results from laboratories (and clinicians), one or many per request."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from serment.access import Platform, Request, changed, guard
from serment.people import PersonDetails, new_ref, register_all_in
from serment.reporting.minimisation import result_problems
from serment.reporting.rules import ReportInvalid, ResultInput, check_result
from serment.store.tables import ResultRow


@dataclass(frozen=True)
class ResultReceipt:
    """The person a result was filed under, and the result's ref."""

    person: str
    result: str


def report_results(
    platform: Platform, request: Request, results: Sequence[tuple[PersonDetails, ResultInput]]
) -> list[ResultReceipt]:
    """Store every result, each under its person (found or registered), all or none: ReportInvalid
    names every rule broken and every field the policy does not allow."""
    today = platform.clock.now().date()
    problems = [
        problem
        for number, (person, result) in enumerate(results)
        for problem in (
            check_result(result, today, f"{number}")
            + result_problems(platform.policy, person, result, f"{number}")
        )
    ]
    if problems:
        raise ReportInvalid(problems)

    def store(session: Session) -> list[ResultReceipt]:
        receipts = []
        now = platform.clock.now()
        people = register_all_in(platform, session, request, [person for person, _ in results])
        for registered, (_, result) in zip(people, results, strict=True):
            receipts.append(file_result(platform, session, request, registered.ref, result, at=now))
        return receipts

    return platform.run(store)


def file_result(
    platform: Platform,
    session: Session,
    request: Request,
    person_ref: str,
    result: ResultInput,
    *,
    at: datetime,
) -> ResultReceipt:
    """Pass the guard ("report" on the registered person, audited) and store the result, in the
    caller's transaction: the one path of JSON results and file imports."""
    guard(platform, session, request, "report", person_ref)
    return ResultReceipt(person_ref, store_result(session, person_ref, result, request, at))


def store_result(
    session: Session, person_ref: str, result: ResultInput, request: Request, at: datetime
) -> str:
    """Add one result row for a person the guard already let the caller report on."""
    ref = new_ref()
    session.add(
        ResultRow(
            id=ref,
            person_ref=person_ref,
            sample_date=result.sample_date,
            result_date=result.result_date,
            test_type=result.test_type,
            loinc=result.loinc,
            value=result.value,
            lab=result.lab or request.actor.organisation,
            reported_by=request.actor.name,
            reported_at=at,
        )
    )
    changed(session, [person_ref])
    return ref
