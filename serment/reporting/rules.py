"""What a report must be before anything of it is stored: pure checks over plain data, each problem
named by where it is in the report and what is wrong."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from serment.people import PersonDetails
from serment.secrecy import canonical, demographic

STATUSES = ("suspected", "probable", "confirmed")
TEST_TYPES = ("rt-pcr", "antigen", "serology")
VALUES = ("positive", "negative", "indeterminate")
SETTINGS = ("household", "work", "school", "health_care", "venue", "transport", "other")
# Notes say what no field can, briefly: a longer text is more likely to hold what no one needs.
NOTE_MAX_LENGTH = 1000


class ReportInvalid(ValueError):
    """A report that breaks the rules; `problems` lists (location, message) for every one."""

    def __init__(self, problems: Sequence[tuple[str, str]]) -> None:
        self.problems = tuple(problems)
        super().__init__("; ".join(f"{where}: {what}" for where, what in self.problems))


@dataclass(frozen=True)
class CaseInput:
    """The case as the clinician states it."""

    status: str
    onset_date: date | None
    asymptomatic: bool
    hospitalised: bool
    notes: str | None = None


@dataclass(frozen=True)
class ResultInput:
    """A test result: sampled when, known when, which test, which outcome, from which lab."""

    sample_date: date
    result_date: date | None
    test_type: str
    value: str
    loinc: str | None = None
    lab: str | None = None


@dataclass(frozen=True)
class ExposureInput:
    """When and where a contact was exposed."""

    date_from: date
    date_to: date
    setting: str
    place_id: str | None = None
    proximity: str | None = None
    duration_minutes: int | None = None
    notes: str | None = None


@dataclass(frozen=True)
class ContactInput:
    """A contact and their exposure to the person they are the contact of."""

    person: PersonDetails
    exposure: ExposureInput


@dataclass(frozen=True)
class CaseReport:
    """One clinician's report: the person, the case, maybe a result, and the contacts."""

    person: PersonDetails
    case: CaseInput
    result: ResultInput | None
    contacts: tuple[ContactInput, ...]


def check_case(case: CaseInput, today: date, where: str = "case") -> list[tuple[str, str]]:
    """Problems of a case: an onset in the future, a symptomatic case without onset, and so on."""
    problems = []
    if case.status not in STATUSES:
        problems.append((f"{where}.status", f"must be one of {', '.join(STATUSES)}"))
    if case.onset_date is not None and case.onset_date > today:
        problems.append((f"{where}.onset_date", f"{case.onset_date} is in the future (today is {today})"))
    if case.onset_date is None and not case.asymptomatic:
        problems.append((f"{where}.onset_date", "give the onset date, or set asymptomatic to true"))
    if case.onset_date is not None and case.asymptomatic:
        problems.append((f"{where}.asymptomatic", "an asymptomatic case has no onset date"))
    problems += check_notes(case.notes, f"{where}.notes")
    return problems


def check_notes(notes: str | None, where: str) -> list[tuple[str, str]]:
    """Problems of free-text notes: longer than NOTE_MAX_LENGTH characters."""
    if notes is not None and len(notes) > NOTE_MAX_LENGTH:
        return [(where, f"at most {NOTE_MAX_LENGTH:,} characters (got {len(notes):,})")]
    return []


def check_result(result: ResultInput, today: date, where: str = "result") -> list[tuple[str, str]]:
    """Problems of a result: unknown test or value, a sample in the future, a result before its sample."""
    problems = []
    if result.test_type not in TEST_TYPES:
        problems.append((f"{where}.test_type", f"must be one of {', '.join(TEST_TYPES)}"))
    if result.value not in VALUES:
        problems.append((f"{where}.value", f"must be one of {', '.join(VALUES)}"))
    if result.sample_date > today:
        problems.append((f"{where}.sample_date", f"{result.sample_date} is in the future (today is {today})"))
    if result.result_date is not None:
        if result.result_date < result.sample_date:
            problems.append((f"{where}.result_date", "the result cannot come before the sample"))
        if result.result_date > today:
            problems.append(
                (f"{where}.result_date", f"{result.result_date} is in the future (today is {today})")
            )
    return problems


def check_contacts(
    index: PersonDetails | None, contacts: Sequence[ContactInput], today: date, where: str = "contacts"
) -> list[tuple[str, str]]:
    """Problems of contacts: an exposure after the report, a contact who is the index person, a
    contact named twice."""
    problems = []
    index_keys = _keys(index) if index is not None else set()
    seen: dict[str, int] = {}
    for number, contact in enumerate(contacts):
        here = f"{where}.{number}"
        exposure = contact.exposure
        if exposure.setting not in SETTINGS:
            problems.append((f"{here}.exposure.setting", f"must be one of {', '.join(SETTINGS)}"))
        if exposure.date_to > today:
            problems.append(
                (f"{here}.exposure.date", f"the exposure ({exposure.date_to}) is after the report ({today})")
            )
        if exposure.date_from > exposure.date_to:
            problems.append((f"{here}.exposure.date_from", "the exposure cannot end before it starts"))
        if exposure.duration_minutes is not None and exposure.duration_minutes < 0:
            problems.append((f"{here}.exposure.duration_minutes", "cannot be negative"))
        problems += check_notes(exposure.notes, f"{here}.exposure.notes")
        keys = _keys(contact.person)
        if keys & index_keys:
            problems.append((f"{here}.person", "the contact is the person being reported"))
        for key in keys:
            if key in seen:
                problems.append((f"{here}.person", f"the same person as contacts.{seen[key]}"))
                break
        for key in keys:
            seen.setdefault(key, number)
    return problems


def report_problems(report: CaseReport, today: date) -> list[tuple[str, str]]:
    """Every problem of the report's case, result and contacts."""
    problems = check_case(report.case, today)
    if report.result is not None:
        problems += check_result(report.result, today)
    return problems + check_contacts(report.person, report.contacts, today)


def _keys(person: PersonDetails) -> set[str]:
    keys = {demographic(person.identity).text}
    strong = canonical(person.identity)
    if strong.strength == "nir":
        keys.add(strong.text)
    return keys
