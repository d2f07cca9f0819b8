"""The reporting side of the crash-safety test: clients that report without pause to a server that is
killed under them, a ledger of what it acknowledged, and the checks of what the store holds afterwards.

Every report carries its number where the store keeps it in clear without identifying anyone: its
result's `lab` and its contacts' `place_id` are `crash-report-<n>`, a batch of lab results has the lab
`crash-results-<n>`. So each one can be found whole, or in part, among everything stored."""

from __future__ import annotations

import itertools
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import select
from sqlalchemy.orm import Session

from serment.store.tables import CaseRow, ExposureRow, PersonRow, ResultRow, TierRow, TracingTaskRow
from tests.people_data import Synthetic

REPORT_MARK = "crash-report-"
RESULTS_MARK = "crash-results-"
# One job in this many is a batch of lab results, the others case reports.
RESULTS_EVERY = 4
REQUEST_TIMEOUT_S = 60


def contacts_of(number: int) -> int:
    """How many contacts report `number` names: one to three, so that a report cut short shows."""
    return 1 + number % 3


def batch_size(number: int) -> int:
    """How many results batch `number` holds."""
    return 2 + number % 2


@dataclass
class Ledger:
    """What the clients sent and what the server answered, shared by the client threads."""

    population: list[Synthetic]
    lock: threading.Lock = field(default_factory=threading.Lock)
    jobs: Iterator[int] = field(default_factory=itertools.count)
    next_person: int = 0
    reports: dict[int, dict[str, Any]] = field(default_factory=dict)
    results: dict[int, list[dict[str, str]]] = field(default_factory=dict)
    unanswered_results: set[int] = field(default_factory=set)
    interrupted: int = 0
    replayed: int = 0
    answers: int = 0
    unexpected: list[str] = field(default_factory=list)

    def take(self, count: int) -> list[Synthetic]:
        """`count` people no other job has used, so that no two reports share a person."""
        with self.lock:
            start, self.next_person = self.next_person, self.next_person + count
        if self.next_person > len(self.population):
            raise RuntimeError("the synthetic population is used up: make it larger")
        return self.population[start : start + count]

    def job(self) -> int:
        """The next job's number."""
        with self.lock:
            return next(self.jobs)


def report_payload(number: int, ledger: Ledger) -> dict[str, Any]:
    """Case report `number`: a person, a confirmed case, a positive result and its contacts."""
    today = datetime.now(UTC).date()
    person, *contacts = ledger.take(1 + contacts_of(number))
    mark = f"{REPORT_MARK}{number}"
    exposure = {"date": str(today - timedelta(days=3)), "setting": "household", "place_id": mark}
    return {
        "person": person.payload(),
        "case": {"status": "confirmed", "onset_date": str(today - timedelta(days=2))},
        "result": {
            "sample_date": str(today - timedelta(days=1)), "test_type": "rt-pcr", "value": "positive",
            "lab": mark,
        },
        "contacts": [{"person": contact.contact_payload(), "exposure": exposure} for contact in contacts],
    }  # fmt: skip


def results_payload(number: int, ledger: Ledger) -> list[dict[str, Any]]:
    """Batch `number` of lab results: negative tests of people no report names."""
    sampled = str(datetime.now(UTC).date() - timedelta(days=1))
    lab = f"{RESULTS_MARK}{number}"
    result = {"sample_date": sampled, "test_type": "antigen", "value": "negative", "lab": lab}
    return [
        {"person": person.payload(with_email=False), **result} for person in ledger.take(batch_size(number))
    ]


class Clients:
    """Threads that report without pause while `serving` is set, each job to its end: a case report
    unanswered because the server died is sent again with the same Idempotency-Key once it is back
    (a retry, as a client would); a batch of results, which has no key, is not."""

    def __init__(self, count: int, base_url: str, tokens: dict[str, str], ledger: Ledger) -> None:
        self.serving = threading.Event()
        self.done = threading.Event()
        self._base_url = base_url
        self._tokens = tokens
        self._ledger = ledger
        self._threads = [threading.Thread(target=self._run, daemon=True) for _ in range(count)]

    def start(self) -> None:
        """Start every client; they send once `serving` is set."""
        for thread in self._threads:
            thread.start()

    def finish(self) -> None:
        """Let each client end the job it is on, then stop them."""
        self.done.set()
        for thread in self._threads:
            thread.join(REQUEST_TIMEOUT_S * 2)
            assert not thread.is_alive(), "a client did not finish its last job"

    def wait_for_answers(self, count: int, deadline_s: float = REQUEST_TIMEOUT_S) -> None:
        """Wait until the server has acknowledged `count` more jobs than it had so far."""
        with self._ledger.lock:
            target = self._ledger.answers + count
        deadline = time.monotonic() + deadline_s
        while self._ledger.answers < target:
            assert time.monotonic() < deadline, f"the server acknowledged nothing in {deadline_s} s"
            time.sleep(0.01)

    def _run(self) -> None:
        clinic = httpx.Client(base_url=self._base_url, timeout=REQUEST_TIMEOUT_S)
        lab = httpx.Client(base_url=self._base_url, timeout=REQUEST_TIMEOUT_S)
        clinic.headers["Authorization"] = f"Bearer {self._tokens['clinician']}"
        lab.headers["Authorization"] = f"Bearer {self._tokens['lab']}"
        with clinic, lab:
            while not self.done.is_set():
                self.serving.wait()
                number = self._ledger.job()
                if number % RESULTS_EVERY == RESULTS_EVERY - 1:
                    self._send_results(lab, number)
                else:
                    self._send_report(clinic, number)

    def _send_report(self, http: httpx.Client, number: int) -> None:
        payload = report_payload(number, self._ledger)
        headers = {"Idempotency-Key": f"{REPORT_MARK}{number}"}
        while True:
            self.serving.wait()
            try:
                answer = http.post("/api/v1/reports", json=payload, headers=headers)
            except httpx.TransportError:
                self._count_interruption()
                continue
            with self._ledger.lock:
                if answer.status_code != 201:
                    self._ledger.unexpected.append(f"report {number}: {answer.status_code} {answer.text}")
                    return
                self._ledger.reports[number] = answer.json()
                self._ledger.answers += 1
                self._ledger.replayed += answer.headers.get("Idempotent-Replayed") == "true"
            return

    def _send_results(self, http: httpx.Client, number: int) -> None:
        try:
            answer = http.post("/api/v1/results", json=results_payload(number, self._ledger))
        except httpx.TransportError:
            self._count_interruption()
            with self._ledger.lock:
                self._ledger.unanswered_results.add(number)
            return
        with self._ledger.lock:
            if answer.status_code != 201:
                self._ledger.unexpected.append(f"results {number}: {answer.status_code} {answer.text}")
                return
            self._ledger.results[number] = answer.json()
            self._ledger.answers += 1

    def _count_interruption(self) -> None:
        with self._ledger.lock:
            self._ledger.interrupted += 1


def _number(mark: str | None, prefix: str) -> int | None:
    return int(mark.removeprefix(prefix)) if mark is not None and mark.startswith(prefix) else None


def half_stored(session: Session) -> list[str]:
    """Every report or batch of which the store holds a part only, over everything stored (sent and
    answered or not): each case report is one result, one case and all its contacts' exposures, from
    one transaction; each batch all its results; and no person is registered for nothing."""
    results = list(session.scalars(select(ResultRow)))
    exposures = list(session.scalars(select(ExposureRow)))
    # A report's rows share its person and the moment of its transaction.
    reported = {
        (row.person_ref, row.reported_at): n
        for row in results
        if (n := _number(row.lab, REPORT_MARK)) is not None
    }
    named = {row.person_ref for row in results} | {row.contact_ref for row in exposures}
    orphans = [ref for ref in session.scalars(select(PersonRow.ref)) if ref not in named]
    return (
        _counted(Counter(_number(row.lab, REPORT_MARK) for row in results), lambda n: 1, "results")
        + _counted(Counter(_number(row.lab, RESULTS_MARK) for row in results), batch_size, "batch results")
        + _cases_apart(session, reported)
        + _exposures_apart(exposures, reported)
        + _untraced(session, exposures)
        + ([f"{len(orphans)} people registered with nothing reported of them"] if orphans else [])
    )


def _untraced(session: Session, exposures: list[ExposureRow]) -> list[str]:
    """Contacts of a report left without what tracing writes in the report's transaction: a tier (a
    contact of a confirmed case, exposed while infectious) and a tracer's task to call them."""
    contacts = {row.contact_ref for row in exposures if _number(row.place_id, REPORT_MARK) is not None}
    tiered = set(session.scalars(select(TierRow.person_ref)))
    tasked = set(session.scalars(select(TracingTaskRow.person_ref)))
    untiered, untasked = len(contacts - tiered), len(contacts - tasked)
    return [f"{untiered} contacts without a tier"] * (untiered > 0) + [
        f"{untasked} contacts without a tracer's task"
    ] * (untasked > 0)


def _counted(counts: Counter[int | None], expected: Callable[[int], int], what: str) -> list[str]:
    return [
        f"{what} of {n}: {count} where {expected(n)} were sent"
        for n, count in counts.items()
        if n is not None and count != expected(n)
    ]


def _cases_apart(session: Session, reported: dict[tuple[str, datetime], int]) -> list[str]:
    """Cases stored without their report's result, and reports without exactly one case."""
    rows = session.scalars(select(CaseRow))
    cases = Counter(reported.get((row.person_ref, row.reported_at)) for row in rows)
    return [f"{cases[None]} cases without the result of their report"] * (cases[None] > 0) + [
        f"report {n}: {cases[n]} cases" for n in reported.values() if cases[n] != 1
    ]


def _exposures_apart(exposures: list[ExposureRow], reported: dict[tuple[str, datetime], int]) -> list[str]:
    """Exposures stored outside their report's transaction, and reports without all their contacts."""
    exposed: Counter[int | None] = Counter()
    for row in exposures:
        n = _number(row.place_id, REPORT_MARK)
        exposed[n if n is not None and reported.get((row.person_ref, row.reported_at)) == n else None] += 1
    return [f"{exposed[None]} exposures outside their report"] * (exposed[None] > 0) + [
        f"report {n}: {exposed[n]} of {contacts_of(n)} contacts"
        for n in reported.values()
        if exposed[n] != contacts_of(n)
    ]


def missing_acknowledged(session: Session, ledger: Ledger) -> list[str]:
    """Every part of an acknowledged report or batch that the store does not hold as its answer said."""
    problems = []
    people = set(session.scalars(select(PersonRow.ref).where(PersonRow.erased_at.is_(None))))
    cases = {row.ref: row.person_ref for row in session.scalars(select(CaseRow))}
    results = {row.id: row.person_ref for row in session.scalars(select(ResultRow))}
    exposures = {
        (row.person_ref, row.contact_ref, row.place_id) for row in session.scalars(select(ExposureRow))
    }
    for number, receipt in ledger.reports.items():
        person, mark = receipt["person"], f"{REPORT_MARK}{number}"
        if cases.get(receipt["case"]) != person or results.get(receipt["result"]) != person:
            problems.append(f"report {number}: its case or its result is missing")
        missing = [c for c in receipt["contacts"] if (person, c, mark) not in exposures or c not in people]
        problems += [f"report {number}: {len(missing)} contacts missing"] if missing else []
        problems += [] if person in people else [f"report {number}: its person is missing"]
    for number, receipts in ledger.results.items():
        lost = [r for r in receipts if results.get(r["result"]) != r["person"] or r["person"] not in people]
        problems += [f"results batch {number}: {len(lost)} results missing"] if lost else []
    return problems
