"""Errors on pages: the same problems as the API's, shown as a page in the reader's language.

The app's problem handlers stay the single place that decides a status and a message. For a
browser asking for HTML outside the API, their problem+json answer is rendered as a page instead;
a page that needs a session sends the reader to sign in, and comes back after.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from http import HTTPStatus
from typing import Any
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.responses import RedirectResponse, Response
from starlette.exceptions import HTTPException

from serment.web.pages.i18n import N_
from serment.web.pages.templating import render
from serment.web.pages.viewer import SIGN_IN_PATH, PageRefused, SignInRequired
from serment.web.problems import problem_response

# Paths that always answer machines in their own formats, never pages.
MACHINE_PREFIXES = ("/api/", "/fhir", "/health", "/static/")

NO_SUCH_PAGE = N_("There is no page at this address. Use the menu to find your way.")
# The titles of the problems pages may show, for the catalogues.
TITLES = (
    N_("Bad Request"), N_("Unauthorized"), N_("Forbidden"), N_("Not Found"), N_("Method Not Allowed"),
    N_("Conflict"), N_("Gone"), N_("Request Entity Too Large"), N_("Invalid input"), N_("Invalid purpose"),
    N_("No such person"), N_("Expired"), N_("Invalid report"), N_("Invalid date"),
    N_("Internal Server Error"),
)  # fmt: skip

Handler = Callable[[Request, Exception], Awaitable[Response]]


def wants_page(request: Request) -> bool:
    """Whether this request is a browser's, for a page: HTML accepted, outside the machine paths."""
    path = request.url.path
    if path.startswith(MACHINE_PREFIXES) or path == "/api":
        return False
    return "text/html" in request.headers.get("accept", "")


def install_page_errors(app: FastAPI) -> None:
    """Render every problem as a page for browsers, and handle the pages' own refusals.

    Call after the problem handlers are installed: each of them is wrapped.
    """
    for kind, handler in list(app.exception_handlers.items()):
        app.add_exception_handler(kind, _as_page(handler))
    app.add_exception_handler(SignInRequired, _sign_in_required)
    app.add_exception_handler(PageRefused, _page_refused)


def _as_page(handler: Callable[..., Any]) -> Handler:
    async def answer(request: Request, error: Exception) -> Response:
        response: Response = await handler(request, error)
        if not wants_page(request) or response.status_code < 400:
            return response
        try:
            problem = json.loads(bytes(response.body))
        except ValueError:
            return response
        if response.status_code == HTTPStatus.NOT_FOUND and isinstance(error, HTTPException):
            problem["detail"] = NO_SUCH_PAGE
        return render(
            request, "error.html", {"problem": problem, "title": problem.get("title", "")},
            status=response.status_code,
        )  # fmt: skip

    return answer


async def _sign_in_required(request: Request, error: Exception) -> Response:
    if not wants_page(request) and request.method != "GET":
        return problem_response(401, detail="sign in first", instance=request.url.path)
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return RedirectResponse(f"{SIGN_IN_PATH}?next={quote(target, safe='')}", status_code=303)


async def _page_refused(request: Request, error: Exception) -> Response:
    reason = error.reason if isinstance(error, PageRefused) else str(error)
    problem = {"title": N_("Refused"), "detail": reason, "status": 403}
    return render(request, "error.html", {"problem": problem, "title": problem["title"]}, status=403)
