"""Cases as epidemiologists see them: a page of the case list with each case's tier and chain, and one
case's overview (its dates, tier and plan, the settings of its exposures, its chain and its cluster).
Pseudonymous case refs and départements only: never an identity, never a person's ref.

The list is one indexed, paginated query (and a count); the chains of a page's cases are read outwards
from those cases alone (`chains_of`), so a page costs what its chains hold, not what the country holds.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, func, or_, select
from sqlalchemy.orm import Session

from serment.access import Platform, Request, authorise, guard
from serment.store.tables import CaseRow, ClusterAlertRow, ExposureRow, ResultRow, TierRow, TracingStateRow
from serment.tracing.chains import Chain, ChainGraph, chains_of
from serment.tracing.clusters import ClusterAlert, alert_of
from serment.tracing.dashboard import areas_in, day_bounds
from serment.tracing.standings import CONFIRMED, POSITIVE, STATE_ID, case_start

LIST = "list"
PAGE_SIZE = 50


class CaseNotFound(LookupError):
    """No case has the ref asked for."""

    def __init__(self, ref: str) -> None:
        super().__init__(f"no case has the ref {ref}")
        self.ref = ref


@dataclass(frozen=True)
class ChainPlace:
    """Where a case stands in its chain: the chain, and the case's generation in it."""

    chain: Chain
    generation: int


@dataclass(frozen=True)
class CaseLine:
    """A case of the list: its ref, status, dates and département, its person's tier today (None
    without one) and its chain (None for a case in no chain of two or more)."""

    ref: str
    status: str
    onset_date: date | None
    reported_at: datetime
    department: str | None
    tier: int | None
    tier_name: str | None
    chain: ChainPlace | None


@dataclass(frozen=True)
class CasePage:
    """One page of the case list, the number of cases the filters kept, the dates the tiers
    (`tiers_at`, None before any) and chains (`at`) hold for, and the départements that have cases."""

    page: int
    total: int
    items: tuple[CaseLine, ...]
    has_next: bool
    at: date
    tiers_at: date | None
    areas: dict[str, int]


def list_case_lines(
    platform: Platform,
    request: Request,
    *,
    status: str | None = None,
    reported_from: date | None = None,
    reported_to: date | None = None,
    area: str | None = None,
    page: int = 1,
) -> CasePage:
    """For surveillance: cases filtered by status, report date (inclusive, UTC days) and département,
    latest reported first, PAGE_SIZE a page (pages from 1); one audited `list` access."""
    if page < 1:
        raise ValueError(f"pages are numbered from 1, not {page}")

    def read(session: Session) -> CasePage:
        guard(platform, session, request, LIST, None)
        query = select(CaseRow.ref).where(*_filters(status, reported_from, reported_to, area))
        total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
        rows = session.execute(
            _lines(query)
            .order_by(CaseRow.reported_at.desc(), CaseRow.ref)
            .limit(PAGE_SIZE + 1)
            .offset((page - 1) * PAGE_SIZE)
        ).all()
        at = platform.clock.now().date()
        confirmed = [row.person_ref for row in rows[:PAGE_SIZE] if row.status == CONFIRMED]
        chains = chains_of(session, confirmed, at, platform.policy.tracing.lookback_days)
        rules = platform.policy.tracing
        items = tuple(
            CaseLine(
                row.ref, row.status, row.onset_date, row.reported_at, row.department, row.tier,
                None if row.tier is None else rules.tier(row.tier).name,
                _place_in(chains.get(row.person_ref), row.ref),
            )
            for row in rows[:PAGE_SIZE]
        )  # fmt: skip
        return CasePage(page, total, items, len(rows) > PAGE_SIZE, at, _tiers_at(session), areas_in(session))

    return platform.run(read)


def _filters(
    status: str | None, reported_from: date | None, reported_to: date | None, area: str | None
) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    if status is not None:
        conditions.append(CaseRow.status == status)
    if reported_from is not None:
        conditions.append(CaseRow.reported_at >= day_bounds(reported_from, reported_from)[0])
    if reported_to is not None:
        conditions.append(CaseRow.reported_at < day_bounds(reported_to, reported_to)[1])
    if area is not None:
        conditions.append(CaseRow.department == area)
    return conditions


def _lines(query: Select[Any]) -> Select[Any]:
    return query.add_columns(
        CaseRow.status, CaseRow.onset_date, CaseRow.reported_at, CaseRow.department, CaseRow.person_ref,
        TierRow.tier,
    ).outerjoin(TierRow, TierRow.person_ref == CaseRow.person_ref)  # fmt: skip


def _place_in(graph: ChainGraph | None, case: str) -> ChainPlace | None:
    """The case's place in `graph`, if it is a node of it and the chain holds two cases or more."""
    if graph is None or graph.chain.size < 2:
        return None
    node = next((node for node in graph.nodes if node.case == case), None)
    return None if node is None else ChainPlace(graph.chain, node.generation)


def _tiers_at(session: Session) -> date | None:
    state = session.get(TracingStateRow, STATE_ID)
    return None if state is None else state.at


@dataclass(frozen=True)
class Plan:
    """The quarantine plan of the case's person at `tiers_at`, as the stored tiers hold it."""

    tier: int
    tier_name: str
    place: str
    start: date
    until: date
    tests_due: tuple[date, ...]
    cleared: bool
    released: bool


@dataclass(frozen=True)
class SettingCount:
    """The exposures of one setting that name the case's person (at either end), and their dates."""

    setting: str
    exposures: int
    first: date
    last: date


@dataclass(frozen=True)
class CaseOverview:
    """One case for surveillance: no identity, no person ref. `start` is the day it counts from (its
    onset; else its first positive sample; else its report); `chain` is its chain at `at` (None when
    the case is in no chain of two or more); `clusters` are the alerts of the places of its exposures
    whose dates cover its start."""

    ref: str
    status: str
    onset_date: date | None
    asymptomatic: bool
    hospitalised: bool
    outcome: str | None
    reported_at: datetime
    closed_at: datetime | None
    department: str | None
    first_positive: date | None
    start: date
    at: date
    tiers_at: date | None
    plan: Plan | None
    settings: tuple[SettingCount, ...]
    chain: ChainPlace | None
    clusters: tuple[ClusterAlert, ...]


def case_overview(platform: Platform, request: Request, ref: str) -> CaseOverview:
    """For surveillance: the case `ref`, a `list` access audited with its person (who sees it in their
    access history). Raises CaseNotFound when no case has that ref."""

    def read(session: Session) -> CaseOverview:
        # The role is checked before anything is looked up; the access is audited once its person is known.
        authorise(platform, session, request, LIST, None)
        row = session.get(CaseRow, ref)
        if row is None:
            raise CaseNotFound(ref)
        guard(platform, session, request, LIST, row.person_ref)
        person = row.person_ref
        first_positive = session.scalar(
            select(func.min(ResultRow.sample_date)).where(
                ResultRow.person_ref == person, ResultRow.value == POSITIVE
            )
        )
        start = case_start(row.onset_date, row.asymptomatic, first_positive, row.reported_at)
        at = platform.clock.now().date()
        tiers_at = _tiers_at(session)
        chain = None
        if row.status == CONFIRMED:
            chains = chains_of(session, [person], at, platform.policy.tracing.lookback_days)
            chain = _place_in(chains.get(person), row.ref)
        return CaseOverview(
            ref=row.ref, status=row.status, onset_date=row.onset_date, asymptomatic=row.asymptomatic,
            hospitalised=row.hospitalised, outcome=row.outcome, reported_at=row.reported_at,
            closed_at=row.closed_at, department=row.department, first_positive=first_positive, start=start,
            at=at, tiers_at=tiers_at, plan=_plan(session, platform, person, tiers_at),
            settings=_settings(session, person), chain=chain,
            clusters=_clusters(session, person, start) if row.status == CONFIRMED else (),
        )  # fmt: skip

    return platform.run(read)


def _plan(session: Session, platform: Platform, person: str, at: date | None) -> Plan | None:
    row = session.get(TierRow, person)
    if row is None or at is None:
        return None
    return Plan(
        tier=row.tier, tier_name=platform.policy.tracing.tier(row.tier).name, place=row.place,
        start=row.quarantine_start, until=row.quarantine_until,
        tests_due=tuple(date.fromisoformat(text) for text in row.tests_due.split(",") if text),
        cleared=row.cleared, released=at > row.quarantine_until,
    )  # fmt: skip


def _settings(session: Session, person: str) -> tuple[SettingCount, ...]:
    found: dict[str, tuple[int, date, date]] = {}
    # One query per end, each on its own index: an OR would read the table.
    for end in (ExposureRow.person_ref, ExposureRow.contact_ref):
        dates = func.min(ExposureRow.date_from), func.max(ExposureRow.date_to)
        query = (
            select(ExposureRow.setting, func.count(), *dates)
            .where(end == person)
            .group_by(ExposureRow.setting)
        )
        for setting, count, first, last in session.execute(query):
            held = found.get(setting)
            found[setting] = (count, first, last) if held is None else (
                held[0] + count, min(held[1], first), max(held[2], last)
            )  # fmt: skip
    return tuple(
        SettingCount(setting, count, first, last)
        for setting, (count, first, last) in sorted(found.items(), key=lambda item: (-item[1][0], item[0]))
    )


def _clusters(session: Session, person: str, start: date) -> tuple[ClusterAlert, ...]:
    places = _places(session, person)
    if not places:
        return ()
    query = (
        select(ClusterAlertRow)
        .where(
            ClusterAlertRow.place_id.in_(places),
            ClusterAlertRow.first_date <= start,
            ClusterAlertRow.last_date >= start,
        )
        .order_by(ClusterAlertRow.raised_at.desc(), ClusterAlertRow.id.desc())
    )
    return tuple(alert_of(row) for row in session.scalars(query))


def _places(session: Session, person: str) -> Collection[str]:
    query = select(ExposureRow.place_id).where(
        or_(ExposureRow.person_ref == person, ExposureRow.contact_ref == person),
        ExposureRow.place_id.is_not(None),
    )
    return {place for place in session.scalars(query.distinct()) if place is not None}
