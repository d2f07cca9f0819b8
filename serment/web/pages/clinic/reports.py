"""Reporting a case with its contacts in one form, the receipt of what was stored, and the list of the
clinician's own reports."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import Query, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData

from serment.access import Platform, Refused
from serment.access import Request as AccessRequest
from serment.reporting import IdempotencyConflict, Receipt, ReportInvalid, report_case
from serment.reporting.idempotency import fingerprint
from serment.reporting.reporters import list_own_reports, read_own_report
from serment.web.api.people import PersonIn
from serment.web.api.reports import ReportIn, case_report_of, people_details
from serment.web.pages.clinic.forms import (
    LABELS,
    MAX_ROWS,
    Problem,
    ReportForm,
    from_service,
    from_validation,
    located,
)
from serment.web.pages.clinic.messages import Message
from serment.web.pages.i18n import N_
from serment.web.pages.templating import render
from serment.web.pages.viewer import CurrentViewer, Pages, installation_of

router = Pages()
CARE = "care"
PAGE_SIZE = 50
FORM_PATH = "/clinic/report"
REPORTS_PATH = "/clinic/reports"
TITLES = (N_("Report a case"), N_("My reports"), N_("Report stored"))
ALREADY_SENT = N_(
    "This form was already sent as another report. Check the values, then send it again to store it "
    "as a new report."
)
NOT_YOURS = N_("You reported no case under this reference.")
Page = Annotated[int, Query(ge=1, le=100_000)]


@router.page(FORM_PATH, purpose=CARE, action="report")
def report_form(request: Request, viewer: CurrentViewer) -> Response:
    """An empty report: the patient, the case, a result if any, one contact row."""
    return _form_page(request, ReportForm.blank(installation_of(request).policy))


@router.page(FORM_PATH, purpose=CARE, action="report", methods=("POST",))
async def report_submit(request: Request, viewer: CurrentViewer) -> Response:
    """Add or remove a contact row (the form comes back as typed), or send the report: 303 to its
    receipt, or the form again (422) with every value kept and each problem by its field."""
    sent: FormData = await request.form()
    form = ReportForm.sent(sent, installation_of(request).policy)
    if "add_contact" in sent:
        return _form_page(request, form, focus=form.add_row())
    removed = sent.get("remove_contact")
    if isinstance(removed, str) and removed.isdigit():
        form.remove_row(int(removed))
        return _form_page(request, form)
    platform = installation_of(request).platform
    outcome = await run_in_threadpool(_send, platform, viewer.request(), form)
    if isinstance(outcome, Receipt):
        flag = "replayed" if outcome.replayed else "sent"
        return RedirectResponse(f"{REPORTS_PATH}/{outcome.case}?{flag}=1", status_code=303)
    notice = None
    if isinstance(outcome, Message):
        form.new_key()
        notice, outcome = outcome, []
    return _form_page(request, form, problems=outcome, notice=notice, status=422)


@router.page(REPORTS_PATH, purpose=CARE, action="read")
def reports_list(request: Request, viewer: CurrentViewer, page: Page = 1) -> Response:
    """The clinician's reports, newest first, fifty a page."""
    platform = installation_of(request).platform
    found = list_own_reports(platform, viewer.request(), limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE)
    context = {
        "title": N_("My reports"), "reports": found.items, "page": page, "has_next": found.has_next,
        "labels": LABELS,
    }  # fmt: skip
    return render(request, "clinic/reports.html", context)


@router.page(REPORTS_PATH + "/{case}", purpose=CARE, action="report")
def report_receipt(
    request: Request, viewer: CurrentViewer, case: str, sent: bool = False, replayed: bool = False
) -> Response:
    """What a report stored: refs, the case, the result, the contacts and their exposures."""
    platform = installation_of(request).platform
    try:
        stored = read_own_report(platform, viewer.request(), case[:26])
    except Refused as refused:
        if refused.status != 404:
            raise
        return not_found(request, NOT_YOURS)
    context = {
        "title": N_("Report stored"), "report": stored, "sent": sent, "replayed": replayed, "labels": LABELS,
    }  # fmt: skip
    return render(request, "clinic/receipt.html", context)


def not_found(request: Request, detail: str) -> Response:
    """The page for something that is not the reader's, said as for something that does not exist."""
    problem = {"title": N_("Not Found"), "detail": detail, "status": 404}
    return render(request, "error.html", {"problem": problem, "title": problem["title"]}, status=404)


def _send(platform: Platform, request: AccessRequest, form: ReportForm) -> Receipt | list[Problem] | Message:
    """Send the form's report: the receipt, or its problems on the form's fields, or a message when its
    idempotency key was already used for another report."""
    body, rows = form.body()
    today = platform.clock.now().date()
    try:
        report_in = ReportIn.model_validate(body)
    except ValidationError as invalid:
        return located(form, from_validation(invalid.errors(), rows) + _identity_problems(body, rows, today))
    try:
        report = case_report_of(report_in, today)
        return report_case(
            platform,
            request,
            report,
            idempotency_key=form.key,
            request_hash=fingerprint(report_in.model_dump()),
        )
    except ReportInvalid as invalid:
        return located(form, from_service(invalid.problems, rows))
    except IdempotencyConflict:
        return Message(ALREADY_SENT)


def _identity_problems(body: dict[str, Any], rows: list[int], today: date) -> list[tuple[str, Message]]:
    """The identity problems of the people of a body that is invalid elsewhere, so that the form
    names them in the same round: each person whose fields have the right shape is checked."""
    people = [(body["person"], "person")]
    people += [
        (contact.get("person", {}), f"contacts.{n}.person") for n, contact in enumerate(body["contacts"])
    ]
    shaped = []
    for person, where in people:
        try:
            shaped.append((PersonIn.model_validate(person), where))
        except ValidationError:
            continue
    try:
        people_details(shaped, today)
    except ReportInvalid as invalid:
        return from_service(invalid.problems, rows)
    return []


def by_field(problems: list[Problem]) -> dict[str, list[Message]]:
    """Each field's messages, for showing them next to it."""
    found: dict[str, list[Message]] = {}
    for problem in problems:
        if problem.field is not None:
            found.setdefault(problem.field, []).append(problem.message)
    return found


def _form_page(
    request: Request,
    form: ReportForm,
    *,
    problems: list[Problem] | None = None,
    notice: Message | None = None,
    focus: int | None = None,
    status: int = 200,
) -> Response:
    problems = problems or []
    context = {
        "title": N_("Report a case"),
        "form": form,
        "problems": problems,
        "errors": by_field(problems),
        "notice": notice,
        "focus": focus,
        "max_rows": MAX_ROWS,
    }
    return render(request, "clinic/report.html", context, status=status)
