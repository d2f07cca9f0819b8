"""Errors under /fhir as OperationOutcome resources; every other path keeps its problem+json."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException

from serment.access import NoSuchPerson, Refused
from serment.people import IdentityUnavailable, PersonConflict
from serment.reporting import ReportInvalid
from serment.reporting.fhir_mapping import IDENTITY_ELEMENTS, FhirInvalid, Issue
from serment.secrecy import IdentityError, IdentityErrors
from serment.web.request_id import current_request_id

FHIR_MEDIA_TYPE = "application/fhir+json"
PREFIX = "/fhir"
Handler = Callable[[Request, Exception], Awaitable[Response]]


class FhirResponse(JSONResponse):
    """A FHIR resource as `application/fhir+json`."""

    media_type = FHIR_MEDIA_TYPE


class OutcomeIssue(BaseModel):
    """One issue of an OperationOutcome: how bad, which FHIR issue type, what to do, and where."""

    severity: str = Field(description="fatal, error, warning or information.")
    code: str = Field(description="The FHIR issue type, such as `structure`, `value` or `forbidden`.")
    diagnostics: str = Field(description="What went wrong, and what to do.")
    expression: list[str] | None = Field(default=None, description="Where, as FHIRPath.")


class OperationOutcome(BaseModel):
    """A FHIR R4 OperationOutcome: how every error under /fhir is answered."""

    resourceType: str = Field(description="Always `OperationOutcome`.")  # noqa: N815 (FHIR's name)
    id: str | None = Field(default=None, description="The request id: quote it when asking for help.")
    issue: list[OutcomeIssue]


OUTCOME_RESPONSES: dict[int | str, dict[str, Any]] = {
    "4XX": {
        "description": "The request cannot be served; the OperationOutcome says why.",
        "model": OperationOutcome,
    },
    "5XX": {"description": "Serment failed; quote the OperationOutcome id.", "model": OperationOutcome},
}
for _shape in OUTCOME_RESPONSES.values():
    _shape["content"] = {FHIR_MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/OperationOutcome"}}}


def operation_outcome(issues: list[Issue]) -> dict[str, Any]:
    """The OperationOutcome of `issues`, tagged with the request id to quote when asking for help."""
    return {
        "resourceType": "OperationOutcome",
        "id": current_request_id(),
        "issue": [
            {
                "severity": issue.severity,
                "code": issue.code,
                "diagnostics": issue.diagnostics,
                **({"expression": [issue.expression]} if issue.expression else {}),
            }
            for issue in issues
        ],
    }


def outcome_of(error: Exception, where: str = "") -> tuple[int, list[Issue]]:  # noqa: PLR0911
    """The HTTP status and issues of an error of the services, located under `where` (a FHIRPath)."""
    at = where or None
    if isinstance(error, FhirInvalid):
        return error.status, list(error.issues)
    if isinstance(error, Refused):
        code = {403: "forbidden", 404: "not-found", 410: "deleted"}.get(error.status, "invalid")
        return error.status, [Issue("error", code, error.reason, at)]
    if isinstance(error, NoSuchPerson):
        return 404, [Issue("error", "not-found", str(error), at)]
    if isinstance(error, IdentityUnavailable):
        return 410, [Issue("error", "deleted", str(error), at)]
    if isinstance(error, PersonConflict):
        return 409, [Issue("error", "conflict", str(error), at)]
    if isinstance(error, IdentityError | IdentityErrors):
        return 422, [
            Issue("error", "value", str(p), f"{where or 'Patient'}.{IDENTITY_ELEMENTS.get(p.field, p.field)}")
            for p in error.errors
        ]
    if isinstance(error, ReportInvalid):
        return 422, [
            Issue("error", "business-rule", what, f"{where}.{loc}" if where else loc)
            for loc, what in error.problems
        ]
    return 500, [Issue("fatal", "exception", "Serment failed; quote the OperationOutcome id", at)]


def outcome_response(
    status: int, issues: list[Issue], headers: Mapping[str, str] | None = None
) -> FhirResponse:
    """An OperationOutcome answer."""
    return FhirResponse(operation_outcome(issues), status_code=status, headers=headers)


async def _http_outcome(request: Request, error: Exception) -> Response:
    if not isinstance(error, HTTPException):
        raise error
    status = error.status_code
    detail = str(error.detail) if error.detail != HTTPStatus(status).phrase else None
    if status == HTTPStatus.NOT_FOUND and detail is None:
        detail = f"nothing is served at {request.url.path}; what is served is listed at /fhir/metadata"
    elif status == HTTPStatus.METHOD_NOT_ALLOWED and detail is None:
        detail = f"{request.method} is not accepted here; use {(error.headers or {}).get('Allow', '')}"
    code = {401: "login", 403: "forbidden", 404: "not-found", 405: "not-supported"}.get(status, "processing")
    return outcome_response(
        status, [Issue("error", code, detail or HTTPStatus(status).phrase)], error.headers
    )


async def _invalid_input_outcome(request: Request, error: Exception) -> Response:
    if not isinstance(error, RequestValidationError):
        raise error
    problems = error.errors()
    if any(problem.get("type") == "json_invalid" for problem in problems):
        text = "; ".join(str(problem.get("msg")) for problem in problems)
        return outcome_response(400, [Issue("error", "structure", f"the body is not valid JSON: {text}")])
    issues = [
        Issue(
            "error",
            "structure",
            str(problem.get("msg", "is invalid")),
            ".".join(map(str, problem.get("loc", ()))),
        )
        for problem in problems
    ]
    return outcome_response(400, issues)


async def _service_outcome(request: Request, error: Exception) -> Response:
    status, issues = outcome_of(error)
    return outcome_response(status, issues)


def install_outcome_handlers(app: FastAPI) -> None:
    """Answer errors under /fhir with OperationOutcome, falling back to the handlers already
    installed (problem+json) for every other path. Call after `install_problem_handlers`."""
    ours: dict[type[Exception], Handler] = {
        HTTPException: _http_outcome,
        RequestValidationError: _invalid_input_outcome,
    }
    kinds: list[type[Exception]] = [
        FhirInvalid, Refused, NoSuchPerson, IdentityUnavailable, PersonConflict, IdentityError,
        IdentityErrors, ReportInvalid,
    ]  # fmt: skip
    for kind in kinds:
        ours[kind] = _service_outcome
    for kind, handler in ours.items():
        fallback = app.exception_handlers.get(kind)
        app.add_exception_handler(kind, _by_path(handler, fallback))


def _by_path(fhir: Handler, fallback: Any) -> Handler:
    async def answer(request: Request, error: Exception) -> Response:
        path = request.url.path
        if path == PREFIX or path.startswith(PREFIX + "/") or fallback is None:
            return await fhir(request, error)
        result: Response = await fallback(request, error)
        return result

    return answer
