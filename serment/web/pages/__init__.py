"""The HTML pages: every role's work in French and English, without JavaScript, from this server only.

Each part of the interface is a module with a `router` of pages (`viewer.Pages`) and the navigation
entries it declares (`nav.declare`); `pages_router` gathers them for the app.
"""

from __future__ import annotations

from fastapi import APIRouter

from serment.web.pages import account, admin, clinic, dpo, epi, lab, patient, tracer
from serment.web.pages.errors import install_page_errors

# Every part of the interface, in the order its routes are matched.
PARTS = (account, clinic, lab, epi, tracer, admin, dpo, patient)


def pages_router() -> APIRouter:
    """A router holding every page, for one app."""
    router = APIRouter(include_in_schema=False)
    for part in PARTS:
        router.include_router(part.router)
    return router


__all__ = ["install_page_errors", "pages_router"]
