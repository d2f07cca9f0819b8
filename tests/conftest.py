"""Fixtures shared by every test: settings isolated from the environment, an installation on
SQLite and (when SERMENT_TEST_DATABASE_URL is set) on PostgreSQL, the app and an HTTP client."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from serment.access import Platform, operator
from serment.access.accounts import add_user, create_token, link_patient
from serment.clock import FixedClock
from serment.installation import Installation, initialise, open_installation
from serment.settings import Settings
from serment.web import create_app
from tests import sovereignty
from tests.pages import Browsers, browsers_for

POSTGRES_URL_VARIABLE = "SERMENT_TEST_DATABASE_URL"
# Nothing the tests run may reach another machine: the guard sees every socket of this process.
sovereignty.install()

# Local runs explore new examples every time; CI replays a fixed set, so that a landing never depends
# on what a random draw happened to find that day, and a loaded machine trips no speed check.
hypothesis_settings.register_profile(
    "ci", derandomize=True, database=None, suppress_health_check=[HealthCheck.too_slow], deadline=None
)
if os.environ.get("CI"):
    hypothesis_settings.load_profile("ci")
REPOSITORY = Path(__file__).resolve().parent.parent
START = datetime(2026, 3, 2, 8, 30, tzinfo=UTC)


def postgres_base_url() -> str | None:
    """The PostgreSQL database the tests may fill, normalised to psycopg 3, or None."""
    given = os.environ.get(POSTGRES_URL_VARIABLE)
    return Settings(database_url=given).database_url if given else None


@pytest.fixture(autouse=True)
def _stays_on_this_machine() -> Iterator[None]:
    """Fails a test during which this process tried to reach a non-loopback address, even if the
    code under test caught the refusal."""
    before = len(sovereignty.REFUSED)
    yield
    refused = sovereignty.REFUSED[before:]
    assert refused == [], f"the test tried to leave the machine: {refused}"


@pytest.fixture(autouse=True)
def _isolated_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """No SERMENT_* variable of the developer's shell leaks into a test."""
    for name in list(os.environ):
        if name.startswith("SERMENT_") and name != POSTGRES_URL_VARIABLE:
            monkeypatch.delenv(name)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgresql)])
def database_url(request: pytest.FixtureRequest) -> Iterator[str | None]:
    """None for the embedded SQLite database; on PostgreSQL, a URL to a schema of this test's own."""
    if request.param == "sqlite":
        yield None
        return
    base = postgres_base_url()
    if base is None:
        pytest.skip(f"set {POSTGRES_URL_VARIABLE} to run this test on PostgreSQL")
    with postgres_schema(base, "test") as url:
        yield url


@contextmanager
def postgres_schema(base: str, prefix: str) -> Iterator[str]:
    """A URL to a fresh schema of the PostgreSQL database `base`, named `<prefix>_<random>` and
    dropped afterwards, so that runs sharing one database never see each other's tables."""
    schema = f"{prefix}_{uuid.uuid4().hex[:16]}"
    admin = create_engine(base)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        url = make_url(base).update_query_dict({"options": f"-csearch_path={schema}"})
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture
def settings(tmp_path: Path, database_url: str | None) -> Settings:
    """Settings of a fresh installation in a temporary data directory."""
    return Settings(data_dir=tmp_path / "data", database_url=database_url)


@pytest.fixture
def clock() -> FixedClock:
    """A clock standing at 2 March 2026, 08:30 UTC."""
    return FixedClock(START)


@pytest.fixture
def installation(settings: Settings, clock: FixedClock) -> Iterator[Installation]:
    """An initialised and opened installation."""
    initialise(settings, clock=clock)
    opened = open_installation(settings, clock=clock)
    yield opened
    opened.close()


@pytest.fixture
def app(settings: Settings, installation: Installation) -> FastAPI:
    """The web application over the installation."""
    return create_app(settings, installation=installation)


@pytest.fixture
def anyio_backend() -> str:
    """HTTP tests run on asyncio, as uvicorn does."""
    return "asyncio"


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client speaking to the app in-process, through ASGI."""
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://serment.test") as http:
        yield http


@pytest.fixture
def platform(installation: Installation) -> Platform:
    """What the use cases are given, over the test installation."""
    return installation.platform


class Accounts:
    """Accounts of any role, created on first use, each with an API token."""

    def __init__(self, platform: Platform) -> None:
        self._platform = platform
        self._tokens: dict[str, str] = {}

    def token(self, role: str, *, name: str | None = None, person_ref: str | None = None) -> str:
        """The API token of the account `name` (default: `<role>-1`) of `role`, created if needed."""
        name = name or f"{role}-1"
        if name not in self._tokens:
            add_user(self._platform, operator(), name=name, role=role, organisation=f"{role.title()} Org")
            if person_ref is not None:
                link_patient(self._platform, operator(), name=name, person_ref=person_ref)
            self._tokens[name] = create_token(self._platform, operator(), name=name, days=365).token
        return self._tokens[name]

    def headers(
        self, role: str, *, purpose: str | None = None, name: str | None = None, person_ref: str | None = None
    ) -> dict[str, str]:
        """Authorization (and Serment-Purpose, if given) headers for an account of `role`."""
        headers = {"Authorization": f"Bearer {self.token(role, name=name, person_ref=person_ref)}"}
        if purpose is not None:
            headers["Serment-Purpose"] = purpose
        return headers


@pytest.fixture
def accounts(platform: Platform) -> Accounts:
    """Accounts of every role, created on demand."""
    return Accounts(platform)


@pytest.fixture
async def browsers(app: FastAPI, platform: Platform) -> AsyncIterator[Browsers]:
    """Browsers signed in as accounts of any role (password accounts, cookies and CSRF tokens)."""
    async for made in browsers_for(app, platform):
        yield made
