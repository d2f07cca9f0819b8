"""The laboratory's pages: upload a file of results, follow its import, and read its report (every
bad row with its line and reasons), with the laboratory's past imports."""

from __future__ import annotations

from serment.web.pages import nav
from serment.web.pages.i18n import N_
from serment.web.pages.lab import imports
from serment.web.pages.viewer import Pages

router = Pages()
router.include_router(imports.router)
router.include_router(imports.upload_router)

nav.declare(nav.NavItem("/lab/imports", N_("Import results"), "care", "report", order=20))
