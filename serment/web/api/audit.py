"""The audit log, for the data-protection officer."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel

from serment.access.oversight import verify_audit
from serment.web.auth import Caller
from serment.web.dependencies import CurrentInstallation
from serment.web.grants import granted

router = APIRouter(prefix="/audit", tags=["audit"])


class VerificationOut(BaseModel):
    """What `serment audit verify` says."""

    events: int
    intact: bool
    head: str | None
    first_broken: int | None
    problem: str | None
    summary: str


@router.get(
    "/verify",
    openapi_extra=granted("audit", on_person=False),
    response_model=VerificationOut,
    summary="Verify the audit chain",
)
def get_verification(caller: Caller, installation: CurrentInstallation) -> VerificationOut:
    """Walks the whole hash chain; names the first broken event if any."""
    result = verify_audit(installation.platform, caller)
    return VerificationOut(
        events=result.events,
        intact=result.intact,
        head=result.head,
        first_broken=result.first_broken,
        problem=result.problem,
        summary=result.summary(),
    )
