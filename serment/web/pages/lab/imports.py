"""The laboratory's imports: the upload form and the past imports, the upload itself, and the report
of an import (its progress while it runs; then rows read, stored, refused, and every bad row)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Query, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from serment.access import Refused
from serment.reporting.import_history import list_own_imports, read_own_import
from serment.reporting.imports import MAX_ERRORS
from serment.reporting.labfiles import COLUMNS, REQUIRED
from serment.web.pages.clinic.forms import CHECKED
from serment.web.pages.clinic.messages import told
from serment.web.pages.clinic.reports import not_found
from serment.web.pages.i18n import N_
from serment.web.pages.lab.jobs import KEPT_FOR, ImportJob, jobs_of
from serment.web.pages.lab.uploads import FILE_FIELD, Upload, stream_upload
from serment.web.pages.templating import render
from serment.web.pages.viewer import CurrentViewer, Pages, Viewer, installation_of

router = Pages()
# The upload streams its file into a spool before the page's checks run (see uploads.py).
upload_router = Pages(dependencies=[Depends(stream_upload)])
IMPORTS_PATH = "/lab/imports"
CARE, REPORT = "care", "report"
PAGE_SIZE = 50
# How long the upload waits for a small file's import to end before showing its progress instead.
WAIT_SECONDS = 3.0
REFRESH_SECONDS = 2
TITLES = (N_("Import results"), N_("Import report"))
NO_FILE = N_("Choose the file to import: a CSV or XLSX file of results.")
EMPTY_FILE = N_("The file is empty: choose the file of results to import.")
NO_SUCH_IMPORT = N_("Your laboratory has no import under this reference.")
Page = Annotated[int, Query(ge=1, le=100_000)]


@router.page(IMPORTS_PATH, purpose=CARE, action=REPORT)
def imports(request: Request, viewer: CurrentViewer, page: Page = 1) -> Response:
    """The upload form, and the laboratory's past imports, newest first."""
    return _imports_page(request, viewer, page=page)


@upload_router.page(IMPORTS_PATH, purpose=CARE, action=REPORT, methods=("POST",))
async def upload(request: Request, viewer: CurrentViewer) -> Response:
    """Start importing the file (all or nothing, or the good rows), then 303 to its report, which
    shows its progress if it takes more than a few seconds."""
    form = getattr(request.state, "form", None)
    sent: Upload | None = getattr(request.state, "upload", None)
    partial = form is not None and str(form.get("partial", "")).lower() in CHECKED
    if sent is None or not sent.filename:
        return await run_in_threadpool(_imports_page, request, viewer, problem=NO_FILE, partial=partial)
    if sent.size == 0:
        return await run_in_threadpool(_imports_page, request, viewer, problem=EMPTY_FILE, partial=partial)
    platform = installation_of(request).platform
    job = jobs_of(request.app).start(
        platform, viewer.request(), sent.spool, filename=sent.filename, size=sent.size, partial=partial
    )
    sent.taken = True
    await run_in_threadpool(job.finished.wait, WAIT_SECONDS)
    return RedirectResponse(f"{IMPORTS_PATH}/{job.id}", status_code=303)


@router.page(IMPORTS_PATH + "/{key}", purpose=CARE, action=REPORT)
def import_report(request: Request, viewer: CurrentViewer, key: str, page: Page = 1) -> Response:
    """An import's report: its progress while it runs, then its outcome with every bad row (shown to
    the account that sent it, for KEPT_FOR); after that, or to a colleague, the counts the store kept."""
    job = jobs_of(request.app).find(key[:26], viewer.actor.name)
    if job is not None:
        return _job_page(request, key, job, page)
    try:
        past = read_own_import(installation_of(request).platform, viewer.request(), key[:26])
    except Refused as refused:
        if refused.status != 404:
            raise
        return not_found(request, NO_SUCH_IMPORT)
    context = {"title": N_("Import report"), "job": None, "past": past, "kept_hours": _hours()}
    return render(request, "lab/report.html", context)


def _job_page(request: Request, key: str, job: ImportJob, page: int) -> Response:
    outcome = job.outcome if job.finished.is_set() else None
    report = outcome.report if outcome is not None else None
    errors = report.errors if report is not None else ()
    shown = errors[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]
    context = {
        "title": N_("Import report"), "job": job, "past": None, "outcome": outcome, "report": report,
        "errors": [(error, told(error.message)) for error in shown], "page": page,
        "has_next": page * PAGE_SIZE < len(errors), "base": f"{IMPORTS_PATH}/{key}", "max_errors": MAX_ERRORS,
        "refresh": REFRESH_SECONDS if outcome is None else None, "kept_hours": _hours(),
        "detail": told(outcome.detail) if outcome is not None and outcome.detail else None,
    }  # fmt: skip
    return render(request, "lab/report.html", context)


def _imports_page(
    request: Request, viewer: Viewer, *, page: int = 1, problem: str | None = None, partial: bool = False
) -> Response:
    found = list_own_imports(
        installation_of(request).platform, viewer.request(), limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE
    )
    context = {
        "title": N_("Import results"), "imports": found.items, "page": page, "has_next": found.has_next,
        "problem": problem, "partial": partial, "file_field": FILE_FIELD,
        "columns": [(column, aliases, column in REQUIRED) for column, aliases in COLUMNS.items()],
    }  # fmt: skip
    return render(request, "lab/imports.html", context, status=422 if problem else 200)


def _hours() -> int:
    return int(KEPT_FOR.total_seconds() // 3600)
