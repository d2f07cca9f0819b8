"""Tiers kept in the store: read from the exposures, cases and results, recomputed in full once a day
(or on demand) and updated in the transaction of every report that changes them.

The stored tiers hold for the date of the tracing state. A change on that date updates only the people
it can reach (`update_tiers`); a change on a later date first recomputes everything for it, since
exposures leave the lookback and quarantines end as days pass.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import BindParameter, Select, bindparam, delete, func, insert, or_, select
from sqlalchemy.orm import Session

from serment.access import Platform
from serment.store import in_lists
from serment.store.tables import CaseRow, ExposureRow, ResultRow, TierRow, TracingStateRow
from serment.tracing import tasks
from serment.tracing.arrays import tiers_at_fast
from serment.tracing.quarantine import Plan, plan_for
from serment.tracing.tiers import Contact, Facts, Standing, TierUpdate, update_tiers

STATE_ID = 1
CONFIRMED = "confirmed"
POSITIVE, NEGATIVE = "positive", "negative"


def after_change(platform: Platform, session: Session, people: frozenset[str]) -> None:
    """The platform's listener: bring the tiers, plans and tasks up to date after `people` changed."""
    at = platform.clock.now().date()
    state = session.get(TracingStateRow, STATE_ID)
    if state is None or state.at != at:
        recompute_in(platform, session, at)
        return
    rules = platform.policy.tracing
    graph = StoreGraph(session)
    update = update_tiers(at, rules, graph, people)
    _apply(platform, session, graph, update, at)
    _refresh_case_plans(platform, session, graph, [ref for ref in people if ref not in update.changed], at)


@dataclass(frozen=True)
class Recomputed:
    """What a full recomputation found: how many people hold each tier, and how many changed."""

    at: date
    by_tier: tuple[int, ...]
    changed: int
    removed: int


def recompute_in(platform: Platform, session: Session, at: date) -> Recomputed:
    """Recompute every tier for `at` from scratch, store them with their plans, and make the tracing
    state hold for `at`; tasks hear of every standing that changed."""
    rules = platform.policy.tracing
    graph = StoreGraph(session)
    facts = graph.all_facts(at)
    standings = tiers_at_fast(at, rules, facts, graph.all_contacts(at, rules.lookback_days))
    stored = graph.all_standings()
    update = TierUpdate(
        changed={ref: standing for ref, standing in standings.items() if stored.get(ref) != standing},
        removed=frozenset(ref for ref in stored if ref not in standings),
    )
    graph.remember(facts)
    _apply(platform, session, graph, update, at, stored=stored)
    _refresh_case_plans(platform, session, graph, None, at)
    state = session.get(TracingStateRow, STATE_ID)
    now = platform.clock.now()
    if state is None:
        session.add(TracingStateRow(id=STATE_ID, at=at, computed_at=now))
    else:
        state.at, state.computed_at = at, now
    tasks.schedule_day(platform, session, at)
    by_tier = [0] * (rules.depth + 1)
    for standing in standings.values():
        by_tier[standing.tier] += 1
    return Recomputed(at, tuple(by_tier), len(update.changed), len(update.removed))


def _apply(
    platform: Platform,
    session: Session,
    graph: StoreGraph,
    update: TierUpdate[str],
    at: date,
    *,
    stored: Mapping[str, Standing] | None = None,
) -> None:
    touched = [*update.changed, *update.removed]
    if not touched:
        return
    rules = platform.policy.tracing
    before = dict(stored) if stored is not None else dict(graph.standings_of(touched))
    before = {ref: standing for ref, standing in before.items() if ref in touched}
    since = graph.since_of(update.changed)
    for chunk in in_lists(touched):
        session.execute(delete(TierRow).where(TierRow.person_ref.in_(chunk)))
    cases = graph.facts_of([ref for ref, standing in update.changed.items() if standing.tier == 0], at).cases
    rows = [
        _row(
            ref,
            standing,
            plan_for(standing, rules, at, cases.get(ref)),
            _since(before.get(ref), standing, since.get(ref), at),
        )
        for ref, standing in update.changed.items()
    ]
    if rows:
        session.execute(insert(TierRow), rows)
    after: dict[str, Standing | None] = {**update.changed, **dict.fromkeys(update.removed)}
    tasks.after_tiers(platform, session, before, after, at)


def _refresh_case_plans(
    platform: Platform, session: Session, graph: StoreGraph, refs: list[str] | None, at: date
) -> None:
    """Move the isolation of cases whose start changed while their standing did not (an earlier
    positive sample reported, an onset corrected): among `refs`, or every case when None."""
    query = select(TierRow).where(TierRow.tier == 0)
    rows: list[TierRow] = []
    if refs is None:
        rows = list(session.scalars(query))
    else:
        for chunk in in_lists(refs):
            rows += session.scalars(query.where(TierRow.person_ref.in_(chunk)))
    starts = graph.facts_of([row.person_ref for row in rows], at).cases
    for row in rows:
        start = starts.get(row.person_ref)
        if start is None or start == row.quarantine_start:
            continue
        plan = plan_for(Standing(0), platform.policy.tracing, at, start)
        row.quarantine_start, row.quarantine_until = plan.start, plan.until
        row.tests_due = ",".join(day.isoformat() for day in plan.tests_due)


def _since(before: Standing | None, now: Standing, since: date | None, at: date) -> date:
    """The day the person came to hold their tier: kept while the tier stays the same."""
    if before is not None and before.tier == now.tier and since is not None:
        return since
    return at


def _row(ref: str, standing: Standing, plan: Plan, since: date) -> dict[str, object]:
    return {
        "person_ref": ref,
        "tier": standing.tier,
        "last_exposure": standing.last_exposure,
        "place": plan.place,
        "quarantine_start": plan.start,
        "quarantine_until": plan.until,
        "tests_due": ",".join(day.isoformat() for day in plan.tests_due),
        "cleared": standing.cleared,
        "since": since,
    }


class StoreGraph:
    """The `Graph` of `update_tiers` over the store, in one session."""

    def __init__(self, session: Session) -> None:
        self.session = session
        # Everyone's facts, when a full recomputation read them all.
        self._facts: Facts[str] | None = None
        # What this graph read of some people: an update asks for them again while storing its result.
        self._cases_read: dict[str, date] = {}
        self._negatives_read: dict[str, date] = {}
        self._facts_read: set[str] = set()
        self._standings: dict[str, Standing] = {}
        self._since: dict[str, date] = {}
        self._standings_read: set[str] = set()

    def remember(self, facts: Facts[str]) -> None:
        """Answer `facts_of` from `facts` (everyone's, already read) instead of the store."""
        self._facts = facts

    def contacts_of(self, people: Collection[str], at: date, lookback_days: int) -> Iterator[Contact[str]]:
        """Exposures touching `people` whose days reach into the lookback."""
        first = at - timedelta(days=lookback_days)
        seen: set[int] = set()
        connection = self.session.connection()
        for chunk in in_lists(people):
            rows = connection.execute(_CONTACTS, {"refs": chunk, "at": at, "first": first})
            for exposure_id, a, b, date_from, date_to in rows:
                if exposure_id not in seen:
                    seen.add(exposure_id)
                    yield Contact(a, b, date_from, date_to)

    def all_contacts(self, at: date, lookback_days: int) -> Iterator[Contact[str]]:
        """Every exposure whose days reach into the lookback."""
        first = at - timedelta(days=lookback_days)
        query = select(
            ExposureRow.person_ref, ExposureRow.contact_ref, ExposureRow.date_from, ExposureRow.date_to
        ).where(ExposureRow.date_to >= first, ExposureRow.date_from <= at)
        for a, b, date_from, date_to in self.session.execute(query.execution_options(yield_per=10_000)):
            yield Contact(a, b, date_from, date_to)

    def facts_of(self, people: Collection[str], at: date) -> Facts[str]:
        """The cases and latest negative tests of `people` at `at`; each person is read once a graph
        (an update reads the region's, then stores the plans of its cases)."""
        known = self._facts
        if known is None:
            unread = [ref for ref in people if ref not in self._facts_read]
            for chunk in in_lists(unread):
                self._cases_read.update(self._cases(at, chunk))
                self._negatives_read.update(self._negatives(at, chunk))
            self._facts_read.update(unread)
            known = Facts(self._cases_read, self._negatives_read)
        return Facts(
            {ref: known.cases[ref] for ref in people if ref in known.cases},
            {ref: known.negatives[ref] for ref in people if ref in known.negatives},
        )

    def all_facts(self, at: date) -> Facts[str]:
        """Everyone's cases and latest negative tests at `at`."""
        return Facts(dict(self._cases(at, None)), dict(self._negatives(at, None)))

    def _cases(self, at: date, among: list[str] | None) -> Iterable[tuple[str, date]]:
        connection = self.session.connection()
        if among is None:
            rows = connection.execute(_ALL_CASES, {"confirmed": CONFIRMED, "positive": POSITIVE})
        else:
            rows = connection.execute(_CASES, {"refs": among, "confirmed": CONFIRMED, "positive": POSITIVE})
        starts: dict[str, date] = {}
        for ref, onset, asymptomatic, reported_at, closed_at, sampled in rows:
            if closed_at is not None and closed_at.date() <= at:
                continue
            start = case_start(onset, asymptomatic, sampled, reported_at)
            if start <= at and (ref not in starts or start < starts[ref]):
                starts[ref] = start
        return starts.items()

    def _negatives(self, at: date, among: list[str] | None) -> Iterable[tuple[str, date]]:
        connection = self.session.connection()
        if among is None:
            rows = connection.execute(_ALL_NEGATIVES, {"negative": NEGATIVE, "at": at})
        else:
            rows = connection.execute(_NEGATIVES, {"refs": among, "negative": NEGATIVE, "at": at})
        return [(ref, day) for ref, day in rows]

    def standings_of(self, people: Collection[str]) -> dict[str, Standing]:
        """The stored standings of those of `people` who have one, as they were when this graph first
        read them (an update reads the region's before it writes any)."""
        unread = [ref for ref in people if ref not in self._standings_read]
        connection = self.session.connection()
        for chunk in in_lists(unread):
            for ref, tier, last, cleared, since in connection.execute(_STANDINGS, {"refs": chunk}):
                self._standings[ref] = Standing(tier, last, cleared)
                self._since[ref] = since
        self._standings_read.update(unread)
        return {ref: self._standings[ref] for ref in people if ref in self._standings}

    def all_standings(self) -> dict[str, Standing]:
        """Every stored standing."""
        query = select(TierRow.person_ref, TierRow.tier, TierRow.last_exposure, TierRow.cleared)
        return {
            ref: Standing(tier, last, cleared) for ref, tier, last, cleared in self.session.execute(query)
        }

    def since_of(self, people: Collection[str]) -> dict[str, date]:
        """The day each of `people` came to hold their stored tier."""
        self.standings_of(people)
        return {ref: self._since[ref] for ref in people if ref in self._since}


# The statements an update runs, built once: `refs` expands to a list of people at execution, so that
# neither the statement nor its hundreds of values are built and checked again for every report.
_REFS: BindParameter[list[str]] = bindparam("refs", expanding=True)
_CONTACTS = select(
    ExposureRow.id,
    ExposureRow.person_ref,
    ExposureRow.contact_ref,
    ExposureRow.date_from,
    ExposureRow.date_to,
).where(
    or_(ExposureRow.person_ref.in_(_REFS), ExposureRow.contact_ref.in_(_REFS)),
    ExposureRow.date_from <= bindparam("at"),
    ExposureRow.date_to >= bindparam("first"),
)


def _cases_query(refs: bool) -> Select[str, date | None, bool, datetime, datetime | None, date]:
    # A case counts from its onset, or for an asymptomatic case (or one without onset) from its
    # first positive sample, or failing that from the day it was reported (see case_start).
    first_positive = select(ResultRow.person_ref, func.min(ResultRow.sample_date).label("sampled")).where(
        ResultRow.value == bindparam("positive")
    )
    if refs:
        first_positive = first_positive.where(ResultRow.person_ref.in_(_REFS))
    positive = first_positive.group_by(ResultRow.person_ref).subquery()
    query = (
        select(
            CaseRow.person_ref, CaseRow.onset_date, CaseRow.asymptomatic, CaseRow.reported_at,
            CaseRow.closed_at, positive.c.sampled,
        )
        .outerjoin(positive, positive.c.person_ref == CaseRow.person_ref)
        .where(CaseRow.status == bindparam("confirmed"))
    )  # fmt: skip
    return query.where(CaseRow.person_ref.in_(_REFS)) if refs else query


def _negatives_query(refs: bool) -> Select[str, date]:
    query = select(ResultRow.person_ref, func.max(ResultRow.sample_date)).where(
        ResultRow.value == bindparam("negative"), ResultRow.sample_date <= bindparam("at")
    )
    if refs:
        query = query.where(ResultRow.person_ref.in_(_REFS))
    return query.group_by(ResultRow.person_ref)


_CASES, _ALL_CASES = _cases_query(refs=True), _cases_query(refs=False)
_NEGATIVES, _ALL_NEGATIVES = _negatives_query(refs=True), _negatives_query(refs=False)
_STANDINGS = select(
    TierRow.person_ref, TierRow.tier, TierRow.last_exposure, TierRow.cleared, TierRow.since
).where(TierRow.person_ref.in_(_REFS))


def case_start(onset: date | None, asymptomatic: bool, sampled: date | None, reported_at: datetime) -> date:
    """The day a case counts from: its onset, or when asymptomatic or without onset its first positive
    sample, or failing both the day it was reported."""
    if onset is not None and not asymptomatic:
        return onset
    if sampled is not None:
        return sampled
    return onset if onset is not None else reported_at.date()
