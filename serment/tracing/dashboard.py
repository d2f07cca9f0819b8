"""The epidemiologist's dashboard: the epidemic curve, today's tiers and quarantines, active chains and
cluster alerts, for a range of dates and optionally one département, by counts and pseudonymous case
refs, never an identity.

Every figure is counted by the database (GROUP BY over indexes), except the chains, which are a graph:
they are read outwards from the exposures between cases within the lookback (`active_chains_in`).
One view is one `list` access for surveillance, audited once.

- The curve counts confirmed cases by onset date and by report date (the UTC day of `reported_at`,
  as the case list filters it), each day of the range; cases without an onset (asymptomatic, or not
  known) are counted apart.
- Tiers and quarantine places are the stored tiers, which hold for one date (the tracing state), over
  every area: only cases keep a département, and most people with a tier are contacts.
- Chains are those at the range's last day; with an area, those holding a case of that area.
- Cluster alerts are those whose dates meet the range, over every area: a place has no département.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Date, Select, cast, func, select
from sqlalchemy.orm import Session

from serment.access import Platform, Request, guard
from serment.store.tables import CaseRow, ClusterAlertRow, TierRow, TracingStateRow
from serment.tracing.chains import Chain, active_chains_in
from serment.tracing.clusters import OPEN, STATUSES, ClusterAlert, alert_of
from serment.tracing.standings import CONFIRMED, STATE_ID

# How many chains and alerts the dashboard lists; the rest are counted.
SHOWN = 10


@dataclass(frozen=True)
class CurveDay:
    """A day of the epidemic curve: confirmed cases whose onset is that day, and those reported that day."""

    day: date
    by_onset: int
    by_report: int


@dataclass(frozen=True)
class TierCount:
    """How many people hold `tier` with a plan at `place`, still in quarantine or released."""

    tier: int
    name: str
    place: str
    in_quarantine: int
    released: int


@dataclass(frozen=True)
class ChainFigures:
    """The active chains at the range's last day: how many, how many cases they hold, the largest
    (up to SHOWN, largest first) and the newest."""

    active: int
    cases: int
    largest: tuple[Chain, ...]
    newest: Chain | None


@dataclass(frozen=True)
class ClusterFigures:
    """Cluster alerts whose dates meet the range: how many of each status, and the open ones (up to
    SHOWN, latest raised first)."""

    by_status: dict[str, int]
    open: tuple[ClusterAlert, ...]


@dataclass(frozen=True)
class Dashboard:
    """What the dashboard shows for `start`..`end` (inclusive) and `area` (None: every area), and the
    départements that have cases, with how many, to choose from."""

    start: date
    end: date
    area: str | None
    curve: tuple[CurveDay, ...]
    without_onset: int
    tiers_at: date | None
    tiers: tuple[TierCount, ...]
    chains: ChainFigures
    clusters: ClusterFigures
    areas: dict[str, int]

    @property
    def by_onset(self) -> int:
        """Confirmed cases whose onset falls in the range."""
        return sum(day.by_onset for day in self.curve)

    @property
    def by_report(self) -> int:
        """Confirmed cases reported in the range."""
        return sum(day.by_report for day in self.curve)


def dashboard(platform: Platform, request: Request, *, start: date, end: date, area: str | None) -> Dashboard:
    """For surveillance: the dashboard of `start`..`end` (inclusive, `start` <= `end`), for the
    département `area` or every area; one audited `list` access."""
    if start > end:
        raise ValueError(f"the range starts ({start}) after it ends ({end})")

    def read(session: Session) -> Dashboard:
        guard(platform, session, request, "list", None)
        curve, without_onset = _curve(session, start, end, area)
        tiers_at, tiers = _tiers(session, platform)
        return Dashboard(
            start=start,
            end=end,
            area=area,
            curve=curve,
            without_onset=without_onset,
            tiers_at=tiers_at,
            tiers=tiers,
            chains=_chains(session, end, area, platform.policy.tracing.lookback_days),
            clusters=_clusters(session, start, end),
            areas=areas_in(session),
        )

    return platform.run(read)


def areas_in(session: Session) -> dict[str, int]:
    """Each département that has cases, with how many, in code order."""
    query = (
        select(CaseRow.department, func.count())
        .where(CaseRow.department.is_not(None))
        .group_by(CaseRow.department)
        .order_by(CaseRow.department)
    )
    return {department: count for department, count in session.execute(query) if department is not None}


def reported_day(session: Session) -> ColumnElement[date]:
    """The UTC day of a case's `reported_at`, as the database computes it."""
    if session.get_bind().dialect.name == "postgresql":
        return cast(func.timezone("UTC", CaseRow.reported_at), Date)
    # SQLite keeps UTC timestamps as text: their first ten characters are the day.
    return func.date(CaseRow.reported_at)


def day_bounds(start: date, end: date) -> tuple[datetime, datetime]:
    """The first instant of `start` and the first instant after `end`, in UTC."""
    return datetime.combine(start, time.min, tzinfo=UTC), datetime.combine(end + timedelta(days=1), time.min,
                                                                           tzinfo=UTC)  # fmt: skip


def _confirmed(area: str | None) -> Select[Any]:
    query = select(func.count()).select_from(CaseRow).where(CaseRow.status == CONFIRMED)
    return query.where(CaseRow.department == area) if area is not None else query


def _curve(session: Session, start: date, end: date, area: str | None) -> tuple[tuple[CurveDay, ...], int]:
    onset = (
        _confirmed(area)
        .add_columns(CaseRow.onset_date)
        .where(CaseRow.onset_date.between(start, end))
        .group_by(CaseRow.onset_date)
    )
    by_onset = {_as_date(day): count for count, day in session.execute(onset)}
    first, after = day_bounds(start, end)
    day = reported_day(session)
    reported = (
        _confirmed(area)
        .add_columns(day)
        .where(CaseRow.reported_at >= first, CaseRow.reported_at < after)
        .group_by(day)
    )
    by_report = {_as_date(day): count for count, day in session.execute(reported)}
    without = _confirmed(area).where(
        CaseRow.onset_date.is_(None), CaseRow.reported_at >= first, CaseRow.reported_at < after
    )
    curve = tuple(CurveDay(day, by_onset.get(day, 0), by_report.get(day, 0)) for day in _days(start, end))
    return curve, session.scalar(without) or 0


def _days(start: date, end: date) -> Iterator[date]:
    for offset in range((end - start).days + 1):
        yield start + timedelta(days=offset)


def _as_date(value: date | str) -> date:
    # SQLite's date() answers text; PostgreSQL's cast, a date.
    return date.fromisoformat(value) if isinstance(value, str) else value


def _tiers(session: Session, platform: Platform) -> tuple[date | None, tuple[TierCount, ...]]:
    state = session.get(TracingStateRow, STATE_ID)
    if state is None:
        return None, ()
    ongoing = TierRow.quarantine_until >= state.at
    query = (
        select(TierRow.tier, TierRow.place, ongoing, func.count())
        .group_by(TierRow.tier, TierRow.place, ongoing)
        .order_by(TierRow.tier, TierRow.place)
    )
    counts: dict[tuple[int, str], list[int]] = {}
    for tier, place, still, count in session.execute(query):
        counts.setdefault((tier, place), [0, 0])[0 if still else 1] += count
    rules = platform.policy.tracing
    return state.at, tuple(
        TierCount(tier, rules.tier(tier).name, place, held, released)
        for (tier, place), (held, released) in sorted(counts.items())
    )


def _chains(session: Session, at: date, area: str | None, lookback_days: int) -> ChainFigures:
    active = active_chains_in(session, at, lookback_days)
    if area is not None:
        local = set(
            session.scalars(
                select(CaseRow.ref).where(CaseRow.department == area, CaseRow.status == CONFIRMED)
            )
        )
        active = [graph for graph in active if any(node.case in local for node in graph.nodes)]
    chains = [graph.chain for graph in active]
    # The active chains come newest first; the largest are the biggest, newest first among equals.
    largest = sorted(chains, key=lambda chain: -chain.size)[:SHOWN]
    return ChainFigures(
        len(chains), sum(chain.size for chain in chains), tuple(largest), next(iter(chains), None)
    )


def _clusters(session: Session, start: date, end: date) -> ClusterFigures:
    meets = (ClusterAlertRow.first_date <= end, ClusterAlertRow.last_date >= start)
    counts = dict.fromkeys(STATUSES, 0)
    query = select(ClusterAlertRow.status, func.count()).where(*meets).group_by(ClusterAlertRow.status)
    counts.update({status: count for status, count in session.execute(query)})  # noqa: C416
    rows = session.scalars(
        select(ClusterAlertRow)
        .where(*meets, ClusterAlertRow.status.in_(OPEN))
        .order_by(ClusterAlertRow.raised_at.desc(), ClusterAlertRow.id.desc())
        .limit(SHOWN)
    )
    return ClusterFigures(counts, tuple(alert_of(row) for row in rows))
