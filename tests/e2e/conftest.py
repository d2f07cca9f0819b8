"""End-to-end fixtures: a real server and Debian's Chromium driven by Playwright, with every
browser request checked to stay on the loopback interface."""

from __future__ import annotations

import ipaddress
import shutil
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, Route, sync_playwright

from serment.demo.accounts import ACCOUNT_NAMES
from tests.server_process import ServerProcess, run_cli

DEMO_PASSWORD = "e2e-demo-password"
DEMO_PEOPLE = 3000

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts" / "e2e"
# The flags the machine's probe found necessary: without them Chromium phones home at start.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def is_loopback(url: str) -> bool:
    """Whether `url` stays on this machine (or is a data: or blob: URL, which go nowhere)."""
    parts = urlsplit(url)
    if parts.scheme in {"data", "blob", "about"}:
        return True
    host = parts.hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """One Serment serving an initialised SQLite installation for the whole e2e session."""
    data_dir = tmp_path_factory.mktemp("e2e") / "data"
    init = run_cli("init", "--data-dir", str(data_dir))
    assert init.returncode == 0, init.stderr
    with ServerProcess(data_dir) as running:
        yield running


@pytest.fixture(scope="session")
def demo_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """One Serment serving a small demo outbreak (every role's account, password DEMO_PASSWORD)
    for the whole e2e session. Tests that change data use people of their own, not the demo's."""
    data_dir = tmp_path_factory.mktemp("e2e-demo") / "data"
    loaded = run_cli(
        "demo", "--data-dir", str(data_dir), "--no-serve", "--people", str(DEMO_PEOPLE), "--days", "30",
        extra={"SERMENT_DEMO_PASSWORD": DEMO_PASSWORD}, timeout=600,
    )  # fmt: skip
    assert loaded.returncode == 0, loaded.stderr
    with ServerProcess(data_dir) as running:
        yield running


def sign_in(page: Page, server: ServerProcess, role: str, *, language: str = "en") -> None:
    """Sign in from `page` as the demo account of `role`, with the pages in `language`."""
    page.goto(f"{server.base_url}/sign-in")
    if page.locator("html").get_attribute("lang") != language:
        page.locator(f'form[action="/language"] button[value="{language}"]').click()
    page.get_by_label("Account name" if language == "en" else "Nom du compte").fill(ACCOUNT_NAMES[role])
    page.get_by_label("Password" if language == "en" else "Mot de passe").fill(DEMO_PASSWORD)
    page.locator('form[action="/sign-in"] button[type="submit"]').click()
    page.wait_for_load_state()
    assert "/sign-in" not in page.url, page.content()[:2000]


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Headless Debian Chromium, for one module at a time: Playwright's synchronous API runs an
    event loop for as long as it lives, and the asyncio tests of other folders need theirs."""
    if CHROMIUM is None:
        pytest.skip("Chromium is not installed")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


class Sovereignty:
    """Every request the browser made, and those it was stopped from making."""

    def __init__(self) -> None:
        self.requested: list[str] = []
        self.blocked: list[str] = []

    def guard(self, route: Route) -> None:
        url = route.request.url
        self.requested.append(url)
        if is_loopback(url):
            route.continue_()
        else:
            self.blocked.append(url)
            route.abort("blockedbyclient")


@pytest.fixture
def sovereignty() -> Sovereignty:
    return Sovereignty()


@pytest.fixture
def context(browser: Browser, sovereignty: Sovereignty) -> Iterator[BrowserContext]:
    """A fresh browser profile whose every request passes the sovereignty guard."""
    fresh = browser.new_context()
    fresh.route("**/*", sovereignty.guard)
    yield fresh
    fresh.close()
    assert sovereignty.blocked == [], f"the browser tried to leave the machine: {sovereignty.blocked}"


@pytest.fixture
def page(context: BrowserContext) -> Page:
    """A page that reports Content-Security-Policy violations to its console as errors."""
    opened = context.new_page()
    opened.add_init_script(
        "document.addEventListener('securitypolicyviolation', e =>"
        " console.error('CSP violation: ' + e.violatedDirective + ' ' + e.blockedURI))"
    )
    return opened


def screenshot(page: Page, name: str) -> Path:
    """Save a full-page screenshot under artifacts/e2e/ and return its path."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
