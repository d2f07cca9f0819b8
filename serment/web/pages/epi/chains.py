"""A transmission chain as a graph one can click: `GET /epi/chains/{id}?at=&page=`. Each case is a link to
its overview, reachable with the keyboard; a table under the drawing lists the same cases and links,
50 a page, for those who cannot use the graph."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

from fastapi import Query, Request
from fastapi.responses import Response

from serment.tracing.chains import ChainError, chain_graph
from serment.web.pages.epi.filters import read_filters
from serment.web.pages.epi.graphs import CAP, RADIUS, lay_out
from serment.web.pages.epi.wording import LABELS, SETTING_COLOURS, SETTINGS, SURVEILLANCE, reader_of
from serment.web.pages.i18n import N_
from serment.web.pages.templating import render
from serment.web.pages.viewer import CurrentViewer, Pages, installation_of

router = Pages()
CHAINS = "/epi/chains"
TABLE_PAGE = 50
Typed = Annotated[str, Query(max_length=32)]
NO_SUCH_CHAIN = N_("No such chain")
NO_SUCH_CHAIN_DETAIL = N_(
    "No chain has the id %(chain)s on %(date)s. A chain is named by its earliest case: it has no name "
    "before that case started, and loses it when it joins an older chain. The dashboard and the case "
    "list lead to the chains of the day."
)


@router.page(CHAINS + "/{chain}", purpose=SURVEILLANCE, action="list")
def chain_page(
    request: Request, viewer: CurrentViewer, chain: str, at: Typed = "", page: Typed = ""
) -> Response:
    """The chain `chain` at `at` (today when empty): its graph (up to CAP cases) and its table."""
    platform = installation_of(request).platform
    today = platform.clock.now().date()
    reader = reader_of(request)
    filters = read_filters(reader, today, end=at, page=page)
    context = {**LABELS, "title": N_("Transmission chain"), "chain_id": chain[:32], "filters": filters}
    if not filters.valid:
        return render(request, "epi/chain.html", {**context, "graph": None}, status=422)
    day = filters.end or today
    try:
        graph = chain_graph(platform, viewer.request(), chain, at=day)
    except ChainError:
        problem = {
            "title": reader.say(NO_SUCH_CHAIN),
            "detail": reader.say(NO_SUCH_CHAIN_DETAIL, chain=chain[:32], date=reader.date(day)),
        }
        return render(request, "error.html", {"problem": problem, "title": NO_SUCH_CHAIN}, status=404)
    first = (filters.page - 1) * TABLE_PAGE
    kept = {"at": filters.typed["to"]} if filters.typed["to"] else {}
    return render(
        request,
        "epi/chain.html",
        {
            **context,
            "graph": graph,
            "drawing": lay_out(graph),
            "cap": CAP,
            "radius": RADIUS,
            "nodes": graph.nodes[first : first + TABLE_PAGE],
            "edges": graph.edges[first : first + TABLE_PAGE],
            "has_next": max(len(graph.nodes), len(graph.edges)) > first + TABLE_PAGE,
            "base": f"{CHAINS}/{graph.chain.id}" + (f"?{urlencode(kept)}" if kept else ""),
            "settings": [setting for setting in SETTINGS if setting in graph.chain.settings],
            "colours": SETTING_COLOURS,
            "at_query": f"?{urlencode({'at': day.isoformat()})}" if day != today else "",
        },
    )
