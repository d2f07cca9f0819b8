"""Cluster alerts and their investigation: `GET /epi/clusters?status=&page=` and
`POST /epi/clusters/{id}/status`, which moves an alert from new to investigating or closed, or from
investigating to closed, through `change_cluster_status` (audited there)."""

from __future__ import annotations

from http import HTTPStatus
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import Form, Query, Request
from fastapi.responses import RedirectResponse, Response

from serment.tracing.clusters import ClusterError, change_cluster_status, list_clusters
from serment.web.pages.epi.wording import ALERT_MOVES, ALERT_STATUSES, LABELS, SURVEILLANCE, reader_of
from serment.web.pages.i18n import N_
from serment.web.pages.templating import render
from serment.web.pages.viewer import CurrentViewer, Pages, Viewer, installation_of

router = Pages()
CLUSTERS = "/epi/clusters"
PAGE_SIZE = 50
LAST_PAGE = 100_000
Typed = Annotated[str, Query(max_length=32)]

NOT_A_STATUS = N_("Choose a status from the list.")
NO_SUCH_ALERT = N_("No cluster alert has the id %(id)s.")
CANNOT_MOVE = N_(
    "Alert %(id)s cannot move to “%(status)s” from its status: an alert moves from New to Investigating "
    "or Closed, and from Investigating to Closed. The list shows its status now."
)
NOT_A_MOVE = N_("“%(status)s” is not a status an alert can be moved to: choose Investigating or Closed.")
MOVED = N_("Alert %(id)s is now “%(status)s”.")


@router.page(CLUSTERS, purpose=SURVEILLANCE, action="list")
def clusters_page(
    request: Request, viewer: CurrentViewer, status: Typed = "", page: Typed = "", moved: Typed = ""
) -> Response:
    """Cluster alerts, latest raised first, of one status if chosen, 50 a page."""
    errors = {}
    if status and status not in ALERT_STATUSES:
        errors["status"] = reader_of(request).say(NOT_A_STATUS)
    number = _page(page)
    context = _context(request, viewer, status, number, errors=errors)
    if moved.isdigit():
        shown = next((alert for alert in context["alerts"] if alert.id == int(moved)), None)
        if shown is not None:
            label = reader_of(request).say(ALERT_STATUSES[shown.status])
            context["notice"] = reader_of(request).say(MOVED, id=shown.id, status=label)
    return render(request, "epi/clusters.html", context, status=422 if errors else 200)


@router.page(CLUSTERS + "/{alert}/status", purpose=SURVEILLANCE, action="investigate", methods=("POST",))
def move_cluster(
    request: Request,
    viewer: CurrentViewer,
    *,
    alert: str,
    status: Annotated[str, Form(max_length=32)] = "",
    shown: Annotated[str, Form(max_length=32)] = "",
    page: Annotated[str, Form(max_length=12)] = "",
) -> Response:
    """Move the alert, then show the list again (303); a move the rules refuse is explained beside the
    alert, in the list as it stands (404, 409 or 422)."""
    platform = installation_of(request).platform
    reader = reader_of(request)
    back = {"status": shown if shown in ALERT_STATUSES else "", "page": str(_page(page))}
    try:
        if not alert.isdigit() or not 1 <= int(alert) <= 2**62:
            raise ClusterError("not an alert id", HTTPStatus.NOT_FOUND, "No such cluster alert")
        moved = change_cluster_status(platform, viewer.request(), int(alert), status)
    except ClusterError as refusal:
        label = reader.say(ALERT_STATUSES[status]) if status in ALERT_STATUSES else status
        message = {
            HTTPStatus.NOT_FOUND: reader.say(NO_SUCH_ALERT, id=alert[:32]),
            HTTPStatus.CONFLICT: reader.say(CANNOT_MOVE, id=alert, status=label),
        }.get(HTTPStatus(refusal.status), reader.say(NOT_A_MOVE, status=status[:32]))
        context = _context(request, viewer, back["status"], int(back["page"]), errors={"move": message})
        context["failed_alert"] = alert
        return render(request, "epi/clusters.html", context, status=refusal.status)
    target = {name: value for name, value in {**back, "moved": str(moved.id)}.items() if value}
    return RedirectResponse(f"{CLUSTERS}?{urlencode(target)}", status_code=303)


def _page(text: str) -> int:
    return int(text) if text.isdigit() and 1 <= int(text) <= LAST_PAGE else 1


def _context(
    request: Request, viewer: Viewer, status: str, page: int, *, errors: dict[str, str]
) -> dict[str, Any]:
    """What the list shows: the alerts of `status` (every status when empty or unknown) on `page`."""
    chosen = status if status in ALERT_STATUSES else None
    total, alerts = list_clusters(
        installation_of(request).platform, viewer.request(), chosen, limit=PAGE_SIZE,
        offset=(page - 1) * PAGE_SIZE,
    )  # fmt: skip
    return {
        **LABELS,
        "title": N_("Cluster alerts"),
        "status": status,
        "statuses": [("", N_("Every status")), *ALERT_STATUSES.items()],
        "moves": ALERT_MOVES,
        "alerts": alerts,
        "total": total,
        "page": page,
        "has_next": total > page * PAGE_SIZE,
        "base": CLUSTERS + (f"?{urlencode({'status': chosen})}" if chosen else ""),
        "errors": errors,
        "failed_alert": None,
        "notice": None,
    }
