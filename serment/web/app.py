"""The app factory: one FastAPI application over one open installation."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from serment import __version__
from serment.installation import Installation, open_installation
from serment.settings import Settings
from serment.web import api, health
from serment.web.api import docs
from serment.web.edge import Edge
from serment.web.fhir import install_outcome_handlers
from serment.web.fhir import router as fhir_router
from serment.web.pages import install_page_errors, pages_router
from serment.web.problems import install_problem_handlers

STATIC = Path(__file__).parent / "static"


def create_app(settings: Settings, *, installation: Installation | None = None) -> FastAPI:
    """Build the application for `settings`, over `installation` if given, else one it opens.

    An installation the app opened itself is closed when the app shuts down.
    """
    owned = installation is None
    opened = installation if installation is not None else open_installation(settings)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        yield
        if owned:
            opened.close()

    app = FastAPI(
        title="Serment",
        version=__version__,
        summary="Epidemic reporting, contact tracing and a research hub that keep medical secrecy.",
        openapi_url=api.OPENAPI_URL,
        docs_url=None,
        redoc_url=None,
        lifespan=lifespan,
    )
    app.state.installation = opened
    app.state.settings = settings
    install_problem_handlers(app)
    install_outcome_handlers(app)
    install_page_errors(app)
    include_routes(app)
    app.add_middleware(Edge)
    return app


def include_routes(app: FastAPI) -> None:
    """Every route of Serment, added to `app`: the API, FHIR, the pages and their assets. Also what
    `make docs` renders docs/authorization.md from, so that the document lists exactly what is served."""
    app.include_router(health.router)
    app.include_router(api.api_router())
    app.include_router(docs.router)
    app.include_router(fhir_router)
    app.include_router(pages_router())
    app.mount(docs.SWAGGER_UI_URL, StaticFiles(directory=docs.swagger_ui_assets()), name="swagger-ui")
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
