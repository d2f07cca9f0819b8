"""The clinician's and the laboratory's lists at national scale: a clinician's reports, the lookup of one
of their patients, a patient's summary and a laboratory's imports, each as a use case and as a page
served through the app, beside a reference measured in the same run (the same page of reports read
without the index, as a database without it would).

    python benchmarks/clinic_pages.py [--people 1000000] [--cases 100000] [--mine 500] [--runs 20] [--seed 7]

The store is SQLite in a temporary directory. Background people are bulk-inserted as minimal rows with
the two blocking keys a lookup reads (birth date and sex, family name), their family names drawn from
a French population's and their birth dates over 90 years; their cases are reported by 100 other
clinicians, with two contacts each. The measured clinician's `--mine` reports go through the reporting
service (identities sealed, two contacts each). Every page of reports opens and audits 50 identities.
Writes benchmarks/results/clinic_pages.md. No timing is asserted anywhere.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import httpx
from sqlalchemy import text
from sqlalchemy.orm import Session

from benchmarks.summary import Headline, record, results_dir
from serment.access import Actor, Platform, Request, operator
from serment.access.accounts import add_user
from serment.access.sessions import sign_in
from serment.clock import FixedClock
from serment.demo.population import Person, generate_population
from serment.installation import Installation, initialise, open_installation
from serment.people import PersonDetails, person_details, read_person
from serment.people.linkage import LINKAGE_DOMAIN
from serment.reporting import CaseInput, CaseReport, ContactInput, ExposureInput, ResultInput, report_case
from serment.reporting.import_history import list_own_imports
from serment.reporting.reporters import find_own_patients, list_own_reports
from serment.secrecy import normalise_name
from serment.settings import Settings
from serment.tracing.care_summaries import care_summary
from serment.web import create_app
from serment.web.pages.viewer import CSRF_FIELD, SESSION_COOKIE

RESULTS = results_dir() / "clinic_pages.md"
# `make bench`'s quick scale: a tenth of the people, every measure still taken.
QUICK_ARGS = ["--people", "100000", "--cases", "10000", "--mine", "100", "--runs", "10"]
NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
CLINICIAN, LAB, PASSWORD = "dr-bench", "lab-bench", "benchmark password"
BATCH = 50_000


def _bulk(session: Session, into: str, rows: Iterator[tuple[object, ...]]) -> None:
    marks = ", ".join(["?"] * (into.count(",") + 1))
    cursor = session.connection().connection.cursor()
    while batch := list(itertools.islice(rows, BATCH)):
        cursor.executemany(f"INSERT INTO {into} VALUES ({marks})", batch)  # noqa: S608 - constant names


def load_background(installation: Installation, people: int, cases: int, names: list[str], seed: int) -> None:
    """Minimal people with their birth and family-name keys, cases by 100 other clinicians with two
    contacts each, and 10,000 imports by 100 laboratories."""
    rng = random.Random(seed)
    key = installation.platform.pseudonymiser.pseudonym
    stamp = NOW.replace(tzinfo=None).isoformat(sep=" ", timespec="microseconds")
    first_birth = date(1930, 1, 1).toordinal()
    with installation.database.write() as session:
        _bulk(
            session,
            "people (ref, strength, key_version, epoch_month, last_event_at, created_at, updated_at)",
            ((f"{p:026d}", "demographic", 1, "2026-03", stamp, stamp, stamp) for p in range(people)),
        )

        def keys() -> Iterator[tuple[str, str]]:
            for p in range(people):
                born = date.fromordinal(first_birth + rng.randrange(90 * 365)).isoformat()
                family = normalise_name(rng.choice(names)).replace(" ", "")
                yield key(LINKAGE_DOMAIN, f"born:{born}|{rng.choice('FM')}"), f"{p:026d}"
                yield key(LINKAGE_DOMAIN, f"family:{family}"), f"{p:026d}"

        _bulk(session, "person_keys (key, person_ref)", keys())
        chosen = rng.sample(range(people), cases)

        def case_rows() -> Iterator[tuple[object, ...]]:
            for n, p in enumerate(chosen):
                at = (NOW - timedelta(minutes=rng.randrange(60 * 24 * 60))).replace(tzinfo=None)
                yield (
                    f"C{n:025d}",
                    f"{p:026d}",
                    "confirmed",
                    0,
                    0,
                    f"dr-{n % 100:03d}",
                    at.isoformat(sep=" "),
                )

        _bulk(
            session,
            "cases (ref, person_ref, status, asymptomatic, hospitalised, reported_by, reported_at)",
            case_rows(),
        )
        _bulk(
            session,
            "exposures (person_ref, contact_ref, date_from, date_to, setting, reported_by, reported_at)",
            _exposure_rows(chosen, people, stamp, rng),
        )
        _bulk(
            session,
            "imports (id, sha256, actor, organisation, imported_at, rows, stored, refused, duplicates)",
            _import_rows(),
        )


def _exposure_rows(
    chosen: list[int], people: int, stamp: str, rng: random.Random
) -> Iterator[tuple[object, ...]]:
    for n, person in enumerate(chosen):
        for _ in range(2):
            contact = f"{rng.randrange(people):026d}"
            yield (
                f"{person:026d}",
                contact,
                "2026-02-20",
                "2026-02-20",
                "household",
                f"dr-{n % 100:03d}",
                stamp,
            )


def _import_rows() -> Iterator[tuple[object, ...]]:
    for n in range(10_000):
        at = (NOW - timedelta(hours=n)).replace(tzinfo=None).isoformat(sep=" ")
        yield (f"I{n:025d}", f"{n:064x}", f"lab-{n % 100:03d}", f"Lab {n % 100:03d}", at, 1000, 990, 10, 0)


def report_mine(platform: Platform, request: Request, people: list[Person]) -> None:
    """The measured clinician's reports through the reporting service, two contacts each (tracing's
    listeners left out: they are not what is measured here)."""
    quiet = replace(platform, listeners=())
    today = NOW.date()
    for index in range(0, len(people) - 2, 3):
        patient, *contacts = people[index : index + 3]
        exposure = ExposureInput(today - timedelta(days=3), today - timedelta(days=3), "household")
        report = CaseReport(
            person=_details(patient, today, nir=True),
            case=CaseInput("confirmed", today - timedelta(days=1), False, False),
            result=ResultInput(today - timedelta(days=1), today, "rt-pcr", "positive"),
            contacts=tuple(ContactInput(_details(c, today, nir=False), exposure) for c in contacts),
        )
        report_case(quiet, request, report)


def _details(person: Person, today: date, *, nir: bool) -> PersonDetails:
    return person_details(
        nir=person.nir if nir else None, family_name=person.family_name, given_names=person.given_names,
        birth_date=person.birth_date.isoformat(), sex=person.sex, phone=person.phone, today=today,
    )  # fmt: skip


def timed(runs: int, action: Callable[[], object]) -> float:
    """The median of `runs` timings of `action` in milliseconds, after one run to warm up."""
    action()
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        action()
        samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples)


def main(argv: list[str] | None = None) -> int:
    """Build the store, measure, and write the results table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=1_000_000)
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--mine", type=int, default=500)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--seed", type=int, default=7)
    options = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as scratch:
        settings = Settings(data_dir=Path(scratch) / "data")
        initialise(settings, clock=FixedClock(NOW))
        installation = open_installation(settings, clock=FixedClock(NOW))
        try:
            rows = run(installation, settings, options)
        finally:
            installation.close()
    table = "\n".join(f"| {name} | {value:.{0 if name.endswith(' s') else 1}f} |" for name, value in rows)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(
        "# Clinician's and laboratory's pages\n\n"
        f"`python benchmarks/clinic_pages.py --people {options.people} --cases {options.cases} "
        f"--mine {options.mine} --runs {options.runs} --seed {options.seed}`\n\n"
        "SQLite, one process; medians of the runs after a warm-up. A page is the whole answer of the app "
        "(session, guard, audit, rendering), through ASGI in-process.\n\n"
        "| measure | value |\n| --- | ---: |\n" + table + "\n"
    )
    print(RESULTS.read_text())
    notes = [f"{options.people:,} people, {options.cases:,} cases, {options.mine} reports by the clinician"]
    record("clinic_pages", headlines(dict(rows)), options=vars(options), notes=notes)
    return 0


def headlines(figures: dict[str, float]) -> list[Headline]:
    """The clinician's first page beside reading its 50 people as the API does, and the index beside a
    scan of every case."""
    return [
        Headline(
            "my reports, page 1 (50 names opened and audited), use case",
            figures["my reports, page 1 (50 names opened and audited), use case ms"],
            "the same 50 people read one by one as the API reads a person",
            figures["reference: the 50 identities of page 1 read one by one as the API reads a person ms"],
            "ms",
            higher_is_better=False,
        ),
        Headline(
            "page 1 of the clinician's case ids, through the index",
            figures["page 1 of the case ids alone, through the index ms"],
            "the same ids without the index (a scan of every case)",
            figures["reference: the same ids read without the index (a scan of every case) ms"],
            "ms",
            higher_is_better=False,
        ),
    ]


def run(
    installation: Installation, settings: Settings, options: argparse.Namespace
) -> list[tuple[str, float]]:
    """Load, then measure each list as a use case and as a page."""
    platform = installation.platform
    rows: list[tuple[str, float]] = []
    started = time.perf_counter()
    population = generate_population(max(3 * options.mine, 3000), options.seed, start=NOW.date())
    names = sorted({person.family_name for person in population.people})
    load_background(installation, options.people, options.cases, names, options.seed)
    rows.append(
        (
            "background load (people, keys, cases, exposures, imports) s",
            time.perf_counter() - started,
        )
    )
    for name, role, organisation in ((CLINICIAN, "clinician", "Cabinet Bench"), (LAB, "lab", "Lab 007")):
        add_user(platform, operator(), name=name, role=role, organisation=organisation, password=PASSWORD)
    clinician = Request(Actor(CLINICIAN, "clinician", "Cabinet Bench"), purpose="care")
    lab = Request(Actor(LAB, "lab", "Lab 007"), purpose="care")
    mine = [person for person in population.people if person.nir][: 3 * options.mine]
    started = time.perf_counter()
    report_mine(platform, clinician, mine)
    rows.append(
        (
            f"{options.mine} reports of the measured clinician, through the service s",
            time.perf_counter() - started,
        )
    )
    with installation.database.write() as session:
        session.execute(text("ANALYZE"))
    patient = mine[0]
    last_offset = ((options.mine - 1) // 50) * 50
    ref = find_own_patients(platform, clinician, nir=patient.nir)[0].ref
    first_page = list_own_reports(platform, clinician)
    measures: list[tuple[str, Callable[[], object]]] = [
        (
            "my reports, page 1 (50 names opened and audited), use case ms",
            lambda: list_own_reports(platform, clinician),
        ),
        (
            "my reports, last page, use case ms",
            lambda: list_own_reports(platform, clinician, offset=last_offset),
        ),
        ("page 1 of the case ids alone, through the index ms", lambda: _ids(installation, indexed=True)),
        (
            "reference: the same ids read without the index (a scan of every case) ms",
            lambda: _ids(installation, indexed=False),
        ),
        (
            "reference: the 50 identities of page 1 read one by one as the API reads a person ms",
            lambda: [read_person(platform, clinician, line.patient.ref) for line in first_page.items],
        ),
        (
            "patient lookup by NIR, use case ms",
            lambda: find_own_patients(platform, clinician, nir=patient.nir),
        ),
        (
            "patient lookup by family name and birth date, use case ms",
            lambda: find_own_patients(
                platform, clinician, family_name=patient.family_name, birth_date=patient.birth_date
            ),
        ),
        ("patient summary, use case ms", lambda: care_summary(platform, clinician, ref)),
        (
            "laboratory's imports, page 1 of 10,000 imports, use case ms",
            lambda: list_own_imports(platform, lab),
        ),
    ]
    for name, action in measures:
        rows.append((name, timed(options.runs, action)))
    rows += asyncio.run(_pages(installation, settings, options.runs, patient, ref))
    return rows


def _ids(installation: Installation, *, indexed: bool) -> object:
    scan = "" if indexed else " NOT INDEXED"
    with installation.database.read() as session:
        return session.execute(
            text(
                f"SELECT ref FROM cases{scan} WHERE reported_by = :actor "  # noqa: S608 - constant text
                "ORDER BY reported_at DESC, ref DESC LIMIT 51"
            ),
            {"actor": CLINICIAN},
        ).all()


async def _pages(
    installation: Installation, settings: Settings, runs: int, patient: Person, ref: str
) -> list[tuple[str, float]]:
    app = create_app(settings, installation=installation)
    rows = []
    day = patient.birth_date.strftime("%d/%m/%Y")
    lookup = {"q": f"{patient.family_name} {day}"}
    pages: dict[str, list[tuple[str, str, dict[str, str] | None, int]]] = {
        CLINICIAN: [
            ("GET /clinic/reports (page 1) ms", "/clinic/reports", None, 200),
            (
                "POST /clinic/patients (family name and birth date; 303 to the record) ms",
                "/clinic/patients",
                lookup,
                303,
            ),
            ("GET /clinic/patients/{ref} ms", f"/clinic/patients/{ref}", None, 200),
            ("GET /clinic/report (the empty form) ms", "/clinic/report", None, 200),
        ],
        LAB: [("GET /lab/imports ms", "/lab/imports", None, 200)],
    }
    for account, wanted in pages.items():
        session = sign_in(installation.platform, account, PASSWORD, None)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(
            transport=transport, base_url="http://bench.test", cookies={SESSION_COOKIE: session.cookie},
            headers={"Accept": "text/html", "Accept-Language": "fr"},
        ) as http:  # fmt: skip
            for name, path, form, expected in wanted:
                samples = []
                for run in range(runs + 1):
                    started = time.perf_counter()
                    if form is None:
                        answer = await http.get(path)
                    else:
                        answer = await http.post(path, data={**form, CSRF_FIELD: session.csrf})
                    if run:
                        samples.append((time.perf_counter() - started) * 1000)
                    if answer.status_code != expected:
                        raise RuntimeError(f"{path} answered {answer.status_code}")
                rows.append((name, statistics.median(samples)))
    return rows


if __name__ == "__main__":
    sys.exit(main())
