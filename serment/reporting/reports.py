"""A clinician's case report: the person, the case, maybe a result, and the contacts, stored in one
transaction through the vault and the guard."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy.orm import Session

from serment.access import Platform, Request, guard
from serment.people import register_all_in
from serment.reporting.cases import store_case
from serment.reporting.exposures import store_exposures
from serment.reporting.idempotency import remember, replay
from serment.reporting.minimisation import case_report_problems
from serment.reporting.results import store_result
from serment.reporting.rules import CaseReport, ReportInvalid, report_problems


@dataclass(frozen=True)
class Receipt:
    """What a case report created: the refs of the person, the case, the result and each contact."""

    person: str
    case: str
    result: str | None
    contacts: tuple[str, ...]
    replayed: bool = False


def report_case(
    platform: Platform,
    request: Request,
    report: CaseReport,
    *,
    idempotency_key: str | None = None,
    request_hash: str | None = None,
) -> Receipt:
    """Store a case report in one transaction, or raise with nothing stored: ReportInvalid names every
    rule it breaks and every field the policy does not allow it to carry.

    With an idempotency key, a retry of the same report gets the first receipt and stores nothing.
    """
    problems = report_problems(report, platform.clock.now().date())
    problems += case_report_problems(platform.policy, report)
    if problems:
        raise ReportInvalid(problems)
    actor = request.actor.name

    def store(session: Session) -> Receipt:
        if idempotency_key is not None and request_hash is not None:
            first = replay(session, actor, idempotency_key, request_hash)
            if first is not None:
                return Receipt(**{**first, "contacts": tuple(first["contacts"]), "replayed": True})
        person, *contacts = register_all_in(
            platform, session, request, [report.person, *(contact.person for contact in report.contacts)]
        )
        access = guard(platform, session, request, "report", person.ref)
        now = platform.clock.now()
        case = store_case(platform, session, access, report.case, at=now, address=report.person.address)
        result = store_result(session, person.ref, report.result, request, now) if report.result else None
        contact_refs = [contact.ref for contact in contacts]
        receipt = Receipt(
            person.ref,
            case,
            result,
            store_exposures(
                platform, session, request, person.ref, report.contacts, contact_refs=contact_refs, at=now
            ),
        )
        if idempotency_key is not None and request_hash is not None:
            answer: dict[str, Any] = asdict(receipt)
            answer.pop("replayed")
            remember(session, actor, idempotency_key, request_hash, answer=answer, at=now)
        return receipt

    return platform.run(store)
