"""Who is looking at a page: the signed-in session behind the cookie, the page's grant, and CSRF.

Every page is declared with `Pages.page(path, purpose=, action=)`. The declaration is the page's
grant: a role the policy does not allow that action for that purpose gets 403 before the handler
runs, the navigation shows only the pages a role may open, and the route matrix of the tests reads
the same declarations. The guard still checks every access to a person behind the page.

Every form posts back the CSRF token of its session (or, before sign-in, of a cookie set with the
form): a POST without it is refused with 403 before its handler runs.
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Annotated, Any, cast

from fastapi import APIRouter, Depends, Request, params
from fastapi.responses import HTMLResponse

from serment.access import Actor
from serment.access import Request as AccessRequest
from serment.access.sessions import WebSession, session_of
from serment.installation import Installation
from serment.policy import Policy
from serment.web.pages.i18n import N_
from serment.web.request_id import current_request_id

SESSION_COOKIE = "serment_session"
# Before sign-in there is no session: the sign-in form's token is double-submitted in this cookie.
PRESESSION_COOKIE = "serment_presession"
CSRF_FIELD = "csrf"
SIGN_IN_PATH = "/sign-in"
CSRF_REFUSED = N_(
    "This form was sent without its security token (CSRF), or with an old one. "
    "Reload the page and send the form again."
)
ROLE_REFUSED = N_("Your role does not give access to this page.")


@dataclass(frozen=True)
class Grant:
    """What a page needs: an action of the policy for a purpose; None for any signed-in user, and
    `public` for pages anyone may open (sign-in)."""

    purpose: str | None = None
    action: str | None = None
    public: bool = False


# (method, path) -> the page's grant, for every page of every Pages router.
PAGE_GRANTS: dict[tuple[str, str], Grant] = {}


@dataclass(frozen=True)
class Viewer:
    """A signed-in user looking at a page under the page's purpose."""

    actor: Actor
    csrf: str
    purpose: str | None
    session: WebSession

    def request(self) -> AccessRequest:
        """The request for personal data this page makes, for the guard."""
        return AccessRequest(actor=self.actor, purpose=self.purpose, request_id=current_request_id())


class SignInRequired(Exception):
    """A page needs a signed-in user and the request has no live session: go to the sign-in page."""


class PageRefused(Exception):
    """The signed-in user's role may not open this page, or a form came without its CSRF token."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def installation_of(request: Request) -> Installation:
    """The installation the app serves."""
    return cast(Installation, request.app.state.installation)


def web_session(request: Request) -> WebSession | None:
    """The live session of this request's cookie, looked up once per request."""
    if "web_session" not in request.scope.setdefault("state", {}):
        platform = installation_of(request).platform
        request.state.web_session = session_of(platform, request.cookies.get(SESSION_COOKIE))
    return cast(WebSession | None, request.state.web_session)


def csrf_token(request: Request) -> str:
    """The token this request's forms must send back: the session's, or the pre-session cookie's
    (a new one, set on the response by `render`, when the browser has none yet)."""
    session = web_session(request)
    if session is not None:
        return session.csrf
    token = request.cookies.get(PRESESSION_COOKIE) or getattr(request.state, "new_presession", None)
    if not token:
        token = secrets.token_urlsafe(32)
        request.state.new_presession = token
    return token


async def _check_csrf(request: Request) -> None:
    if request.method in {"GET", "HEAD"}:
        return
    session = web_session(request)
    expected = session.csrf if session is not None else request.cookies.get(PRESESSION_COOKIE)
    # A part that streams a file upload itself (not to disk in clear) leaves the other fields here.
    form = getattr(request.state, "form", None)
    if form is None:
        form = await request.form()
    sent = form.get(CSRF_FIELD)
    if not expected or not isinstance(sent, str) or not hmac.compare_digest(sent, expected):
        raise PageRefused(CSRF_REFUSED)


def _viewer_for(grant: Grant) -> Callable[..., Any]:
    async def viewer(request: Request) -> Viewer | None:
        session = web_session(request)
        if grant.public:
            await _check_csrf(request)
            return None
        if session is None:
            raise SignInRequired
        await _check_csrf(request)
        policy = installation_of(request).policy
        if not _granted(policy, session.actor.role, grant):
            raise PageRefused(ROLE_REFUSED)
        found = Viewer(actor=session.actor, csrf=session.csrf, purpose=grant.purpose, session=session)
        request.state.viewer = found
        return found

    return viewer


def _granted(policy: Policy, role: str, grant: Grant) -> bool:
    if grant.public or grant.purpose is None or grant.action is None:
        return True
    return policy.allows(role, grant.purpose, grant.action)


def _current_viewer(request: Request) -> Viewer:
    found = getattr(request.state, "viewer", None)
    if not isinstance(found, Viewer):
        raise SignInRequired
    return found


CurrentViewer = Annotated[Viewer, Depends(_current_viewer)]


class Pages(APIRouter):
    """A router of HTML pages, each declared with its grant."""

    def __init__(self, *, dependencies: Sequence[params.Depends] | None = None) -> None:
        """`dependencies` run before each page's grant and CSRF checks (a file upload's streaming)."""
        super().__init__(
            include_in_schema=False, default_response_class=HTMLResponse, dependencies=dependencies
        )

    def page(
        self,
        path: str,
        *,
        purpose: str | None = None,
        action: str | None = None,
        public: bool = False,
        methods: tuple[str, ...] = ("GET",),
    ) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        """Declare the handler of `path` for `methods`, opened to roles allowed `action` for `purpose`."""
        grant = Grant(purpose=purpose, action=action, public=public)

        def declare(handler: Callable[..., Any]) -> Callable[..., Any]:
            for method in methods:
                PAGE_GRANTS[(method, path)] = grant
            self.add_api_route(
                path, handler, methods=list(methods), dependencies=[Depends(_viewer_for(grant))]
            )
            return handler

        return declare
