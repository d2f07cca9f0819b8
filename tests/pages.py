"""Browsers for page tests: an HTTP client per signed-in account, keeping its cookies, that reads
the CSRF token of each page's forms the way a browser would send it back."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack

import httpx
from fastapi import FastAPI

from serment.access import Platform, operator
from serment.access.accounts import add_user, link_patient

PASSWORD = "correct horse battery staple"
HTML = {"Accept": "text/html"}
_CSRF = re.compile(r'name="csrf" value="([^"]+)"')


def csrf_of(html: str) -> str:
    """The CSRF token of the first form of a page."""
    found = _CSRF.search(html)
    assert found is not None, "the page has no form with a CSRF token"
    return found.group(1)


class Browser:
    """One signed-in (or anonymous) browser: a client with a cookie jar."""

    def __init__(self, http: httpx.AsyncClient) -> None:
        self.http = http

    async def get(self, path: str, **params: str) -> httpx.Response:
        """GET a page as a browser asks for it."""
        return await self.http.get(path, params=params or None, headers=HTML)

    async def post(
        self,
        path: str,
        data: dict[str, str],
        *,
        form_of: str | None = None,
        files: dict[str, tuple[str, bytes, str]] | None = None,
    ) -> httpx.Response:
        """POST a form the way the page `form_of` (default: `path`) would, with that page's CSRF token
        (following redirects to it, as a browser would: home leads each role to its first page)."""
        page = await self.http.get(form_of or path, headers=HTML, follow_redirects=True)
        fields = {**data, "csrf": csrf_of(page.text)}
        return await self.http.post(path, data=fields, files=files, headers=HTML)


class Browsers:
    """Accounts of any role with a password, each signed in from its own browser."""

    def __init__(self, app: FastAPI, platform: Platform, stack: AsyncExitStack) -> None:
        self._app = app
        self._platform = platform
        self._stack = stack
        self._made: set[str] = set()

    async def anonymous(self) -> Browser:
        """A browser nobody signed in from."""
        transport = httpx.ASGITransport(app=self._app)
        http = httpx.AsyncClient(transport=transport, base_url="http://serment.test")
        await self._stack.enter_async_context(http)
        return Browser(http)

    def account(self, role: str, *, name: str | None = None, person_ref: str | None = None) -> str:
        """The account `name` (default `<role>-web`) of `role`, with PASSWORD, created if needed."""
        name = name or f"{role}-web"
        if name not in self._made:
            add_user(self._platform, operator(), name=name, role=role, organisation=f"{role.title()} Org",
                     password=PASSWORD)  # fmt: skip
            if person_ref is not None:
                link_patient(self._platform, operator(), name=name, person_ref=person_ref)
            self._made.add(name)
        return name

    async def signed_in(
        self, role: str, *, name: str | None = None, person_ref: str | None = None
    ) -> Browser:
        """A browser signed in as an account of `role`."""
        account = self.account(role, name=name, person_ref=person_ref)
        browser = await self.anonymous()
        answer = await browser.post("/sign-in", {"name": account, "password": PASSWORD, "next": "/"})
        assert answer.status_code == 303, answer.text[:500]
        return browser


async def browsers_for(app: FastAPI, platform: Platform) -> AsyncIterator[Browsers]:
    """Browsers over `app`, closed afterwards."""
    async with AsyncExitStack() as stack:
        yield Browsers(app, platform, stack)
