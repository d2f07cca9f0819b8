"""The check Schemathesis lacks: every error is a document a person can act on, problem+json
(RFC 9457) under /api and elsewhere, a FHIR OperationOutcome under /fhir, whatever the route declares."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlsplit

import schemathesis
from schemathesis import Case, CheckContext, Response

PROBLEM = "application/problem+json"
FHIR = "application/fhir+json"


def errors_are_documents(ctx: CheckContext, response: Response, case: Case) -> bool | None:
    """A 4xx or 5xx answer has the media type and body of its side of the API, with a message."""
    del ctx
    if response.status_code < 400:
        return None
    path = urlsplit(response.request.url or "").path
    expected = FHIR if path == "/fhir" or path.startswith("/fhir/") else PROBLEM
    media_type = _media_type(response)
    if media_type != expected:
        raise AssertionError(
            f"{case.method} {path} answered {response.status_code} as {media_type!r}, not {expected}"
        )
    try:
        body = json.loads(response.content)
    except ValueError:
        raise AssertionError(
            f"{case.method} {path} answered {response.status_code} with a body that is not JSON"
        ) from None
    problem = _outcome_problem(body) if expected == FHIR else _problem_problem(body, response.status_code)
    if problem is not None:
        raise AssertionError(f"{case.method} {path} answered {response.status_code}: {problem}")
    return True


def _media_type(response: Response) -> str | None:
    for name, values in response.headers.items():
        if name.lower() == "content-type" and values:
            return values[0].split(";")[0].strip().lower()
    return None


def _problem_problem(body: Any, status: int) -> str | None:
    if not isinstance(body, dict) or not isinstance(body.get("title"), str):
        return "the problem has no title"
    if body.get("status") != status:
        return f"the problem says status {body.get('status')!r}"
    if not body.get("detail") and not body.get("errors"):
        return "the problem says neither what went wrong (detail) nor where (errors)"
    return None


def _outcome_problem(body: Any) -> str | None:
    if not isinstance(body, dict) or body.get("resourceType") != "OperationOutcome":
        return "the body is not an OperationOutcome"
    issues = body.get("issue")
    if not isinstance(issues, list) or not issues:
        return "the OperationOutcome has no issue"
    if not all(isinstance(issue, dict) and issue.get("diagnostics") for issue in issues):
        return "an issue has no diagnostics"
    return None


def register() -> None:
    """Make the check part of every run (Schemathesis runs every registered check by default)."""
    schemathesis.check(errors_are_documents)
