"""The case list and a case's overview for epidemiologists: `GET /epi/cases?status=&from=&to=&area=&page=`
and `GET /epi/cases/{ref}`. Pseudonymous case refs only."""

from __future__ import annotations

import re
from typing import Annotated
from urllib.parse import urlencode

from fastapi import Query, Request
from fastapi.responses import Response

from serment.tracing.case_views import PAGE_SIZE, CaseNotFound, case_overview, list_case_lines
from serment.web.pages.epi.filters import read_filters
from serment.web.pages.epi.wording import CASE_STATUSES, LABELS, SURVEILLANCE, reader_of
from serment.web.pages.i18n import N_
from serment.web.pages.templating import render
from serment.web.pages.viewer import CurrentViewer, Pages, installation_of

router = Pages()
CASES = "/epi/cases"
Typed = Annotated[str, Query(max_length=32)]
# Case refs are letters and digits; anything else names no case and is not looked up.
_REF = re.compile(r"[A-Za-z0-9]{1,32}")
NO_SUCH_CASE = N_("No such case")
NO_SUCH_CASE_DETAIL = N_("No case has the ref %(ref)s. The case list leads to every case.")


@router.page(CASES, purpose=SURVEILLANCE, action="list")
def cases_page(
    request: Request,
    viewer: CurrentViewer,
    *,
    status: Typed = "",
    start: Annotated[str, Query(alias="from", max_length=32)] = "",
    to: Typed = "",
    area: Typed = "",
    page: Typed = "",
) -> Response:
    """Cases, latest reported first, 50 a page, with their tier and chain; filters that cannot be read
    are shown again as typed, each with its problem (422)."""
    platform = installation_of(request).platform
    today = platform.clock.now().date()
    filters = read_filters(
        reader_of(request), today, start=start, end=to, area=area, status=status, page=page
    )
    statuses = [("", N_("Every status")), *CASE_STATUSES.items()]
    context = {
        **LABELS,
        "title": N_("Cases"),
        "filters": filters,
        "statuses": statuses,
        "page_size": PAGE_SIZE,
    }
    if not filters.valid:
        return render(request, "epi/cases.html", {**context, "cases": None}, status=422)
    cases = list_case_lines(
        platform, viewer.request(), status=filters.status, reported_from=filters.start,
        reported_to=filters.end, area=filters.area, page=filters.page,
    )  # fmt: skip
    kept = {name: value for name, value in filters.typed.items() if value}
    base = CASES + (f"?{urlencode(kept)}" if kept else "")
    return render(request, "epi/cases.html", {**context, "cases": cases, "base": base})


@router.page(CASES + "/{ref}", purpose=SURVEILLANCE, action="list")
def case_page(request: Request, viewer: CurrentViewer, ref: str) -> Response:
    """One case: its dates, tier and plan, the settings of its exposures, its chain and cluster; no
    identity. Reading it is audited with its person."""
    platform = installation_of(request).platform
    try:
        if not _REF.fullmatch(ref):
            raise CaseNotFound(ref)
        case = case_overview(platform, viewer.request(), ref)
    except CaseNotFound:
        reader = reader_of(request)
        problem = {"title": reader.say(NO_SUCH_CASE), "detail": reader.say(NO_SUCH_CASE_DETAIL, ref=ref[:32])}
        return render(request, "error.html", {"problem": problem, "title": NO_SUCH_CASE}, status=404)
    return render(request, "epi/case.html", {**LABELS, "title": N_("Case"), "case": case})
