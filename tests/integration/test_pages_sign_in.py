"""Signing in to the pages: session cookies, CSRF on every form, lockout, sign-out that ends the
session on the server, the language of the pages, and navigation limited to what a role may use."""

from __future__ import annotations

import re

import httpx
import pytest
from sqlalchemy import select

from serment.installation import Installation
from serment.store.tables import AuditEventRow, WebSessionRow
from serment.web.pages.viewer import PRESESSION_COOKIE, SESSION_COOKIE
from tests.pages import HTML, PASSWORD, Browsers, csrf_of

pytestmark = pytest.mark.anyio


async def test_signing_in_opens_a_session_cookie_that_scripts_and_other_sites_cannot_use(
    browsers: Browsers, installation: Installation
) -> None:
    account = browsers.account("epidemiologist")
    browser = await browsers.anonymous()
    form = await browser.get("/sign-in")
    assert form.status_code == 200
    assert 'name="password"' in form.text
    assert 'autocomplete="current-password"' in form.text
    presession = form.headers["set-cookie"]
    assert PRESESSION_COOKIE in presession
    assert "httponly" in presession.lower()

    answer = await browser.post("/sign-in", {"name": account, "password": PASSWORD, "next": "/"})

    assert answer.status_code == 303
    cookie = next(
        value for value in answer.headers.get_list("set-cookie") if value.startswith(SESSION_COOKIE)
    )
    flags = {part.strip().lower() for part in cookie.split(";")}
    assert {"httponly", "samesite=strict", "path=/"} <= flags
    assert "secure" not in flags  # plain HTTP here; behind HTTPS the cookie is Secure (next test)
    value = cookie.split(";")[0].split("=", 1)[1]
    with installation.database.read() as session:
        row = session.scalars(select(WebSessionRow)).one()
        assert value.split("_")[1] not in (row.secret_hash, row.csrf)  # the secret is not stored
        events = [event.action for event in session.scalars(select(AuditEventRow))]
    assert "login" in events


async def test_behind_https_the_session_cookie_is_secure(app: object, browsers: Browsers) -> None:
    account = browsers.account("clinician")
    transport = httpx.ASGITransport(app=app)  # type: ignore[arg-type]
    async with httpx.AsyncClient(transport=transport, base_url="https://serment.test") as http:
        form = await http.get("/sign-in", headers=HTML)
        answer = await http.post(
            "/sign-in", headers=HTML,
            data={"name": account, "password": PASSWORD, "next": "/", "csrf": csrf_of(form.text)},
        )  # fmt: skip
    cookie = next(
        value for value in answer.headers.get_list("set-cookie") if value.startswith(SESSION_COOKIE)
    )
    assert "secure" in {part.strip().lower() for part in cookie.split(";")}


async def test_a_form_posted_without_its_csrf_token_is_refused(browsers: Browsers) -> None:
    account = browsers.account("clinician")
    browser = await browsers.anonymous()
    await browser.get("/sign-in")
    data = {"name": account, "password": PASSWORD, "next": "/"}

    refused = await browser.http.post("/sign-in", data=data, headers=HTML)
    forged = await browser.http.post("/sign-in", data={**data, "csrf": "x" * 43}, headers=HTML)

    assert refused.status_code == 403
    assert forged.status_code == 403
    assert "CSRF" in refused.text
    signed = await browsers.signed_in("clinician", name="clinician-other")
    out = await signed.http.post("/sign-out", headers=HTML)
    assert out.status_code == 403
    assert (await signed.get("/")).status_code in {200, 303}  # still signed in


async def test_a_wrong_password_says_so_and_five_in_a_row_lock_the_account(browsers: Browsers) -> None:
    account = browsers.account("tracer")
    browser = await browsers.anonymous()
    for _ in range(5):
        wrong = await browser.post("/sign-in", {"name": account, "password": "nope", "next": "/"})
        assert wrong.status_code == 401
        assert "mot de passe est faux" in wrong.text
        assert 'value="tracer-web"' in wrong.text
        assert "nope" not in wrong.text

    locked = await browser.post("/sign-in", {"name": account, "password": PASSWORD, "next": "/"})

    assert locked.status_code == 401


async def test_signing_out_ends_the_session_on_the_server(
    browsers: Browsers, installation: Installation
) -> None:
    browser = await browsers.signed_in("dpo")
    cookie = browser.http.cookies[SESSION_COOKIE]

    out = await browser.post("/sign-out", {}, form_of="/")

    assert out.status_code == 303
    assert out.headers["location"] == "/sign-in"
    copy = await browsers.anonymous()
    copy.http.cookies.set(SESSION_COOKIE, cookie)
    again = await copy.get("/")
    assert again.status_code == 303
    assert again.headers["location"].startswith("/sign-in?next=")
    with installation.database.read() as session:
        assert session.scalars(select(WebSessionRow)).one().ended_at is not None


async def test_a_page_asked_for_without_a_session_leads_to_sign_in_and_back(browsers: Browsers) -> None:
    account = browsers.account("epidemiologist")
    browser = await browsers.anonymous()

    away = await browser.get("/", at="2026-03-01")

    assert away.status_code == 303
    assert away.headers["location"] == "/sign-in?next=%2F%3Fat%3D2026-03-01"
    back = await browser.post("/sign-in", {"name": account, "password": PASSWORD, "next": "/?at=2026-03-01"})
    assert back.headers["location"] == "/?at=2026-03-01"


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/", "/\\evil.example"])
async def test_sign_in_never_sends_the_reader_to_another_site(browsers: Browsers, target: str) -> None:
    account = browsers.account("clinician")
    browser = await browsers.anonymous()

    answer = await browser.post("/sign-in", {"name": account, "password": PASSWORD, "next": target})

    assert answer.headers["location"] == "/"


async def test_the_language_follows_the_browser_and_can_be_switched(browsers: Browsers) -> None:
    browser = await browsers.anonymous()
    english = await browser.http.get("/sign-in", headers={**HTML, "Accept-Language": "en-GB,en;q=0.9"})
    french = await browser.http.get("/sign-in", headers={**HTML, "Accept-Language": "de;q=0.9, fr;q=0.8"})
    assert "<h1>Sign in</h1>" in english.text
    assert english.headers["content-language"] == "en"
    assert "<h1>Se connecter</h1>" in french.text
    assert 'lang="fr"' in french.text

    switched = await browser.post("/language", {"lang": "en", "next": "/sign-in"}, form_of="/sign-in")
    assert switched.status_code == 303
    assert switched.headers["location"] == "/sign-in"
    after = await browser.http.get("/sign-in", headers={**HTML, "Accept-Language": "fr"})
    assert "<h1>Sign in</h1>" in after.text


async def test_a_page_error_is_a_page_and_the_api_keeps_problem_json(browsers: Browsers) -> None:
    browser = await browsers.signed_in("clinician")

    page = await browser.get("/no/such/page")
    api = await browser.http.get("/api/v1/no/such/route", headers=HTML)

    assert page.status_code == 404
    assert page.headers["content-type"].startswith("text/html")
    assert "<h1>Introuvable</h1>" in page.text
    assert "Identifiant de la requête" in page.text
    assert api.status_code == 404
    assert api.headers["content-type"].startswith("application/problem+json")


async def test_every_page_sends_the_security_headers_and_is_never_cached(browsers: Browsers) -> None:
    browser = await browsers.anonymous()
    page = await browser.get("/sign-in")
    assert "frame-ancestors 'none'" in page.headers["content-security-policy"]
    assert "no-store" in page.headers["cache-control"]
    assert not re.search(r"<script[^>]*>[^<]+</script>", page.text)  # no inline script


async def test_signing_in_again_clears_the_account_s_ended_sessions(
    browsers: Browsers, installation: Installation
) -> None:
    first = await browsers.signed_in("clinician")
    # The clinician's home leads on to their first page: the form is taken from that page.
    await first.post("/sign-out", {}, form_of="/clinic/report")
    await browsers.signed_in("clinician")

    with installation.database.read() as session:
        rows = list(session.scalars(select(WebSessionRow)))
    assert len(rows) == 1
    assert rows[0].ended_at is None
