"""Real outbreak line lists read from the shared test data (never copied here), as cases and
case-to-case links that the replay tests report through Serment's services in date order.

- MERS-CoV, South Korea 2015: 162 cases and 98 directed transmission links (`outbreaks` R package).
  A link's exposure is the infectee's last exposure day (or, without it, five days before onset,
  MERS's median incubation); hospital links share the infectee's hospital as a place.
- COVID-19, Singapore 2020: 93 cases, "Related cases" read as links both ways, on the later case's
  last possible exposure day; two cases of the same named cluster share it as a place.
"""

from __future__ import annotations

import csv
import random
import re
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from serment.demo.names import clean_name, first_name, last_name

OUTBREAKS = Path(__file__).resolve().parents[2] / "shared" / "testdata" / "outbreaks"
MERS_INCUBATION = timedelta(days=5)
# Singapore clusters that were workplaces; the others were churches, shops and hotels.
WORKPLACES = {"Seletar Aerospace Heights"}


@dataclass(frozen=True)
class Case:
    """A confirmed case: when it was reported, its onset (None: asymptomatic or unknown) and diagnosis."""

    id: str
    reported: date
    onset: date | None
    diagnosed: date
    sex: str
    age: int

    @property
    def start(self) -> date:
        """The day the case counts from: onset, else the positive sample (its diagnosis)."""
        return self.onset or self.diagnosed


@dataclass(frozen=True)
class Link:
    """An exposure between two cases on `day`, in `setting`, maybe at a named place."""

    a: str
    b: str
    day: date
    setting: str
    place: str | None

    def reported(self, cases: dict[str, Case]) -> date:
        """The day the link is reported: once both cases are known and the exposure has happened."""
        return max(cases[self.a].reported, cases[self.b].reported, self.day)


@dataclass(frozen=True)
class Outbreak:
    """Cases by id and the links between them."""

    name: str
    cases: dict[str, Case]
    links: tuple[Link, ...]


def available() -> bool:
    """Whether the shared test data is on this machine."""
    return (OUTBREAKS / "mers_korea_2015_linelist.csv").is_file()


def mers_korea_2015() -> Outbreak:
    """The 2015 MERS outbreak in South Korea."""
    cases: dict[str, Case] = {}
    hospitals: dict[str, str] = {}
    last_exposure: dict[str, date | None] = {}
    with (OUTBREAKS / "mers_korea_2015_linelist.csv").open(encoding="utf-8") as file:
        for row in csv.DictReader(file):
            reported = date.fromisoformat(row["dt_report"])
            onset = _day(row["dt_onset"])
            # A few diagnoses are dated the day after the report: the sample was taken by then.
            diagnosed = min(_day(row["dt_diag"]) or reported, reported)
            cases[row["id"]] = Case(row["id"], reported, onset, diagnosed, row["sex"], int(row["age"]))
            hospitals[row["id"]] = row["loc_hosp"]
            last_exposure[row["id"]] = _day(row["dt_end_exp"])
    links = []
    with (OUTBREAKS / "mers_korea_2015_contacts.csv").open(encoding="utf-8") as file:
        for row in csv.DictReader(file):
            infectee = cases[row["to"]]
            day = last_exposure[row["to"]] or (infectee.start - MERS_INCUBATION)
            family = row["exposure"].strip().lower().startswith("family")
            setting, place = ("household", None) if family else ("health_care", _slug(hospitals[row["to"]]))
            links.append(Link(row["from"], row["to"], day, setting, place))
    return Outbreak("mers-korea-2015", cases, tuple(links))


def singapore_2020() -> Outbreak:
    """COVID-19 in Singapore, January and February 2020."""
    cases: dict[str, Case] = {}
    related: dict[str, list[str]] = {}
    exposed: dict[str, date] = {}
    clusters: dict[str, str | None] = {}
    with (OUTBREAKS / "covid19_singapore_2020.csv").open(encoding="utf-8") as file:
        for row in csv.DictReader(file):
            confirmed = date.fromisoformat(row["date_confirmation"])
            age = int(float(row["age"]))
            case = Case(
                row["CaseID"], confirmed, _day(row["date_onset_symptoms"]), confirmed, row["sex"], age
            )
            cases[case.id] = case
            related[case.id] = (
                []
                if row["Related cases"] == "NA"
                else [part.strip() for part in row["Related cases"].split(",")]
            )
            exposed[case.id] = (
                _day(row["last_poss_exposure"]) or _day(row["presumed_infected_date"]) or case.start
            )
            name = row["cluster"].split(",")[0].strip()
            clusters[case.id] = None if name in {"NA", "Wuhan"} else name
    links = []
    for a, others in related.items():
        for b in others:
            if b not in cases or not a < b:
                continue
            later = max((cases[a], cases[b]), key=lambda case: (case.start, case.id))
            day = exposed[later.id]
            shared = clusters[a] if clusters[a] is not None and clusters[a] == clusters[b] else None
            setting = "work" if shared in WORKPLACES else "venue" if shared else "other"
            links.append(Link(a, b, day, setting, _slug(shared) if shared else None))
    return Outbreak("singapore-2020", cases, tuple(links))


@dataclass(frozen=True)
class Identity:
    """A synthetic identity for a case of a real line list (which holds none)."""

    family_name: str
    given_names: str
    birth_date: date
    sex: str


def identities(outbreak: Outbreak, seed: int) -> dict[str, Identity]:
    """One distinct synthetic identity per case, with the case's sex and age."""
    rng = random.Random(f"{outbreak.name}/{seed}")
    chosen: dict[str, Identity] = {}
    used: set[tuple[str, str]] = set()
    for case in outbreak.cases.values():
        while True:
            names = (clean_name(last_name(rng)), clean_name(first_name(rng, female=case.sex == "F")))
            if names not in used:
                used.add(names)
                break
        born = date(case.reported.year - case.age - 1, rng.randint(1, 12), rng.randint(1, 28))
        chosen[case.id] = Identity(names[0], names[1], born, case.sex)
    return chosen


def _day(text: str) -> date | None:
    return date.fromisoformat(text) if text and text != "NA" else None


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:64]
