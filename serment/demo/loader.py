"""Loading the synthetic outbreak into an installation through the same service functions as real
users: each lab result and case report is submitted on its own date, by the demo lab and clinician."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from serment.access import Actor, Platform, Request
from serment.clock import FixedClock
from serment.demo.outbreak import CaseReportEvent, ResultEvent, simulate_outbreak
from serment.demo.population import Population, generate_population
from serment.people import Address, IdentityUnavailable, PersonDetails, person_details
from serment.reporting import (
    CaseInput,
    CaseReport,
    ContactInput,
    ExposureInput,
    ReportInvalid,
    ResultInput,
    report_case,
    report_results,
)
from serment.secrecy import IdentityError, IdentityErrors

# Reports arrive during the working day: the n-th of a day at 08:00 plus n minutes.
WORKDAY_START = time(8, 0)
# Seeds of the first infections: enough that a 20,000-person outbreak does not fizzle out.
FIRST_INFECTIONS = 10

Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class LoadReport:
    """What the demo load submitted, and what the platform refused (with the first reasons)."""

    people: int
    events: int
    case_reports: int
    results: int
    contacts: int
    refused: int
    reasons: tuple[str, ...]
    first_case_person: str | None
    summary: Mapping[str, Any]


def load_outbreak(
    platform: Platform,
    *,
    clinician: Actor,
    lab: Actor,
    people: int,
    days: int,
    seed: int,
    end: date,
    progress: Progress | None = None,
) -> LoadReport:
    """Generate a population of `people` and an outbreak of `days` ending on `end`, and submit it.

    `end` must be before today: reports are stamped from 08:00 on their day, so an outbreak ending
    today would date some reports in the future.
    """
    if end >= platform.clock.now().date():
        raise ValueError(f"the outbreak must end before today ({platform.clock.now().date()}), not on {end}")
    start = end - timedelta(days=days)
    population = generate_population(people, seed, start=start)
    outbreak = simulate_outbreak(population, days=days, seed=seed, start=start, seeds=FIRST_INFECTIONS)
    clock = FixedClock(datetime.combine(start, WORKDAY_START, tzinfo=UTC))
    # The outbreak is replayed day by day, so that report dates and retention are those of its events.
    replay = replace(platform, clock=clock)
    as_clinician = Request(clinician, purpose="care")
    as_lab = Request(lab, purpose="care")
    counts = {"reports": 0, "results": 0, "contacts": 0, "refused": 0}

    def allowed(kind: str) -> frozenset[str]:
        # The demo's senders send what the policy lets each kind of report carry, as real ones must.
        return platform.policy.may_carry(kind, "person")

    reasons: list[str] = []
    first_case_person: str | None = None
    day, on_day = None, 0
    for number, event in enumerate(outbreak.events):
        on_day = on_day + 1 if event.reported_on == day else 0
        day = event.reported_on
        clock.set(datetime.combine(day, WORKDAY_START, tzinfo=UTC) + timedelta(minutes=on_day))
        try:
            if isinstance(event, ResultEvent):
                tested = _details(population, event.person, None, day, allowed("result"))
                report_results(replay, as_lab, [(tested, _result(event))])
                counts["results"] += 1
            else:
                report = _case_report(population, event, day, allowed)
                receipt = report_case(replay, as_clinician, report)
                first_case_person = first_case_person or receipt.person
                counts["reports"] += 1
                counts["contacts"] += len(receipt.contacts)
        except (ReportInvalid, IdentityError, IdentityErrors, IdentityUnavailable) as refusal:
            counts["refused"] += 1
            if len(reasons) < 5:
                reasons.append(str(refusal))
        if progress is not None:
            progress(number + 1, len(outbreak.events))
    return LoadReport(
        people=people,
        events=len(outbreak.events),
        case_reports=counts["reports"],
        results=counts["results"],
        contacts=counts["contacts"],
        refused=counts["refused"],
        reasons=tuple(reasons),
        first_case_person=first_case_person,
        summary=outbreak.summary(),
    )


def _case_report(
    population: Population, event: CaseReportEvent, day: date, allowed: Callable[[str], frozenset[str]]
) -> CaseReport:
    contacts = tuple(
        ContactInput(
            _details(population, contact.person, contact.typo, day, allowed("contact")),
            ExposureInput(contact.date, contact.date, contact.setting, contact.place_id),
        )
        for contact in event.contacts
    )
    return CaseReport(
        person=_details(population, event.person, None, day, allowed("case")),
        case=CaseInput(event.status, event.onset_date, event.asymptomatic, event.hospitalised),
        result=None,
        contacts=contacts,
    )


def _result(event: ResultEvent) -> ResultInput:
    return ResultInput(
        event.sample_date, event.result_date, event.test_type, event.value, event.loinc, event.lab
    )


def _details(
    population: Population, index: int, typo: Mapping[str, str] | None, day: date, allowed: frozenset[str]
) -> PersonDetails:
    person = population.people[index]
    payload = {
        name: value
        for name, value in person.identity_payload(population.households[person.household], typo).items()
        if name in allowed
    }
    address = payload.get("address")
    return person_details(
        nir=_text(payload.get("nir")),
        family_name=str(payload["family_name"]),
        given_names=str(payload["given_names"]),
        birth_date=str(payload["birth_date"]),
        sex=str(payload["sex"]),
        address=Address(**address) if isinstance(address, dict) else None,
        phone=_text(payload.get("phone")),
        email=_text(payload.get("email")),
        today=day,
    )


def _text(value: object) -> str | None:
    return None if value is None else str(value)
