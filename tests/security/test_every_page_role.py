"""Promise 3 on the pages: every page, opened by every role, answers what its declared grant and the
policy say; every form refuses a post without its CSRF token; no page opens without a session.
The pages come from the app itself, so a page declared without `Pages.page` fails here."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute

from serment.installation import Installation
from serment.policy import ROLES
from serment.web.pages.viewer import PAGE_GRANTS, Grant
from tests.pages import HTML, Browsers

pytestmark = pytest.mark.anyio
# Routes outside the API's OpenAPI document that are not pages.
NOT_PAGES = {("GET", "/api/v1/docs")}
PARAMETER = re.compile(r"\{[^}]+\}")


def _routes(
    routes: Iterable[object], prefix: str = "", shown: bool = True
) -> Iterator[tuple[APIRoute, str, bool]]:
    """Every APIRoute under `routes` with its full path and whether it is in the OpenAPI document
    (FastAPI keeps included routers as lazy objects: walk into them)."""
    for route in routes:
        if isinstance(route, APIRoute):
            yield route, prefix + route.path, shown and route.include_in_schema
            continue
        included = getattr(route, "original_router", None)
        context = getattr(route, "include_context", None)
        if included is not None and context is not None:
            yield from _routes(included.routes, prefix + context.prefix, shown and context.include_in_schema)


def _pages(app: FastAPI) -> dict[tuple[str, str], Grant]:
    found: dict[tuple[str, str], Grant] = {}
    unknown = []
    for route, path, shown in _routes(app.routes):
        if shown:
            continue
        for method in sorted(route.methods):
            key = (method, path)
            if key in NOT_PAGES:
                continue
            if key not in PAGE_GRANTS:
                unknown.append(key)
            else:
                found[key] = PAGE_GRANTS[key]
    assert unknown == [], f"declare these with Pages.page and their grant: {unknown}"
    assert ("GET", "/sign-in") in found, "the listing found no page: the check would be void"
    return found


def _path(template: str) -> str:
    # Any value reaches the grant check, which runs before the handler looks anything up.
    return PARAMETER.sub("00000000000000000000000000", template)


def test_every_page_is_declared_with_its_grant(app: FastAPI) -> None:
    _pages(app)


async def test_every_role_opens_exactly_the_pages_its_grants_allow(
    app: FastAPI, browsers: Browsers, installation: Installation
) -> None:
    policy = installation.policy
    mismatches = []
    checked = 0
    for role in ROLES:
        browser = await browsers.signed_in(role)
        for (method, template), grant in sorted(_pages(app).items()):
            if method != "GET" or grant.public:
                continue
            response = await browser.get(_path(template))
            allowed = grant.purpose is None or policy.allows(role, grant.purpose, grant.action or "")
            refused = response.status_code == 403
            if allowed == refused:
                mismatches.append((role, template, response.status_code))
            checked += 1
    assert mismatches == []
    assert checked > 0


async def test_every_form_refuses_a_post_without_its_csrf_token(
    app: FastAPI, browsers: Browsers, installation: Installation
) -> None:
    posts = [(path, grant) for (method, path), grant in _pages(app).items() if method == "POST"]
    assert posts, "no form found: the check would be void"
    for template, grant in posts:
        role = next(
            (
                r
                for r in ROLES
                if grant.purpose is None or installation.policy.allows(r, grant.purpose, grant.action or "")
            ),
            "admin",
        )
        browser = await browsers.signed_in(role) if not grant.public else await browsers.anonymous()
        await browser.get("/sign-in")
        response = await browser.http.post(_path(template), data={"anything": "x"}, headers=HTML)
        assert response.status_code == 403, (template, role, response.status_code)
        assert "CSRF" in response.text


async def test_no_page_opens_without_signing_in(app: FastAPI, browsers: Browsers) -> None:
    browser = await browsers.anonymous()
    for (method, template), grant in sorted(_pages(app).items()):
        if method != "GET" or grant.public:
            continue
        response = await browser.get(_path(template))
        assert response.status_code == 303, template
        assert response.headers["location"].startswith("/sign-in?next=")
