"""The epidemiologist's dashboard: `GET /epi/dashboard?from=&to=&area=`."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import Annotated
from urllib.parse import urlencode

from fastapi import Query, Request
from fastapi.responses import Response

from serment.tracing.dashboard import TierCount, dashboard
from serment.web.pages.epi.charts import epidemic_curve
from serment.web.pages.epi.filters import DEFAULT_DAYS, MOST_DAYS, read_range
from serment.web.pages.epi.wording import LABELS, PLACES, SURVEILLANCE, reader_of
from serment.web.pages.i18n import N_
from serment.web.pages.templating import render
from serment.web.pages.viewer import CurrentViewer, Pages, installation_of

router = Pages()
DASHBOARD = "/epi/dashboard"
Typed = Annotated[str, Query(max_length=32)]


@router.page(DASHBOARD, purpose=SURVEILLANCE, action="list")
def dashboard_page(
    request: Request,
    viewer: CurrentViewer,
    start: Annotated[str, Query(alias="from", max_length=32)] = "",
    to: Typed = "",
    area: Typed = "",
) -> Response:
    """The curve, tiers, chains and cluster alerts of a range of dates and an area; filters that cannot
    be read are shown again as typed, each with its problem, and nothing else (422)."""
    platform = installation_of(request).platform
    today = platform.clock.now().date()
    reader = reader_of(request)
    filters = read_range(reader, today, start=start, end=to, area=area)
    context = {
        **LABELS,
        "title": N_("Dashboard"),
        "filters": filters,
        "most_days": MOST_DAYS,
        "default_days": DEFAULT_DAYS,
    }
    if not filters.valid or filters.start is None or filters.end is None:
        return render(request, "epi/dashboard.html", {**context, "board": None}, status=422)
    board = dashboard(platform, viewer.request(), start=filters.start, end=filters.end, area=filters.area)
    # Dates left empty show the range chosen for them.
    filters.typed["from"], filters.typed["to"] = board.start.isoformat(), board.end.isoformat()
    places = [place for place in PLACES if any(count.place == place for count in board.tiers)]
    places += sorted({count.place for count in board.tiers} - set(places))
    return render(
        request,
        "epi/dashboard.html",
        {
            **context,
            "board": board,
            "chart": epidemic_curve(board.curve, reader.locale),
            "peak": max(board.curve, key=lambda day: (day.by_onset, day.day)),
            "places": places,
            "tier_rows": tier_rows(board.tiers),
            "at_query": "" if board.end == today else f"?{urlencode({'at': board.end.isoformat()})}",
        },
    )


@dataclass(frozen=True)
class TierRow:
    """A row of the tiers table: a tier, how many of its people are in quarantine at each place, how
    many are released, and how many hold it in all."""

    tier: int
    name: str
    in_quarantine: dict[str, int]
    released: int

    @property
    def total(self) -> int:
        """Everyone holding the tier."""
        return sum(self.in_quarantine.values()) + self.released


def tier_rows(counts: Iterable[TierCount]) -> list[TierRow]:
    """The tiers table, a row a tier in tier order, from the counts by tier and place."""
    rows: dict[int, TierRow] = {}
    for count in counts:
        row = rows.setdefault(count.tier, TierRow(count.tier, count.name, {}, 0))
        row.in_quarantine[count.place] = row.in_quarantine.get(count.place, 0) + count.in_quarantine
        rows[count.tier] = replace(row, released=row.released + count.released)
    return [rows[tier] for tier in sorted(rows)]
