"""Laboratory file imports: a CSV or XLSX file of results, checked row by row, stored through the
same path as JSON results, each file once and each sample once."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from itertools import islice

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from serment.access import Platform, Request, guard
from serment.audit import write_deferred
from serment.people import new_ref, register_all_in
from serment.policy import Policy
from serment.reporting.labfiles import BadRow, LabFile, LabRow, Position, open_lab_file, parse_row, read_rows
from serment.reporting.results import file_result
from serment.store.tables import ImportedSampleRow, ImportRow

# Rows stored between two flushes; the session is emptied after each so memory stays flat.
BATCH_ROWS = 500
# Bad rows named in a report; the others are only counted.
MAX_ERRORS = 1000
# Imports are a lab's (or clinician's) act of care.
IMPORT_PURPOSE = "care"


@dataclass(frozen=True)
class RowError:
    """One problem of one row: its line (the header is line 1), its column, what is wrong."""

    line: int
    location: str
    message: str

    def __str__(self) -> str:
        return f"line {self.line:,}: {self.location}: {self.message}"


@dataclass(frozen=True)
class ImportReport:
    """How a file's rows fared; `errors` names at most MAX_ERRORS problems, `more_errors` counts
    the rest. `import_id` is None when nothing was recorded."""

    rows: int
    stored: int
    refused: int
    duplicates: int
    errors: tuple[RowError, ...]
    more_errors: int
    import_id: str | None


class ImportInvalid(Exception):
    """All or nothing, and some rows are bad: nothing was stored. `report` names every bad row."""

    def __init__(self, report: ImportReport) -> None:
        self.report = report
        super().__init__(
            f"nothing was stored: {report.refused:,} of {report.rows:,} rows are invalid "
            "(send them corrected, or import with partial to store the good rows)"
        )


class AlreadyImported(Exception):
    """The same file content was imported before: nothing is stored twice."""

    def __init__(self, import_id: str, at: datetime) -> None:
        self.import_id = import_id
        self.at = at
        super().__init__(f"this file was already imported on {at:%Y-%m-%d at %H:%M} UTC; nothing was stored")


def may_import(platform: Platform, request: Request) -> None:
    """Raise Refused (audited) if the caller may not register and report people at all: checked
    before a file is read, so that a caller without the right learns nothing of its handling."""

    def check(session: Session) -> None:
        for action in ("register", "report"):
            # guard, not authorise: the attempt is audited even if the file is then refused.
            guard(platform, session, request, action, None)

    platform.run(check)


def import_results(
    platform: Platform,
    request: Request,
    file: LabFile,
    *,
    partial: bool = False,
    progress: Callable[[Position], None] | None = None,
) -> ImportReport:
    """Import the results of a lab file (a path, or an upload's spool): all rows or none (or, with
    `partial`, the good ones). The file is read three times: its hash, the check, the store.

    Raises Refused if the caller may not report, FileRefused for an unreadable file or header,
    AlreadyImported for a file seen before, ImportInvalid for bad rows without `partial`.
    """
    today = platform.clock.now().date()
    digest = _sha256(file)
    may_import(platform, request)
    with platform.database.read() as session:
        _check_not_imported(session, digest)
    # First pass, pure: nothing touches the database until the whole file is known good enough.
    checked = _check_file(file, today, platform.policy, progress)
    if checked.refused and not partial:
        raise ImportInvalid(_report(checked, 0, 0, None))
    return platform.run(
        lambda session: _store(
            platform, session, request, file=file, digest=digest, today=today, checked=checked
        )
    )


@dataclass
class _Checked:
    rows: int = 0
    refused: int = 0
    problems: int = 0
    errors: list[RowError] = field(default_factory=list)


def _check_file(
    file: LabFile, today: date, policy: Policy, progress: Callable[[Position], None] | None
) -> _Checked:
    checked = _Checked()
    for line, cells in read_rows(file, policy, progress):
        checked.rows += 1
        parsed = parse_row(line, cells, today)
        if isinstance(parsed, BadRow):
            checked.refused += 1
            checked.problems += len(parsed.problems)
            room = MAX_ERRORS - len(checked.errors)
            checked.errors.extend(RowError(line, where, what) for where, what in parsed.problems[:room])
    return checked


def _store(
    platform: Platform,
    session: Session,
    request: Request,
    *,
    file: LabFile,
    digest: str,
    today: date,
    checked: _Checked,
) -> ImportReport:
    _check_not_imported(session, digest)
    now = platform.clock.now()
    actor = request.actor
    import_id = new_ref()
    session.add(
        ImportRow(
            id=import_id, sha256=digest, actor=actor.name, organisation=actor.organisation, imported_at=now,
            rows=checked.rows, stored=0, refused=0, duplicates=0,
        )
    )  # fmt: skip
    session.flush()
    stored = duplicates = refused = 0
    for batch in _batches(
        (parse_row(line, cells, today) for line, cells in read_rows(file, platform.policy)), BATCH_ROWS
    ):
        rows = [row for row in batch if isinstance(row, LabRow)]
        refused += len(batch) - len(rows)
        kept = _store_rows(platform, session, request, rows, import_id=import_id, now=now)
        stored += kept
        duplicates += len(rows) - kept
        # The batch's audit events are written now, in the same transaction and chain.
        write_deferred(session)
        session.flush()
        session.expunge_all()
    session.execute(
        update(ImportRow)
        .where(ImportRow.id == import_id)
        .values(stored=stored, refused=refused, duplicates=duplicates)
    )
    return _report(checked, stored, duplicates, import_id)


def _store_rows(
    platform: Platform,
    session: Session,
    request: Request,
    rows: list[LabRow],
    *,
    import_id: str,
    now: datetime,
) -> int:
    """Register the rows' people and file their results; returns how many were new (the others
    carry a sample this lab's files already brought)."""
    people = register_all_in(platform, session, request, [row.person for row in rows])
    keys = [_sample_key(platform, request, row, person.ref) for row, person in zip(rows, people, strict=True)]
    wanted = {key for key in keys if key is not None}
    seen = set(
        session.scalars(select(ImportedSampleRow.sample_key).where(ImportedSampleRow.sample_key.in_(wanted)))
        if wanted
        else ()
    )
    stored = 0
    for row, person, key in zip(rows, people, keys, strict=True):
        if key is not None:
            if key in seen:
                continue
            seen.add(key)
        receipt = file_result(platform, session, request, person.ref, row.result, at=now)
        if key is not None:
            session.add(ImportedSampleRow(sample_key=key, import_id=import_id, result_id=receipt.result))
        stored += 1
    return stored


def _batches(items: Iterable[LabRow | BadRow], size: int) -> Iterator[list[LabRow | BadRow]]:
    iterator = iter(items)
    while batch := list(islice(iterator, size)):
        yield batch


def _sample_key(platform: Platform, request: Request, row: LabRow, person_ref: str) -> str | None:
    if row.sample_id is None:
        return None
    lab = row.result.lab or request.actor.organisation or ""
    # A keyed hash: the lab's sample ids stay out of the database, and cannot be guessed back.
    return platform.pseudonymiser.pseudonym("core", f"sample\x1f{person_ref}\x1f{lab}\x1f{row.sample_id}")


def _check_not_imported(session: Session, digest: str) -> None:
    found = session.scalars(select(ImportRow).where(ImportRow.sha256 == digest)).one_or_none()
    if found is not None:
        raise AlreadyImported(found.id, found.imported_at)


def _report(checked: _Checked, stored: int, duplicates: int, import_id: str | None) -> ImportReport:
    return ImportReport(
        rows=checked.rows, stored=stored, refused=checked.refused, duplicates=duplicates,
        errors=tuple(checked.errors), more_errors=checked.problems - len(checked.errors), import_id=import_id,
    )  # fmt: skip


def _sha256(file: LabFile) -> str:
    digest = hashlib.sha256()
    with open_lab_file(file) as stream:
        while chunk := stream.read(1024 * 1024):
            digest.update(chunk)
    return digest.hexdigest()
