"""Imports started from the laboratory's page: each runs the import use case in a thread of its own,
so that a large file shows its progress instead of holding the browser's request, and its report
(every bad row, with its line and reasons) is kept in this process's memory for the page to show.

The report is not written anywhere: its messages may quote what the file held (a cell that is not a
date), and files hold identities. It lasts KEPT_FOR after the import ends, then only the counts the
store keeps remain.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from fastapi import FastAPI

from serment.access import Platform, Refused, Request
from serment.logs import get_logger
from serment.people import new_ref
from serment.reporting import (
    AlreadyImported,
    FileRefused,
    ImportInvalid,
    ImportReport,
    Position,
    import_results,
)
from serment.secrecy import Spool

KEPT_FOR = timedelta(hours=2)
# Reports kept at most; the oldest finished ones go first.
MAX_JOBS = 200
CHECKING, STORING, DONE = "checking", "storing", "done"

log = get_logger(__name__)


@dataclass(frozen=True)
class Outcome:
    """How an import ended: `kind` is stored (with `report`; bad rows were left out with partial),
    invalid (nothing stored; `report` names the bad rows), seen (the file was imported before, as
    `seen_id` at `seen_at`), refused (the file cannot be read; `detail` says why), or failed."""

    kind: str
    report: ImportReport | None = None
    detail: str | None = None
    seen_id: str | None = None
    seen_at: datetime | None = None


@dataclass
class ImportJob:
    """One file being imported for one account, and then its outcome."""

    id: str
    owner: str
    filename: str
    size: int
    partial: bool
    started_at: datetime
    phase: str = CHECKING
    position: Position | None = None
    outcome: Outcome | None = None
    ended_at: datetime | None = None
    finished: threading.Event = field(default_factory=threading.Event)

    @property
    def fraction(self) -> float | None:
        """How much of the file the check has read, from 0 to 1, when known."""
        position = self.position
        if position is None or not position.total:
            return None
        return min(1.0, position.done / position.total)

    def advance(self, position: Position) -> None:
        """The import's progress callback: rows checked so far; once all are, the rows are stored."""
        self.position = position
        if position.total is not None and position.done >= position.total:
            self.phase = STORING


class ImportJobs:
    """The imports of one app, by id: the job's own, and the stored import's once there is one."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._jobs: dict[str, ImportJob] = {}
        # The id of a stored import -> the job that stored it.
        self._aliases: dict[str, str] = {}

    def start(
        self, platform: Platform, request: Request, spool: Spool, *, filename: str, size: int, partial: bool
    ) -> ImportJob:
        """Import the spooled file in a thread of its own, which discards the spool when done."""
        job = ImportJob(new_ref(), request.actor.name, filename, size, partial, platform.clock.now())
        with self._lock:
            self._forget_old(platform.clock.now())
            self._jobs[job.id] = job
        worker = threading.Thread(
            target=self._run, args=(job, platform, request, spool), name=f"import-{job.id}", daemon=True
        )
        worker.start()
        return job

    def find(self, key: str, owner: str) -> ImportJob | None:
        """The job `key` (its id, or the id of the import it stored) of the account `owner`."""
        with self._lock:
            job = self._jobs.get(self._aliases.get(key, key))
        return job if job is not None and job.owner == owner else None

    def _run(self, job: ImportJob, platform: Platform, request: Request, spool: Spool) -> None:
        try:
            job.outcome = _imported(platform, request, spool, job)
        except Exception as error:  # a page must say the import failed, whatever the reason
            log.error("import_failed", job=job.id, error=type(error).__name__)
            job.outcome = Outcome("failed")
        finally:
            spool.discard()
            job.phase, job.ended_at = DONE, platform.clock.now()
            report = job.outcome.report if job.outcome is not None else None
            if report is not None and report.import_id is not None:
                with self._lock:
                    self._aliases[report.import_id] = job.id
            job.finished.set()

    def _forget_old(self, now: datetime) -> None:
        """Drop the reports ended more than KEPT_FOR ago, and the oldest beyond MAX_JOBS."""
        ended = sorted(
            (job for job in self._jobs.values() if job.ended_at is not None),
            key=lambda job: job.ended_at or now,
        )
        surplus = max(0, len(self._jobs) + 1 - MAX_JOBS)
        gone = {job.id for job in ended[:surplus]}
        gone |= {job.id for job in ended if job.ended_at is not None and now - job.ended_at > KEPT_FOR}
        for key in gone:
            del self._jobs[key]
        self._aliases = {alias: key for alias, key in self._aliases.items() if key not in gone}


def _imported(platform: Platform, request: Request, spool: Spool, job: ImportJob) -> Outcome:
    try:
        report = import_results(platform, request, spool, partial=job.partial, progress=job.advance)
    except AlreadyImported as seen:
        return Outcome("seen", seen_id=seen.import_id, seen_at=seen.at)
    except FileRefused as refused:
        return Outcome("refused", detail=str(refused))
    except ImportInvalid as invalid:
        return Outcome("invalid", report=invalid.report)
    except Refused as refused:
        return Outcome("failed", detail=refused.reason)
    return Outcome("stored", report=report)


def jobs_of(app: FastAPI) -> ImportJobs:
    """The imports of `app`, made at first use."""
    with _MAKING:
        jobs = getattr(app.state, "lab_import_jobs", None)
        if not isinstance(jobs, ImportJobs):
            jobs = ImportJobs()
            app.state.lab_import_jobs = jobs
        return jobs


_MAKING = threading.Lock()
