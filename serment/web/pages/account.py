"""Signing in and out, the language switch, and the home page that leads each role to its work."""

from __future__ import annotations

from typing import Annotated

from fastapi import Form, Request
from fastapi.responses import RedirectResponse, Response

from serment.access.accounts import AuthenticationFailed
from serment.access.sessions import sign_in, sign_out
from serment.web.pages.i18n import LANGUAGE_COOKIE, LOCALES
from serment.web.pages.nav import home_of
from serment.web.pages.templating import is_secure, render
from serment.web.pages.viewer import (
    PRESESSION_COOKIE,
    SESSION_COOKIE,
    SIGN_IN_PATH,
    CurrentViewer,
    Pages,
    installation_of,
    web_session,
)
from serment.web.request_id import current_request_id

router = Pages()
ONE_YEAR = 365 * 24 * 3600


def safe_next(target: str | None) -> str:
    """`target` if it is a path of this site, else the home page (never another site: an open
    redirect would let a phishing link borrow Serment's address)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


@router.page(SIGN_IN_PATH, public=True)
def sign_in_form(request: Request, next: str | None = None) -> Response:
    """The sign-in form (or home, for someone already signed in)."""
    if web_session(request) is not None:
        return RedirectResponse(safe_next(next), status_code=303)
    return render(request, "sign_in.html", {"next": safe_next(next), "failed": False, "name": ""})


@router.page(SIGN_IN_PATH, public=True, methods=("POST",))
def sign_in_submit(
    request: Request,
    name: Annotated[str, Form(max_length=64)] = "",
    password: Annotated[str, Form(max_length=1024)] = "",
    next: Annotated[str, Form(max_length=2048)] = "/",
) -> Response:
    """Check the password, open a session and go where the reader was going."""
    platform = installation_of(request).platform
    try:
        opened = sign_in(platform, name.strip(), password, current_request_id())
    except AuthenticationFailed:
        context = {"next": safe_next(next), "failed": True, "name": name.strip()}
        return render(request, "sign_in.html", context, status=401)
    response = RedirectResponse(safe_next(next), status_code=303)
    response.set_cookie(
        SESSION_COOKIE, opened.cookie, httponly=True, samesite="strict", secure=is_secure(request), path="/"
    )
    response.delete_cookie(PRESESSION_COOKIE, path="/")
    return response


@router.page("/sign-out", methods=("POST",))
def sign_out_submit(request: Request, viewer: CurrentViewer) -> Response:
    """End the session on the server and forget its cookie."""
    sign_out(installation_of(request).platform, viewer.session, current_request_id())
    response = RedirectResponse(SIGN_IN_PATH, status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.page("/language", public=True, methods=("POST",))
def choose_language(
    request: Request,
    lang: Annotated[str, Form(max_length=8)] = "",
    next: Annotated[str, Form(max_length=2048)] = "/",
) -> Response:
    """Remember the reader's language in a cookie and go back to their page."""
    response = RedirectResponse(safe_next(next), status_code=303)
    if lang in LOCALES:
        response.set_cookie(
            LANGUAGE_COOKIE, lang, max_age=ONE_YEAR, samesite="strict", secure=is_secure(request), path="/"
        )
    return response


@router.page("/")
def home(request: Request, viewer: CurrentViewer) -> Response:
    """The first page of the reader's role, or a page saying there is nothing for them here."""
    target = home_of(installation_of(request).policy, viewer.actor.role)
    if target is not None and target != "/":
        return RedirectResponse(target, status_code=303)
    return render(request, "home.html", {"title": "Home"})
