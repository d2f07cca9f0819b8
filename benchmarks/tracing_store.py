"""The tracing benchmark through the store: a world bulk-loaded into a fresh SQLite installation
(minimal `people` rows, no identity or key: the exposures' foreign keys need the rows only), a full
recomputation, then one transaction per new positive running the tracing listener."""

from __future__ import annotations

import itertools
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

import numpy as np
from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from benchmarks.exposure_world import World
from serment.clock import FixedClock
from serment.installation import Installation, initialise, open_installation
from serment.settings import Settings
from serment.store.tables import CaseRow, ResultRow, TierRow
from serment.tracing.arrays import NONE, ArrayGraph
from serment.tracing.standings import recompute_in
from serment.tracing.tiers import Standing

SETTINGS = ("household", "work", "venue")
BATCH = 50_000


@dataclass
class StoreRun:
    """The figures through the store at one size."""

    people: int
    seconds: dict[str, float] = field(default_factory=dict)
    listener_ms: list[float] = field(default_factory=list)
    transaction_ms: list[float] = field(default_factory=list)
    equal: bool = False
    database_mib: float = 0.0


def _ref(person: int) -> str:
    return f"{person:026d}"


def load_store(installation: Installation, world: World, now: datetime) -> None:
    """Minimal people, the exposures, the cases with their positive test and the negative tests,
    bulk-inserted in one transaction (SQLite's own placeholders and text dates, for speed)."""
    stamp = now.replace(tzinfo=None).isoformat(sep=" ", timespec="microseconds")
    today = now.date().toordinal()
    days = {day: date.fromordinal(day).isoformat() for day in range(today - 400, today + 1)}
    people = ((_ref(p), "demographic", 1, "2026-03", stamp, stamp, stamp) for p in range(world.people))
    columns = (world.a, world.b, world.date_from, world.date_to, world.setting)
    exposures = (
        (_ref(a), _ref(b), days[since], days[until], SETTINGS[kind], "benchmark", stamp)
        for low in range(0, len(world.a), BATCH)
        for a, b, since, until, kind in zip(*(c[low : low + BATCH].tolist() for c in columns), strict=True)
    )
    with installation.database.write() as session:
        _bulk(
            session,
            "people (ref, strength, key_version, epoch_month, last_event_at, created_at, updated_at)",
            people,
        )
        _bulk(
            session,
            "exposures (person_ref, contact_ref, date_from, date_to, setting, reported_by, reported_at)",
            exposures,
        )
        cases = np.flatnonzero(world.cases != NONE).tolist()
        tested = np.flatnonzero(world.negatives != NONE).tolist()
        onsets = {p: date.fromordinal(int(world.cases[p])) for p in cases}
        session.execute(insert(CaseRow), [_case(p, onsets[p], now) for p in cases])
        results = [_result(p, onsets[p], "positive", now) for p in cases]
        results += [_result(p, date.fromordinal(int(world.negatives[p])), "negative", now) for p in tested]
        session.execute(insert(ResultRow), results)


def _bulk(session: Session, into: str, rows: Iterator[tuple[object, ...]]) -> None:
    marks = ", ".join(["?"] * (into.count(",") + 1))
    cursor = session.connection().connection.cursor()
    while batch := list(itertools.islice(rows, BATCH)):
        cursor.executemany(f"INSERT INTO {into} VALUES ({marks})", batch)  # noqa: S608 - constant names


def _case(person: int, onset: date, now: datetime) -> dict[str, object]:
    return {
        "ref": f"C{person:025d}", "person_ref": _ref(person), "status": "confirmed", "onset_date": onset,
        "asymptomatic": False, "hospitalised": False, "reported_by": "benchmark", "reported_at": now,
    }  # fmt: skip


def _result(person: int, sampled: date, value: str, now: datetime) -> dict[str, object]:
    return {
        "id": f"{value[0].upper()}{person:025d}", "person_ref": _ref(person), "sample_date": sampled,
        "test_type": "pcr", "value": value, "reported_by": "benchmark", "reported_at": now,
    }  # fmt: skip


def measure_store(
    world: World, policy: str, positives: list[tuple[int, date]], memory: ArrayGraph[int], now: datetime
) -> StoreRun:
    """Load the world into a fresh SQLite installation, recompute in full (twice: into an empty table,
    then over the tiers it stored), then one transaction per new positive running the tracing
    listener; the tiers stored at the end against the in-memory ones after the same positives."""
    run = StoreRun(world.people)
    with tempfile.TemporaryDirectory() as scratch:
        settings = Settings(data_dir=Path(scratch) / "data", policy=policy)
        initialise(settings, clock=FixedClock(now))
        installation = open_installation(settings, clock=FixedClock(now))
        try:
            started = time.perf_counter()
            load_store(installation, world, now)
            run.seconds["load"] = time.perf_counter() - started
            for name in ("recompute", "recompute_again"):
                started = time.perf_counter()
                with installation.database.write() as session:
                    recompute_in(installation.platform, session, now.date())
                run.seconds[name] = time.perf_counter() - started
            for person, onset in positives:
                _one_positive(installation, run, person, onset, now)
            with installation.database.read() as session:
                query = select(TierRow.person_ref, TierRow.tier, TierRow.last_exposure, TierRow.cleared)
                stored = {int(ref): Standing(*standing) for ref, *standing in session.execute(query)}
            run.equal = stored == memory.standings
            run.database_mib = sum(f.stat().st_size for f in settings.data_dir.rglob("*.db*")) / 2**20
        finally:
            installation.close()
    return run


def _one_positive(installation: Installation, run: StoreRun, person: int, onset: date, now: datetime) -> None:
    """A case and its positive test in a transaction that runs the platform's listeners, as a report does."""
    started = time.perf_counter()
    with installation.database.write() as session:
        session.add(CaseRow(**_case(person, onset, now)))
        session.add(ResultRow(**_result(person, onset, "positive", now)))
        session.flush()
        heard = time.perf_counter()
        # Every listener a report runs: tiers and plans, tracer tasks, cluster alerts.
        for listener in installation.platform.listeners:
            listener(installation.platform, session, frozenset({_ref(person)}))
        run.listener_ms.append((time.perf_counter() - heard) * 1000)
    run.transaction_ms.append((time.perf_counter() - started) * 1000)
