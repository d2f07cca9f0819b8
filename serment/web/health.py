"""`GET /health`: whether this Serment can serve, for people and for monitoring."""

from __future__ import annotations

from http import HTTPStatus
from typing import Literal

from fastapi import APIRouter, Response
from pydantic import BaseModel, Field

from serment.installation import check_health
from serment.web.dependencies import CurrentInstallation
from serment.web.grants import PUBLIC

router = APIRouter(tags=["health"])


class DatabaseHealth(BaseModel):
    """The database as this instance sees it."""

    reachable: bool = Field(description="Whether the database answered.")
    schema_: Literal["empty", "behind", "current", "ahead"] | None = Field(
        alias="schema",
        description="How its schema compares with the migrations of this version; null if unreachable.",
    )


class HealthReport(BaseModel):
    """Overall status, version and database state."""

    status: Literal["ok", "unavailable"]
    version: str
    database: DatabaseHealth


@router.get(
    "/health",
    openapi_extra=PUBLIC,
    response_model=HealthReport,
    responses={
        HTTPStatus.SERVICE_UNAVAILABLE.value: {
            "model": HealthReport,
            "description": "Cannot serve.",
        }
    },
    summary="Whether this instance can serve",
)
def health(installation: CurrentInstallation, response: Response) -> HealthReport:
    """Answers 200 when the database is reachable and its schema current, 503 otherwise."""
    result = check_health(installation)
    if not result.ok:
        response.status_code = HTTPStatus.SERVICE_UNAVAILABLE
    return HealthReport(
        status="ok" if result.ok else "unavailable",
        version=result.version,
        database=DatabaseHealth(
            reachable=result.database_reachable,
            schema=result.schema.value if result.schema is not None else None,
        ),
    )
