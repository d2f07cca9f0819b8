"""Errors as `application/problem+json` (RFC 9457), with a message a person can act on."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException

from serment.access import NoSuchPerson, Refused
from serment.access.accounts import AccountError
from serment.people import IdentityUnavailable, OppositionError, PersonConflict, RecordTampered
from serment.people.duplicates import DuplicateError
from serment.reporting import IdempotencyConflict, ReportInvalid
from serment.secrecy import IdentityError, IdentityErrors
from serment.tracing.chains import ChainError
from serment.tracing.clusters import ClusterError
from serment.tracing.tier_lists import TracingDateInvalid
from serment.web.request_id import current_request_id

PROBLEM_MEDIA_TYPE = "application/problem+json"


class InvalidField(BaseModel):
    """One invalid part of a request: where it is and what is wrong with it."""

    location: str = Field(description="Where the value is, such as `body.person.birth_date` or `query.from`.")
    message: str = Field(description="What is wrong with it.")


class Problem(BaseModel):
    """An RFC 9457 problem document."""

    type: str = Field(default="about:blank", description="A URI naming the kind of problem.")
    title: str = Field(description="A short summary of the kind of problem.")
    status: int = Field(description="The HTTP status code.")
    detail: str | None = Field(default=None, description="What went wrong this time, and what to do.")
    instance: str | None = Field(default=None, description="The path of the request that failed.")
    request_id: str | None = Field(default=None, description="Quote it when asking for help.")
    errors: list[InvalidField] | None = Field(
        default=None, description="Each invalid field, when input was invalid."
    )


PROBLEM_RESPONSES: dict[int | str, dict[str, Any]] = {
    "4XX": {"description": "The request cannot be served; the problem says why.", "model": Problem},
    "5XX": {"description": "Serment failed; quote the request id.", "model": Problem},
}
for _shape in PROBLEM_RESPONSES.values():
    _shape["content"] = {PROBLEM_MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}}


def problem_response(
    status: int,
    *,
    detail: str | None = None,
    title: str | None = None,
    type_: str = "about:blank",
    instance: str | None = None,
    errors: list[InvalidField] | None = None,
    headers: Mapping[str, str] | None = None,
) -> JSONResponse:
    """A problem+json response; the title defaults to the HTTP status phrase."""
    problem = Problem(
        type=type_,
        title=title or HTTPStatus(status).phrase,
        status=status,
        detail=detail,
        instance=instance,
        request_id=current_request_id(),
        errors=errors,
    )
    return JSONResponse(
        problem.model_dump(exclude_none=True),
        status_code=status,
        media_type=PROBLEM_MEDIA_TYPE,
        headers=headers,
    )


async def _http_problem(request: Request, error: Exception) -> JSONResponse:
    if not isinstance(error, HTTPException):
        raise error
    detail = error.detail if error.detail != HTTPStatus(error.status_code).phrase else None
    if error.status_code == HTTPStatus.NOT_FOUND and detail is None:
        detail = f"nothing is served at {request.url.path}; the API is described at /api/v1/docs"
    elif error.status_code == HTTPStatus.METHOD_NOT_ALLOWED and detail is None:
        allowed = (error.headers or {}).get("Allow", "")
        detail = f"{request.method} is not accepted here; use {allowed}" if allowed else None
    return problem_response(
        error.status_code,
        detail=str(detail) if detail is not None else None,
        instance=request.url.path,
        headers=error.headers,
    )


async def _invalid_input_problem(request: Request, error: Exception) -> JSONResponse:
    if not isinstance(error, RequestValidationError):
        raise error
    fields = [
        InvalidField(
            location=".".join(str(part) for part in problem.get("loc", ())),
            message=str(problem.get("msg", "is invalid")),
        )
        for problem in error.errors()
    ]
    if any(problem.get("type") == "json_invalid" for problem in error.errors()):
        return problem_response(
            HTTPStatus.BAD_REQUEST,
            title="Malformed JSON",
            detail="the request body is not valid JSON: " + "; ".join(field.message for field in fields),
            instance=request.url.path,
        )
    summary = "; ".join(f"{field.location}: {field.message}" for field in fields)
    count = "1 invalid field" if len(fields) == 1 else f"{len(fields)} invalid fields"
    return problem_response(
        HTTPStatus(422),
        title="Invalid input",
        detail=f"the request has {count}: {summary}",
        instance=request.url.path,
        errors=fields,
    )


async def _refused(request: Request, error: Exception) -> JSONResponse:
    if not isinstance(error, Refused):
        raise error
    titles = {400: "Invalid purpose", 403: "Refused", 404: "No such person", 410: "Expired"}
    errors = [InvalidField(location=error.field, message=error.reason)] if error.field else None
    return problem_response(
        error.status, title=titles.get(error.status), detail=error.reason, instance=request.url.path,
        errors=errors,
    )  # fmt: skip


async def _invalid_identity(request: Request, error: Exception) -> JSONResponse:
    problems = error.errors if isinstance(error, IdentityErrors) else [error]
    fields = [
        InvalidField(location=f"body.{problem.field}", message=str(problem))
        for problem in problems
        if isinstance(problem, IdentityError)
    ]
    summary = "; ".join(f"{field.location}: {field.message}" for field in fields)
    return problem_response(
        422, title="Invalid input", detail=f"the identity is invalid: {summary}", instance=request.url.path,
        errors=fields,
    )  # fmt: skip


async def _invalid_report(request: Request, error: Exception) -> JSONResponse:
    if not isinstance(error, ReportInvalid):
        raise error
    fields = [InvalidField(location=f"body.{where}", message=what) for where, what in error.problems]
    summary = "; ".join(f"{field.location}: {field.message}" for field in fields)
    return problem_response(
        422, title="Invalid report", detail=f"nothing was stored: {summary}", instance=request.url.path,
        errors=fields,
    )  # fmt: skip


async def _invalid_tracing_date(request: Request, error: Exception) -> JSONResponse:
    if not isinstance(error, TracingDateInvalid):
        raise error
    field = InvalidField(location="query.at", message=str(error))
    return problem_response(
        422, title="Invalid date", detail=str(error), instance=request.url.path, errors=[field]
    )


async def _duplicate_problem(request: Request, error: Exception) -> JSONResponse:
    if not isinstance(error, DuplicateError):
        raise error
    return problem_response(error.status, title=error.title, detail=str(error), instance=request.url.path)


async def _tracing_problem(request: Request, error: Exception) -> JSONResponse:
    if not isinstance(error, ChainError | ClusterError):
        raise error
    errors = [InvalidField(location=error.field, message=str(error))] if error.field else None
    return problem_response(
        error.status, title=error.title, detail=str(error), instance=request.url.path, errors=errors
    )


def _simple(status: int, title: str) -> Callable[[Request, Exception], Awaitable[JSONResponse]]:
    async def answer(request: Request, error: Exception) -> JSONResponse:
        return problem_response(status, title=title, detail=str(error), instance=request.url.path)

    return answer


def install_problem_handlers(app: FastAPI) -> None:
    """Answer HTTP errors, invalid input and refusals of the services with problem+json."""
    app.add_exception_handler(HTTPException, _http_problem)
    app.add_exception_handler(RequestValidationError, _invalid_input_problem)
    app.add_exception_handler(Refused, _refused)
    app.add_exception_handler(IdentityError, _invalid_identity)
    app.add_exception_handler(IdentityErrors, _invalid_identity)
    app.add_exception_handler(NoSuchPerson, _simple(404, "No such person"))
    app.add_exception_handler(IdentityUnavailable, _simple(410, "Expired"))
    app.add_exception_handler(OppositionError, _simple(409, "Conflict"))
    app.add_exception_handler(PersonConflict, _simple(409, "Conflict"))
    app.add_exception_handler(DuplicateError, _duplicate_problem)
    app.add_exception_handler(ChainError, _tracing_problem)
    app.add_exception_handler(ClusterError, _tracing_problem)
    app.add_exception_handler(AccountError, _simple(400, "Bad request"))
    app.add_exception_handler(RecordTampered, _simple(500, "Integrity failure"))
    app.add_exception_handler(ReportInvalid, _invalid_report)
    app.add_exception_handler(TracingDateInvalid, _invalid_tracing_date)
    app.add_exception_handler(IdempotencyConflict, _simple(422, "Idempotency key reused"))
