"""What route handlers receive from the app: the open installation."""

from __future__ import annotations

from typing import Annotated, cast

from fastapi import Depends, Request

from serment.installation import Installation


def _installation(request: Request) -> Installation:
    return cast(Installation, request.app.state.installation)


CurrentInstallation = Annotated[Installation, Depends(_installation)]
