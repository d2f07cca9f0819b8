"""Who is calling: an API token in `Authorization: Bearer`, and the purpose in `Serment-Purpose`."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Header, HTTPException
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from serment.access import Request
from serment.access.accounts import AuthenticationFailed, authenticate_token
from serment.web.dependencies import CurrentInstallation
from serment.web.request_id import current_request_id

PURPOSE_HEADER = "Serment-Purpose"
_bearer = HTTPBearer(auto_error=False, description="An API token from `serment token create`.")


def _caller(
    installation: CurrentInstallation,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    stated_purpose: Annotated[
        str | None,
        Header(
            alias=PURPOSE_HEADER,
            max_length=32,
            description="Why the data is accessed (care, tracing, surveillance, research, audit, self, "
            "administration); optional for a role with a single purpose.",
        ),
    ] = None,
) -> Request:
    if credentials is None:
        raise HTTPException(
            401,
            detail="this address needs an API token: send `Authorization: Bearer <token>` "
            "(an administrator creates one with `serment token create`)",
            headers={"WWW-Authenticate": "Bearer"},
        )
    try:
        actor = authenticate_token(installation.platform, credentials.credentials, current_request_id())
    except AuthenticationFailed as failure:
        raise HTTPException(401, detail=str(failure), headers={"WWW-Authenticate": "Bearer"}) from None
    purpose = stated_purpose.strip() if stated_purpose else None
    return Request(actor=actor, purpose=purpose, request_id=current_request_id())


Caller = Annotated[Request, Depends(_caller)]
