"""The JSON API under /api/v1. Each capability adds its router in `api_router`."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel

from serment import __version__
from serment.web.api import audit, chains, duplicates, imports, people, reports, tasks, tiers
from serment.web.grants import PUBLIC
from serment.web.problems import PROBLEM_RESPONSES

API_PREFIX = "/api/v1"
OPENAPI_URL = f"{API_PREFIX}/openapi.json"
DOCS_URL = f"{API_PREFIX}/docs"


class ApiIndex(BaseModel):
    """Where the API describes itself."""

    name: str
    version: str
    openapi: str
    docs: str


def api_index() -> ApiIndex:
    """The API's name and version, and the addresses of its OpenAPI document and docs page."""
    return ApiIndex(name="Serment", version=__version__, openapi=OPENAPI_URL, docs=DOCS_URL)


def api_router() -> APIRouter:
    """A fresh router holding every route of the API, for one app."""
    router = APIRouter(prefix=API_PREFIX, responses=PROBLEM_RESPONSES)
    router.add_api_route(
        "", api_index, methods=["GET"], response_model=ApiIndex, tags=["api"],
        summary="This API and where it is described", openapi_extra=PUBLIC,
    )  # fmt: skip
    # Before people: its /people/{ref} would take /people/duplicates and answer 422.
    router.include_router(duplicates.router)
    router.include_router(people.router)
    router.include_router(reports.router)
    router.include_router(imports.router)
    router.include_router(audit.router)
    router.include_router(tiers.router)
    router.include_router(tasks.router)
    router.include_router(chains.router)
    return router
