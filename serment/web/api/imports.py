"""Laboratory file imports: a CSV or XLSX file of results as the raw request body."""

from __future__ import annotations

from http import HTTPStatus
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from serment.access import Platform
from serment.access import Request as ServiceRequest
from serment.installation import UPLOADS_DIR as INSTALLATION_UPLOADS
from serment.reporting import (
    AlreadyImported,
    FileRefused,
    ImportInvalid,
    ImportReport,
    import_results,
    may_import,
)
from serment.secrecy import Spool
from serment.web.auth import Caller
from serment.web.dependencies import CurrentInstallation
from serment.web.grants import granted
from serment.web.problems import PROBLEM_MEDIA_TYPE, problem_response
from serment.web.request_id import current_request_id

router = APIRouter(tags=["reporting"])
CSV = "text/csv"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MEDIA_TYPES = (CSV, XLSX)
# Where uploads wait, encrypted under a key only this process holds, inside the data directory (mode
# 0700), each file 0600 and deleted afterwards; `serve` clears what a crash leaves.
UPLOADS_DIR = INSTALLATION_UPLOADS
_FILE_BODY = {
    "required": True,
    "description": "The lab file itself (see docs/imports.md for its columns): CSV in UTF-8 with a header "
    "row, `,` or `;` separated, or an XLSX workbook whose first sheet has a header row. Up to 200 MiB.",
    "content": {media: {"schema": {"type": "string", "format": "binary"}} for media in MEDIA_TYPES},
}


class RowErrorOut(BaseModel):
    """One problem of one row: its line (the header is line 1), its column, what is wrong."""

    line: int
    location: str
    message: str


class ImportOut(BaseModel):
    """How the file's rows fared."""

    rows: int
    stored: int
    refused: int
    duplicates: int
    errors: list[RowErrorOut]
    more_errors: int
    import_: str | None = Field(default=None, serialization_alias="import")


class AlreadyImportedOut(BaseModel):
    """The same file was imported before; nothing was stored."""

    already_imported: str
    import_: str = Field(serialization_alias="import")
    detail: str


@router.post(
    "/imports",
    status_code=HTTPStatus.CREATED,
    summary="Import a lab file of results",
    response_model=None,
    responses={
        201: {"description": "Imported (with `partial`, bad rows are reported and skipped)"},
        200: {"description": "This file was imported before; nothing was stored"},
        415: {"description": "Not text/csv nor XLSX"},
    },
    openapi_extra={"requestBody": _FILE_BODY, **granted("report", requires=("register",), on_person=False)},
)
async def post_import(
    request: Request,
    caller: Caller,
    installation: CurrentInstallation,
    partial: Annotated[bool, Query(description="Store the good rows and report the bad ones.")] = False,
) -> JSONResponse:
    """Results from a CSV or XLSX file, all stored or none (or, with `partial=true`, the good rows);
    a file imported before stores nothing again."""
    # The guard first: a caller without the right learns nothing of how files are handled.
    await run_in_threadpool(may_import, installation.platform, caller)
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media not in MEDIA_TYPES:
        return problem_response(
            HTTPStatus.UNSUPPORTED_MEDIA_TYPE,
            detail=f"send the file as {CSV} or {XLSX}",
            instance=request.url.path,
        )
    # Encrypted as the body streams in: not one byte of the file reaches the disk in clear.
    with Spool.create(installation.data_dir / UPLOADS_DIR) as spool:
        async for chunk in request.stream():
            spool.write(chunk)
        spool.finish()
        return await run_in_threadpool(
            _import, installation.platform, caller, spool, partial, request.url.path
        )


def _import(
    platform: Platform, caller: ServiceRequest, spool: Spool, partial: bool, instance: str
) -> JSONResponse:
    try:
        report = import_results(platform, caller, spool, partial=partial)
    except AlreadyImported as seen:
        body = AlreadyImportedOut(
            already_imported=seen.at.isoformat(), import_=seen.import_id, detail=str(seen)
        )
        return JSONResponse(body.model_dump(by_alias=True), status_code=HTTPStatus.OK)
    except FileRefused as refused:
        return problem_response(
            HTTPStatus.UNPROCESSABLE_ENTITY, title="File refused", detail=str(refused), instance=instance
        )
    except ImportInvalid as invalid:
        problem = {
            "type": "about:blank",
            "title": "Invalid rows",
            "status": HTTPStatus.UNPROCESSABLE_ENTITY,
            "detail": str(invalid),
            "instance": instance,
            "request_id": current_request_id(),
            **_out(invalid.report).model_dump(by_alias=True),
        }
        return JSONResponse(
            problem, status_code=HTTPStatus.UNPROCESSABLE_ENTITY, media_type=PROBLEM_MEDIA_TYPE
        )
    return JSONResponse(_out(report).model_dump(by_alias=True), status_code=HTTPStatus.CREATED)


def _out(report: ImportReport) -> ImportOut:
    return ImportOut(
        rows=report.rows,
        stored=report.stored,
        refused=report.refused,
        duplicates=report.duplicates,
        errors=[RowErrorOut(line=e.line, location=e.location, message=e.message) for e in report.errors],
        more_errors=report.more_errors,
        import_=report.import_id,
    )
