"""Cluster alerts: the French rule, at least `cluster_cases` confirmed cases sharing a place whose case
starts fall within `cluster_days` consecutive days, raised for epidemiologists to investigate.

The rules, for one place (a `place_id` given with exposures; a case is at the place when it is either
end of one of them), at the date of a change:

- the cases counted are the confirmed cases at the place (closed or not) whose start (see
  `standings.case_start`) is on or before that date and after the last day of the place's latest
  closed alert: cases an investigation already closed on do not raise another;
- an alert is raised (status new) when `cluster_cases` of those starts fall within `cluster_days`
  consecutive days (3 cases on days 1, 4 and 7 under a 7-day rule; not on days 1, 4 and 8). It
  covers every counted case from the first day of the earliest such window on;
- while it is open (new or investigating) it follows the place: its cases, first and last dates
  grow as cases are reported, and a late report can move its first date earlier when it makes an
  earlier window. A place has one open alert at a time; once it is closed, only cases starting after
  its last date can raise a new one.

Detection runs in the platform's listener (`detect_clusters`), in the transaction of every report:
it re-evaluates only the places of the changed people's exposures. `cluster_of` is the rule on plain
data; `list_clusters` and `change_cluster_status` serve epidemiologists, by place ids, dates, settings
and counts, never an identity.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from http import HTTPStatus

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from serment.access import Platform, Request, guard
from serment.audit import defer
from serment.audit.events import DetailValue
from serment.store import in_lists
from serment.store.tables import CaseRow, ClusterAlertRow, ExposureRow
from serment.tracing.chains import first_cases
from serment.tracing.standings import CONFIRMED

NEW, INVESTIGATING, CLOSED = "new", "investigating", "closed"
STATUSES = (NEW, INVESTIGATING, CLOSED)
OPEN = (NEW, INVESTIGATING)
# The moves an epidemiologist may make: an alert is looked into, then closed, or closed at once.
TRANSITIONS = {NEW: (INVESTIGATING, CLOSED), INVESTIGATING: (CLOSED,)}


@dataclass(frozen=True)
class Cluster:
    """What a place's alert holds: the first and last case starts it covers and how many cases."""

    first_date: date
    last_date: date
    cases: int


def window_start(starts: Iterable[date], cluster_cases: int, cluster_days: int) -> date | None:
    """The first day of the earliest window of `cluster_days` consecutive days holding at least
    `cluster_cases` of `starts` (the first start in it), or None when no window does."""
    ordered = sorted(starts)
    span = timedelta(days=cluster_days - 1)
    for index in range(len(ordered) - cluster_cases + 1):
        if ordered[index + cluster_cases - 1] - ordered[index] <= span:
            return ordered[index]
    return None


def cluster_of(
    starts: Iterable[date],
    cluster_cases: int,
    cluster_days: int,
    *,
    open_since: date | None = None,
    closed_until: date | None = None,
) -> Cluster | None:
    """The cluster a place's case starts make: None when no alert should be raised, or nothing is
    counted any more by the open alert whose first date is `open_since`. `closed_until` is the last
    date of the place's latest closed alert: starts on or before it are not counted."""
    counted = sorted(start for start in starts if closed_until is None or start > closed_until)
    first = window_start(counted, cluster_cases, cluster_days)
    if open_since is not None:
        first = open_since if first is None else min(first, open_since)
    if first is None:
        return None
    covered = [start for start in counted if start >= first]
    if not covered:
        return None
    return Cluster(covered[0], covered[-1], len(covered))


def setting_of(settings: Iterable[str]) -> str | None:
    """The setting of a place: the one its exposures name most (ties: first alphabetically)."""
    counts = Counter(settings)
    if not counts:
        return None
    return min(counts, key=lambda setting: (-counts[setting], setting))


class ClusterError(Exception):
    """A cluster alert question that has no answer: `status` is the HTTP status, `field` the part at
    fault."""

    def __init__(self, message: str, status: int, title: str, field: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.title = title
        self.field = field


@dataclass(frozen=True)
class ClusterAlert:
    """An alert as epidemiologists see it. `updated_by` is the account that last changed its status
    (None while new: the platform raised it and keeps its counts)."""

    id: int
    place_id: str
    setting: str | None
    first_date: date
    last_date: date
    cases: int
    status: str
    raised_at: datetime
    updated_at: datetime
    updated_by: str | None


def detect_clusters(platform: Platform, session: Session, people: frozenset[str]) -> None:
    """The platform's listener: re-evaluate the places of the exposures of `people`, raising or
    updating their alerts in the transaction that changed them."""
    places: set[str] = set()
    for chunk in in_lists(people):
        # Only cases are counted at a place: a change touching no case (a contact named, a negative
        # test) changes no cluster, and most changes are such.
        cases = select(CaseRow.person_ref).where(CaseRow.person_ref.in_(chunk), CaseRow.status == CONFIRMED)
        counted = list(session.scalars(cases.distinct()))
        if not counted:
            continue
        query = select(ExposureRow.place_id).where(
            or_(ExposureRow.person_ref.in_(counted), ExposureRow.contact_ref.in_(counted)),
            ExposureRow.place_id.is_not(None),
        )
        places.update(place for place in session.scalars(query.distinct()) if place is not None)
    evaluate_places(platform, session, places)


def evaluate_places(platform: Platform, session: Session, places: Collection[str]) -> None:
    """Apply the cluster rule to each of `places` today: raise, or update, its alert."""
    if not places:
        return
    rules = platform.policy.tracing
    now = platform.clock.now()
    people: dict[str, set[str]] = {}
    settings: dict[str, list[str]] = {}
    for chunk in in_lists(places):
        query = select(
            ExposureRow.place_id, ExposureRow.person_ref, ExposureRow.contact_ref, ExposureRow.setting
        ).where(ExposureRow.place_id.in_(chunk))
        for place, a, b, setting in session.execute(query):
            if place is not None:
                people.setdefault(place, set()).update((a, b))
                settings.setdefault(place, []).append(setting)
    cases = first_cases(session, now.date(), set().union(*people.values()))
    open_alerts, closed_until = _alerts_of(session, places)
    for place, present in people.items():
        alert = open_alerts.get(place)
        cluster = cluster_of(
            [cases[person].start for person in present if person in cases],
            rules.cluster_cases,
            rules.cluster_days,
            open_since=alert.first_date if alert is not None else None,
            closed_until=closed_until.get(place),
        )
        if cluster is None:
            continue
        named = setting_of(settings[place])
        if alert is None:
            session.add(
                ClusterAlertRow(
                    place_id=place, setting=named, first_date=cluster.first_date,
                    last_date=cluster.last_date, cases=cluster.cases, status=NEW, raised_at=now,
                    updated_at=now, updated_by=None,
                )
            )  # fmt: skip
        elif (alert.first_date, alert.last_date, alert.cases, alert.setting) != (
            cluster.first_date, cluster.last_date, cluster.cases, named,
        ):  # fmt: skip
            alert.first_date, alert.last_date = cluster.first_date, cluster.last_date
            alert.cases, alert.setting, alert.updated_at = cluster.cases, named, now


def _alerts_of(
    session: Session, places: Collection[str]
) -> tuple[dict[str, ClusterAlertRow], dict[str, date]]:
    """Each place's open alert (the latest, should two have been raised at once), and the last date
    of its latest closed one."""
    open_alerts: dict[str, ClusterAlertRow] = {}
    closed_until: dict[str, date] = {}
    for chunk in in_lists(places):
        query = select(ClusterAlertRow).where(
            ClusterAlertRow.place_id.in_(chunk), ClusterAlertRow.status.in_(OPEN)
        )
        for row in session.scalars(query.order_by(ClusterAlertRow.id)):
            open_alerts[row.place_id] = row
        closed = (
            select(ClusterAlertRow.place_id, func.max(ClusterAlertRow.last_date))
            .where(ClusterAlertRow.place_id.in_(chunk), ClusterAlertRow.status == CLOSED)
            .group_by(ClusterAlertRow.place_id)
        )
        closed_until.update({place: last for place, last in session.execute(closed)})  # noqa: C416
    return open_alerts, closed_until


def list_clusters(
    platform: Platform, request: Request, status: str | None = None, *, limit: int = 100, offset: int = 0
) -> tuple[int, list[ClusterAlert]]:
    """For surveillance: the cluster alerts, of one status when given, latest raised first, with their
    total."""
    if status is not None and status not in STATUSES:
        raise ClusterError(
            f"{status!r} is not a status; the statuses are {', '.join(STATUSES)}",
            HTTPStatus.UNPROCESSABLE_ENTITY, "Invalid input", field="query.status",
        )  # fmt: skip

    def read(session: Session) -> tuple[int, list[ClusterAlert]]:
        guard(platform, session, request, "list", None)
        query = select(ClusterAlertRow)
        if status is not None:
            query = query.where(ClusterAlertRow.status == status)
        total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
        rows = session.scalars(
            query.order_by(ClusterAlertRow.raised_at.desc(), ClusterAlertRow.id.desc())
            .limit(limit)
            .offset(offset)
        )
        return total, [alert_of(row) for row in rows]

    return platform.run(read)


def change_cluster_status(platform: Platform, request: Request, alert_id: int, status: str) -> ClusterAlert:
    """For surveillance: move an alert from new to investigating or closed, or from investigating to
    closed, and audit the move. Raises ClusterError: 404 for an unknown alert, 409 for another move."""
    if status not in (INVESTIGATING, CLOSED):
        raise ClusterError(
            f"{status!r} is not a status an alert can be moved to; use {INVESTIGATING} or {CLOSED}",
            HTTPStatus.UNPROCESSABLE_ENTITY, "Invalid input", field="body.status",
        )  # fmt: skip

    def change(session: Session) -> ClusterAlert:
        access = guard(platform, session, request, "investigate", None)
        row = session.get(ClusterAlertRow, alert_id)
        if row is None:
            raise ClusterError(
                f"no cluster alert has the id {alert_id}; GET /tracing/clusters lists them",
                HTTPStatus.NOT_FOUND, "No such cluster alert",
            )  # fmt: skip
        if status not in TRANSITIONS.get(row.status, ()):
            allowed = " or ".join(TRANSITIONS.get(row.status, ()))
            then = f"it can only move to {allowed}" if allowed else "a closed alert stays closed"
            raise ClusterError(
                f"cluster alert {alert_id} is {row.status}, so it cannot move to {status}: {then}",
                HTTPStatus.CONFLICT, "Conflict",
            )  # fmt: skip
        now = platform.clock.now()
        detail: dict[str, DetailValue] = {
            "alert": row.id,
            "place": row.place_id,
            "from": row.status,
            "to": status,
        }
        row.status, row.updated_at, row.updated_by = status, now, request.actor.name
        entry = request.actor.entry(
            "investigate", "ok", purpose=access.purpose, request_id=request.request_id, detail=detail
        )
        defer(session, entry, now)
        return alert_of(row)

    return platform.run(change)


def alert_of(row: ClusterAlertRow) -> ClusterAlert:
    """An alert's row as epidemiologists see it."""
    return ClusterAlert(
        row.id, row.place_id, row.setting, row.first_date, row.last_date, row.cases, row.status,
        row.raised_at, row.updated_at, row.updated_by,
    )  # fmt: skip
