"""A small outbreak for the epidemiologist's figures, reported day by day through the reporting use cases
as a clinician and a laboratory would: cases in several départements (Paris, Lyon, Corse-du-Sud, La
Réunion, Marseille), one without any address, suspected, probable and asymptomatic ones, two chains
and a cluster at an office.

The clock ends at 2 March 2026, 08:30 UTC, as the tests' installations start."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time

from serment.access import Actor, Platform, Request
from serment.clock import FixedClock
from serment.people import Address, PersonDetails, person_details
from serment.reporting import (
    CaseInput,
    CaseReport,
    ContactInput,
    ExposureInput,
    ResultInput,
    report_case,
    report_results,
)
from tests.people_data import Synthetic, people

END = datetime(2026, 3, 2, 8, 30, tzinfo=UTC)
CLINICIAN = Request(Actor(name="dr-epi", role="clinician", organisation="Clinique"), purpose="care")
LAB = Request(Actor(name="lab-epi", role="lab", organisation="Labo"), purpose="care")
POSTAL_CODES = {
    "paris": "75011",
    "lyon": "69003",
    "ajaccio": "20100",
    "reunion": "97400",
    "marseille": "13001",
}


@dataclass(frozen=True)
class Outbreak:
    """The people (by name), their case refs and person refs, and every identity reported."""

    people: dict[str, Synthetic]
    cases: dict[str, str]
    persons: dict[str, str]

    def identifiers(self) -> list[str]:
        """Every name, NIR, phone and address line of the outbreak, and every person ref: none may
        appear on an epidemiologist's page."""
        found = [value for person in self.people.values() for value in person.identifiers()]
        return found + list(self.persons.values())


def _details(person: Synthetic, day: date, town: str | None, *, nir: bool = True) -> PersonDetails:
    address = Address(person.address_line, POSTAL_CODES[town], town.title()) if town else None
    return person_details(
        nir=person.nir if nir else None, family_name=person.family_name, given_names=person.given_names,
        birth_date=person.birth_date, sex=person.sex, phone=person.phone, address=address, today=day,
    )  # fmt: skip


def _contact(person: Synthetic, day: date, setting: str, place: str | None = None) -> ContactInput:
    details = person_details(
        nir=None, family_name=person.family_name, given_names=person.given_names,
        birth_date=person.birth_date, sex=person.sex, phone=person.phone, today=day,
    )  # fmt: skip
    return ContactInput(details, ExposureInput(day, day, setting, place))


def _positive(day: date, test: str) -> ResultInput:
    return ResultInput(day, day, test, "positive")


def report_outbreak(platform: Platform, clock: FixedClock) -> Outbreak:
    """Report the outbreak from 10 February to 2 March 2026 and leave the clock at END.

    - Anne (Paris, onset 8 Feb) names Bruno (work, office-1, 7 Feb) and Céline (household, 8 Feb);
    - Bruno (Lyon, onset 11 Feb) names Denis (work, office-1, 11 Feb);
    - Emma (Ajaccio, 2A, positive without symptoms) names Fanny (household, 11 Feb);
    - Céline, reported without an address (the vault has none: she was named as a contact), onset 12 Feb;
    - Denis (La Réunion, 974, onset 13 Feb) names Gilles (venue, 14 Feb);
    - Gilles (Paris, onset 15 Feb), a laboratory's positive result first;
    - Hugo (Lyon) suspected, onset 19 Feb; Inès (Lyon) probable, onset 24 Feb;
    - Louis (Marseille, 13), tested by a laboratory with his address, then reported without it;
    - Julie (Paris, onset 28 Feb) names Karim (household, 28 Feb), reported the next day, onset 1 Mar.

    Anne, Bruno, Céline, Denis and Gilles form a chain; Julie and Karim another. Anne, Bruno and Denis
    started within 7 days of each other at office-1: an alert."""
    names = ["anne", "bruno", "celine", "denis", "emma", "fanny", "gilles", "hugo", "ines", "julie", "karim",
             "louis"]  # fmt: skip
    found = dict(zip(names, people(len(names), seed=606), strict=True))
    cases: dict[str, str] = {}
    persons: dict[str, str] = {}

    def on(day: date, hour: int = 9) -> date:
        clock.set(datetime.combine(day, time(hour), tzinfo=UTC))
        return day

    def case(
        name: str,
        day: date,
        town: str | None,
        onset: date | None,
        contacts: tuple[ContactInput, ...] = (),
        status: str = "confirmed",
    ) -> None:
        report = CaseReport(
            _details(found[name], day, town), CaseInput(status, onset, onset is None, False), None, contacts
        )
        receipt = report_case(platform, CLINICIAN, report)
        cases[name], persons[name] = receipt.case, receipt.person

    day = on(date(2026, 2, 10))
    case("anne", day, "paris", date(2026, 2, 8), (
        _contact(found["bruno"], date(2026, 2, 7), "work", "office-1"),
        _contact(found["celine"], date(2026, 2, 8), "household"),
    ))  # fmt: skip
    day = on(date(2026, 2, 12))
    case(
        "bruno",
        day,
        "lyon",
        date(2026, 2, 11),
        (_contact(found["denis"], date(2026, 2, 11), "work", "office-1"),),
    )
    case("emma", day, "ajaccio", None, (_contact(found["fanny"], date(2026, 2, 11), "household"),))
    day = on(date(2026, 2, 14))
    case("celine", day, None, date(2026, 2, 12))
    day = on(date(2026, 2, 15))
    case("denis", day, "reunion", date(2026, 2, 13), (_contact(found["gilles"], date(2026, 2, 14), "venue"),))
    day = on(date(2026, 2, 16))
    report_results(platform, LAB, [(_details(found["gilles"], day, "paris"), _positive(day, "rt-pcr"))])
    case("gilles", day, "paris", date(2026, 2, 15))
    day = on(date(2026, 2, 20))
    case("hugo", day, "lyon", date(2026, 2, 19), status="suspected")
    day = on(date(2026, 2, 25))
    case("ines", day, "lyon", date(2026, 2, 24), status="probable")
    report_results(platform, LAB, [(_details(found["louis"], day, "marseille"), _positive(day, "antigen"))])
    day = on(date(2026, 2, 26))
    case("louis", day, None, date(2026, 2, 24))
    day = on(date(2026, 3, 1))
    case(
        "julie", day, "paris", date(2026, 2, 28), (_contact(found["karim"], date(2026, 2, 28), "household"),)
    )
    day = on(date(2026, 3, 2), hour=7)
    case("karim", day, "paris", date(2026, 3, 1))
    clock.set(END)
    return Outbreak(found, cases, persons)
