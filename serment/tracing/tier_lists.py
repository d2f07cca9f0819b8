"""The tiers as epidemiologists and partners see them: a pseudonymous list at a date, each person with the
reference their reporter gave (so that partners can match), their tier and quarantine; and the full
recomputation an operator runs once a day."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from serment.access import Platform, Request, guard
from serment.people import external_refs
from serment.store.tables import CaseRow, ExposureRow, ResultRow, TierRow, TracingStateRow
from serment.tracing.quarantine import plan_for
from serment.tracing.standings import STATE_ID, Recomputed, StoreGraph, recompute_in
from serment.tracing.tiers import tiers_at

LIST = "list"
_FORMULA_STARTS = frozenset("=+-@\t\r")
# The CSV export's columns, in order: the contract partners rely on.
CSV_COLUMNS = ("ref", "external_ref", "tier", "place", "quarantine_until")


class TracingDateInvalid(ValueError):
    """A date the tiers cannot be given for: in the future, or before any data."""


@dataclass(frozen=True)
class TierItem:
    """One person with a tier at the list's date, and their quarantine plan."""

    ref: str
    external_ref: str | None
    tier: int
    tier_name: str
    place: str
    quarantine_start: date
    quarantine_until: date
    tests_due: tuple[date, ...]
    released: bool
    cleared: bool

    def csv_row(self) -> tuple[str, ...]:
        """The item in the CSV export's columns."""
        return (
            self.ref, _inert(self.external_ref or ""), str(self.tier), self.place,
            self.quarantine_until.isoformat(),
        )  # fmt: skip


@dataclass(frozen=True)
class TierList:
    """Everyone with a tier at `at`, cases first, then each contact tier in turn."""

    at: date
    items: tuple[TierItem, ...]


def tiers_csv(tiers: TierList) -> str:
    """The tiers as CSV with a header row (CSV_COLUMNS), for the API and the CLI export."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    writer.writerows(item.csv_row() for item in tiers.items)
    return buffer.getvalue()


def _inert(text: str) -> str:
    """A reporter's free text made inert for spreadsheets, which run a cell starting with = + - @ as a
    formula (CSV injection)."""
    return "'" + text if text[:1] in _FORMULA_STARTS else text


def list_tiers(platform: Platform, request: Request, at: date | None = None) -> TierList:
    """The tiers at `at` (today when None): the stored ones when they hold for that date, else
    computed for it from the data as it stands. Raises TracingDateInvalid for a future date or one
    before any exposure, case or result."""

    def read(session: Session) -> TierList:
        access = guard(platform, session, request, LIST, None)
        today = platform.clock.now().date()
        day = today if at is None else at
        if day > today:
            raise TracingDateInvalid(
                f"{day.isoformat()} is in the future; tiers can be asked for up to today, {today.isoformat()}"
            )
        earliest = _earliest(session)
        if earliest is None:
            raise TracingDateInvalid("no exposure, case or result has been reported yet")
        if day < earliest:
            raise TracingDateInvalid(
                f"no data is dated on or before {day.isoformat()}; "
                f"the earliest is from {earliest.isoformat()}"
            )
        items = list(_items(platform, session, day))
        refs = external_refs(platform, session, access, [item.ref for item in items])
        items = [replace(item, external_ref=refs.get(item.ref)) for item in items]
        return TierList(day, tuple(sorted(items, key=lambda item: (item.tier, item.ref))))

    return platform.run(read)


def recompute_tiers(platform: Platform, request: Request, at: date | None = None) -> Recomputed:
    """Recompute every tier for `at` (today when None) and store them: the daily run, after a policy
    change, or to look at a past day (the next report recomputes them for its own day). Raises
    TracingDateInvalid for a future date."""

    def run(session: Session) -> Recomputed:
        guard(platform, session, request, LIST, None)
        today = platform.clock.now().date()
        day = today if at is None else at
        if day > today:
            raise TracingDateInvalid(
                f"{day.isoformat()} is in the future; tiers can be computed up to today, {today.isoformat()}"
            )
        return recompute_in(platform, session, day)

    return platform.run(run)


def _items(platform: Platform, session: Session, day: date) -> Iterator[TierItem]:
    rules = platform.policy.tracing
    state = session.get(TracingStateRow, STATE_ID)
    if state is not None and state.at == day:
        for row in session.scalars(select(TierRow)):
            yield TierItem(
                ref=row.person_ref, external_ref=None, tier=row.tier, tier_name=rules.tier(row.tier).name,
                place=row.place, quarantine_start=row.quarantine_start, quarantine_until=row.quarantine_until,
                tests_due=tuple(date.fromisoformat(text) for text in row.tests_due.split(",") if text),
                released=day > row.quarantine_until, cleared=row.cleared,
            )  # fmt: skip
        return
    graph = StoreGraph(session)
    facts = graph.all_facts(day)
    for ref, standing in tiers_at(day, rules, facts, graph.all_contacts(day, rules.lookback_days)).items():
        plan = plan_for(standing, rules, day, facts.cases.get(ref))
        yield TierItem(
            ref=ref, external_ref=None, tier=plan.tier, tier_name=plan.name, place=plan.place,
            quarantine_start=plan.start, quarantine_until=plan.until, tests_due=plan.tests_due,
            released=plan.released, cleared=plan.cleared,
        )  # fmt: skip


def _earliest(session: Session) -> date | None:
    """The earliest date of any exposure, case onset or result sample: tiers before it mean nothing."""
    candidates = [
        session.scalar(select(func.min(ExposureRow.date_from))),
        session.scalar(select(func.min(CaseRow.onset_date))),
        session.scalar(select(func.min(ResultRow.sample_date))),
    ]
    reported = session.scalar(select(func.min(CaseRow.reported_at)))
    if reported is not None:
        candidates.append(reported.date())
    known = [day for day in candidates if day is not None]
    return min(known) if known else None
