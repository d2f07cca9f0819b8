"""The clinician's pages: report a case with its contacts in one form, the receipts and the list of
their own reports, and their patients looked up for care."""

from __future__ import annotations

from serment.web.pages import nav
from serment.web.pages.clinic import patients, reports
from serment.web.pages.i18n import N_
from serment.web.pages.viewer import Pages

router = Pages()
router.include_router(reports.router)
router.include_router(patients.router)

# "Report a case" is shown to those who also read what they report (clinicians): a laboratory may
# still report a case by its address, and lands on its own page, the import of results.
nav.declare(
    nav.NavItem("/clinic/report", N_("Report a case"), "care", "read", order=10),
    nav.NavItem("/clinic/reports", N_("My reports"), "care", "read", order=11),
    nav.NavItem("/clinic/patients", N_("My patients"), "care", "read", order=12),
)
