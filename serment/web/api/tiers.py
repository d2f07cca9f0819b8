"""The tiers at a date, for epidemiologists and partners: JSON, or CSV with the columns partners match on."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from fastapi import APIRouter, Query
from fastapi.responses import Response
from pydantic import BaseModel, Field

from serment.tracing.tier_lists import TierItem, list_tiers, tiers_csv
from serment.web.api.params import IsoDate
from serment.web.auth import Caller
from serment.web.dependencies import CurrentInstallation
from serment.web.grants import granted

router = APIRouter(prefix="/tracing", tags=["tracing"])
CSV_MEDIA_TYPE = "text/csv"


class TierOut(BaseModel):
    """A person with a tier at the date asked: pseudonymous ref, the reporter's own reference for them,
    their tier (0 for a case) and their quarantine plan."""

    ref: str = Field(description="The person's pseudonymous ref in Serment.")
    external_ref: str | None = Field(description="The reference a reporter gave for the person, if any.")
    tier: int = Field(description="0 for a case, 1 for a contact of a case, 2 for a contact of a contact...")
    tier_name: str = Field(description="The tier's name in the policy (F0, F1... or cas, contact à risque).")
    place: str = Field(description="hospital, facility, home or self_monitoring.")
    quarantine_start: date
    quarantine_until: date
    tests_due: list[date]
    released: bool = Field(description="Whether the quarantine has ended by the date asked.")
    cleared: bool = Field(description="Whether a negative test stops the person passing a tier on.")


class TiersOut(BaseModel):
    """Everyone with a tier at `at`: cases first, then each contact tier."""

    at: date
    items: list[TierOut]


@router.get(
    "/tiers",
    openapi_extra=granted("list", on_person=False),
    response_model=TiersOut,
    summary="Everyone's tier and quarantine at a date",
    responses={200: {"content": {CSV_MEDIA_TYPE: {}}, "description": "JSON, or CSV with format=csv"}},
)
def get_tiers(
    caller: Caller,
    installation: CurrentInstallation,
    at: Annotated[IsoDate | None, Query(description="The date (YYYY-MM-DD); today when left out.")] = None,
    format: Annotated[Literal["json", "csv"], Query(description="json (default) or csv.")] = "json",
) -> TiersOut | Response:
    """Today's tiers are those stored, updated by every report; another date's are computed from the data
    as it stands. 422 for a date in the future or before any data. The CSV holds the columns
    ref, external_ref, tier, place, quarantine_until."""
    tiers = list_tiers(installation.platform, caller, at)
    if format == "csv":
        return Response(tiers_csv(tiers), media_type=f"{CSV_MEDIA_TYPE}; charset=utf-8")
    return TiersOut(at=tiers.at, items=[_out(item) for item in tiers.items])


def _out(item: TierItem) -> TierOut:
    return TierOut(
        ref=item.ref, external_ref=item.external_ref, tier=item.tier, tier_name=item.tier_name,
        place=item.place, quarantine_start=item.quarantine_start, quarantine_until=item.quarantine_until,
        tests_due=list(item.tests_due), released=item.released, cleared=item.cleared,
    )  # fmt: skip
