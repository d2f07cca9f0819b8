"""The import side of the crash-safety test: lab files of a few thousand rows, one uploader that sends
them one after the other to a server killed under it (a file unanswered is sent again once the server
is back, as a laboratory would), and the check that no file is ever seen in part.

Each file's rows carry the lab `crash-import-<n>`: the store keeps it in clear, so the rows of one
file can be counted among everything stored."""

from __future__ import annotations

import hashlib
import threading
import time
from collections import Counter
from dataclasses import dataclass, field

import httpx
from sqlalchemy import select
from sqlalchemy.orm import Session

from serment.store.tables import ImportRow, ResultRow
from tests.people_data import Synthetic

IMPORT_MARK = "crash-import-"
# Every column fr-2020 lets a result carry, and the lab that names the file.
HEADER = "nir;nom;prenom;date_naissance;sexe;adresse;code_postal;ville;telephone;date_prelevement;"
HEADER += "type_test;resultat;laboratoire"
UPLOAD_TIMEOUT_S = 600


def lab_file(number: int, population: list[Synthetic]) -> bytes:
    """File `number`: one negative PCR result a row, each of a person of its own."""
    rows = [
        f"{p.nir};{p.family_name};{p.given_names};{p.birth_date};{p.sex};{p.address_line};69003;Lyon;"
        f"{p.phone};2026-02-27;PCR;NEG;{IMPORT_MARK}{number}"
        for p in population
    ]
    return ("\n".join([HEADER, *rows]) + "\n").encode()


@dataclass
class Uploads:
    """The files, and how the server answered each: `imported` (201), `recognised` (200, a file an
    unanswered upload had in fact imported), `interrupted` (uploads cut by a kill)."""

    files: list[bytes]
    lock: threading.Lock = field(default_factory=threading.Lock)
    imported: dict[int, dict[str, object]] = field(default_factory=dict)
    recognised: set[int] = field(default_factory=set)
    interrupted: int = 0
    unexpected: list[str] = field(default_factory=list)
    begun: int = 0
    started: float | None = None
    durations: list[float] = field(default_factory=list)

    def answered(self, number: int) -> bool:
        """Whether the server said file `number` is imported."""
        with self.lock:
            return number in self.imported or number in self.recognised


class Uploader:
    """One thread sending the files in turn while `serving` is set, each until the server says it is
    imported (201, or 200 for a file it already holds); once `closing` is set, it starts no new file."""

    def __init__(self, base_url: str, token: str, uploads: Uploads) -> None:
        self.serving = threading.Event()
        self.closing = threading.Event()
        self._http = httpx.Client(base_url=base_url, timeout=UPLOAD_TIMEOUT_S)
        self._http.headers.update({"Authorization": f"Bearer {token}", "Content-Type": "text/csv"})
        self._uploads = uploads
        self._thread = threading.Thread(target=self._run, daemon=True)

    def start(self) -> None:
        """Start sending, once `serving` is set."""
        self._thread.start()

    def join(self) -> None:
        """Start no new file, and wait until the one under way is answered."""
        self.closing.set()
        self._thread.join(UPLOAD_TIMEOUT_S * 2)
        assert not self._thread.is_alive(), "the uploader did not finish"
        self._http.close()

    def _run(self) -> None:
        for number, content in enumerate(self._uploads.files):
            if self.closing.is_set():
                return
            self._uploads.begun = number + 1
            while not self._uploads.answered(number):
                self.serving.wait()
                self._send(number, content)

    def _send(self, number: int, content: bytes) -> None:
        uploads = self._uploads
        with uploads.lock:
            uploads.started = time.monotonic()
        try:
            answer = self._http.post("/api/v1/imports", content=content)
        except httpx.TransportError:
            with uploads.lock:
                uploads.interrupted += 1
                uploads.started = None
            time.sleep(0.05)
            return
        with uploads.lock:
            if uploads.started is not None:
                uploads.durations.append(time.monotonic() - uploads.started)
            uploads.started = None
            if answer.status_code == 201:
                uploads.imported[number] = answer.json()
            elif answer.status_code == 200 and "already_imported" in answer.json():
                uploads.recognised.add(number)
            else:
                uploads.unexpected.append(f"file {number}: {answer.status_code} {answer.text[:500]}")
                uploads.recognised.add(number)  # so that the uploader moves on; the test fails on it


def partly_imported(session: Session, files: list[bytes], rows: int) -> list[str]:
    """Every file the store holds in part: a file's rows are all there with its import recorded (its
    counts saying every row was stored), or none are and no import of it is recorded."""
    stored = Counter(
        int(lab.removeprefix(IMPORT_MARK))
        for lab in session.scalars(select(ResultRow.lab).where(ResultRow.lab.like(f"{IMPORT_MARK}%")))
        if lab is not None
    )
    recorded = {row.sha256: row for row in session.scalars(select(ImportRow))}
    problems = []
    for number, content in enumerate(files):
        record = recorded.pop(hashlib.sha256(content).hexdigest(), None)
        count = stored[number]
        if count not in {0, rows}:
            problems.append(f"file {number}: {count:,} of its {rows:,} rows are stored")
        if (record is None) != (count == 0):
            recorded_as = "recorded" if record is not None else "not recorded"
            problems.append(f"file {number}: {count:,} rows stored, its import {recorded_as}")
        if record is not None and (record.rows, record.stored) != (rows, rows):
            problems.append(f"file {number}: recorded as {record.stored:,} of {record.rows:,} rows stored")
    problems += [f"an import of no file sent: {row.id}" for row in recorded.values()]
    return problems


def imported_files(session: Session, files: list[bytes]) -> set[int]:
    """The files whose import the store records."""
    recorded = set(session.scalars(select(ImportRow.sha256)))
    return {n for n, content in enumerate(files) if hashlib.sha256(content).hexdigest() in recorded}


def missing_acknowledged_imports(session: Session, uploads: Uploads, rows: int) -> list[str]:
    """Every file answered 201 whose import the store does not hold as the answer said: its id, and
    every row stored."""
    recorded = {row.id: row.stored for row in session.scalars(select(ImportRow))}
    return [
        f"file {number}: answered {answer['import']} with {answer['stored']} rows stored, the store holds "
        f"{recorded.get(str(answer['import']))}"
        for number, answer in uploads.imported.items()
        if answer["stored"] != rows or recorded.get(str(answer["import"])) != rows
    ]
