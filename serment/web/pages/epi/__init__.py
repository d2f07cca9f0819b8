"""The epidemiologist's pages (purpose surveillance): the dashboard, the case list and each case, the
transmission chains as graphs one can click, and the cluster alerts to investigate. They show
pseudonymous case refs, dates, départements, settings and counts: never an identity, never a
person's ref."""

from __future__ import annotations

from serment.web.pages.epi import cases, chains, clusters, dashboard
from serment.web.pages.epi.wording import SURVEILLANCE
from serment.web.pages.i18n import N_
from serment.web.pages.nav import NavItem, declare
from serment.web.pages.viewer import Pages

router = Pages()
for part in (dashboard, cases, chains, clusters):
    router.include_router(part.router)

declare(
    NavItem(dashboard.DASHBOARD, N_("Dashboard"), SURVEILLANCE, "list", order=10),
    NavItem(cases.CASES, N_("Cases"), SURVEILLANCE, "list", order=20),
    NavItem(clusters.CLUSTERS, N_("Cluster alerts"), SURVEILLANCE, "list", order=30),
)
