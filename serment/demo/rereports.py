"""People reported again with the errors of real reporting, to measure duplicate detection.

A clinician who reports someone the platform already knows rarely types them exactly as the first
report did: a neighbouring key, two letters swapped, an accent or a hyphen dropped, day and month
exchanged, no address or a new one, a married name. Pure and seeded, like the population.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date

from serment.demo.population import Household, Person, Population
from serment.people import Address, PersonDetails, person_details

# Neighbouring keys on a French AZERTY keyboard, for typos.
_AZERTY_ROWS = ("azertyuiop", "qsdfghjklm", "wxcvbn")
_ACCENTS = {"e": "é", "a": "à", "i": "ï", "o": "ô", "u": "ù", "c": "ç"}
_UNACCENTED = {accented: plain for plain, accented in _ACCENTS.items()} | {"è": "e", "ê": "e", "ë": "e"}
# The commonest family names and given names in France, for namesakes.
COMMON_FAMILY = ("Martin", "Bernard", "Thomas", "Petit", "Robert", "Richard", "Durand", "Dubois", "Moreau")
COMMON_GIVEN = {
    "F": ("Marie", "Nathalie", "Isabelle", "Sylvie"),
    "M": ("Jean", "Pierre", "Michel", "Philippe"),
}
# How many errors a re-report carries: one mostly, sometimes two or three.
_ERROR_COUNTS, _ERROR_WEIGHTS = (1, 2, 3), (0.6, 0.3, 0.1)


@dataclass(frozen=True)
class Rereport:
    """A person reported again: whom (`index`), with which errors, as the body of POST /people."""

    index: int
    errors: tuple[str, ...]
    payload: dict[str, object]


def with_namesakes(population: Population, share: float, seed: int) -> Population:
    """`population` with `share` of its people renamed to the commonest French names, so that
    namesakes abound; names, birth date and sex stay unique together."""
    rng = random.Random(seed)  # noqa: S311 - synthetic data, not secrets
    seen = {(p.family_name, p.given_names, p.birth_date, p.sex) for p in population.people}
    people = list(population.people)
    for position, person in enumerate(people):
        if rng.random() >= share:
            continue
        given = rng.choice(COMMON_GIVEN.get(person.sex, COMMON_GIVEN["F"]))
        renamed = replace(person, family_name=rng.choice(COMMON_FAMILY), given_names=given)
        identity = (renamed.family_name, renamed.given_names, renamed.birth_date, renamed.sex)
        if identity not in seen:
            seen.add(identity)
            people[position] = renamed
    return replace(population, people=tuple(people))


def rereports(population: Population, count: int, seed: int) -> list[Rereport]:
    """`count` re-reports of distinct people drawn from `population`, each with one to three errors
    and without the NIR (a NIR would find the person exactly)."""
    rng = random.Random(seed)  # noqa: S311 - synthetic data, not secrets
    chosen = rng.sample(range(len(population.people)), min(count, len(population.people)))
    return [_rereport(population, index, rng) for index in chosen]


def details_of(payload: dict[str, object], today: date) -> PersonDetails:
    """The details a clinician's form would send for this identity payload."""
    address = payload.get("address")
    nir = payload.get("nir")
    return person_details(
        nir=None if nir is None else str(nir),
        family_name=str(payload["family_name"]),
        given_names=str(payload["given_names"]),
        birth_date=str(payload["birth_date"]),
        sex=str(payload["sex"]),
        address=Address(**address) if isinstance(address, dict) else None,
        today=today,
    )


def _rereport(population: Population, index: int, rng: random.Random) -> Rereport:
    person = population.people[index]
    household = population.households[person.household]
    number = rng.choices(_ERROR_COUNTS, _ERROR_WEIGHTS)[0]
    applicable = [name for name, (fits, _) in ERRORS.items() if fits(person)]
    errors = tuple(rng.sample(applicable, min(number, len(applicable))))
    payload = person.identity_payload(household, {"nir": ""})
    for error in errors:
        ERRORS[error][1](payload, person, population, rng)
    return Rereport(index, errors, payload)


Applies = Callable[[Person], bool]
Edit = Callable[[dict[str, object], Person, Population, random.Random], None]


def _typo(payload: dict[str, object], person: Person, population: Population, rng: random.Random) -> None:
    field = rng.choice(("family_name", "given_names"))
    name = str(payload[field])
    positions = [at for at, character in enumerate(name) if character.lower() in _NEIGHBOURS]
    if positions:
        at = rng.choice(positions)
        typed = rng.choice(_NEIGHBOURS[name[at].lower()])
        payload[field] = name[:at] + (typed.upper() if name[at].isupper() else typed) + name[at + 1 :]


def _transposition(
    payload: dict[str, object], person: Person, population: Population, rng: random.Random
) -> None:
    field = rng.choice(("family_name", "given_names"))
    name = str(payload[field])
    pairs = [at for at in range(1, len(name) - 1) if name[at].isalpha() and name[at + 1].isalpha()]
    if pairs:
        at = rng.choice(pairs)
        payload[field] = name[:at] + name[at + 1] + name[at] + name[at + 2 :]


def _dropped_letter(
    payload: dict[str, object], person: Person, population: Population, rng: random.Random
) -> None:
    field = rng.choice(("family_name", "given_names"))
    name = str(payload[field])
    letters = [at for at in range(1, len(name)) if name[at].isalpha()]
    if len(letters) > 2:
        at = rng.choice(letters)
        payload[field] = name[:at] + name[at + 1 :]


def _accents(payload: dict[str, object], person: Person, population: Population, rng: random.Random) -> None:
    field = rng.choice(("family_name", "given_names"))
    name = str(payload[field])
    accented = [at for at, character in enumerate(name) if character in _UNACCENTED]
    if accented:
        at = rng.choice(accented)
        payload[field] = name[:at] + _UNACCENTED[name[at]] + name[at + 1 :]
        return
    plain = [at for at, character in enumerate(name) if character in _ACCENTS and at > 0]
    if plain:
        at = rng.choice(plain)
        payload[field] = name[:at] + _ACCENTS[name[at]] + name[at + 1 :]


def _hyphen(payload: dict[str, object], person: Person, population: Population, rng: random.Random) -> None:
    for field in ("given_names", "family_name"):
        name = str(payload[field])
        if "-" in name:
            payload[field] = name.replace("-", rng.choice((" ", "")), 1)
            return
        if " " in name:
            payload[field] = name.replace(" ", "-", 1)
            return


def _swapped_date(
    payload: dict[str, object], person: Person, population: Population, rng: random.Random
) -> None:
    born = person.birth_date
    payload["birth_date"] = date(born.year, born.day, born.month).isoformat()


def _date_typo(
    payload: dict[str, object], person: Person, population: Population, rng: random.Random
) -> None:
    born = person.birth_date
    for _ in range(20):
        digits = list(born.strftime("%Y%m%d"))
        at = rng.randrange(2, 8)
        digits[at] = str(rng.choice([digit for digit in range(10) if str(digit) != digits[at]]))
        text = "".join(digits)
        try:
            typed = date(int(text[:4]), int(text[4:6]), int(text[6:]))
        except ValueError:
            continue
        # An earlier date: a later one could fall after the day of the report.
        if date(1890, 1, 1) <= typed < born:
            payload["birth_date"] = typed.isoformat()
            return


def _no_address(
    payload: dict[str, object], person: Person, population: Population, rng: random.Random
) -> None:
    payload.pop("address", None)


def _moved(payload: dict[str, object], person: Person, population: Population, rng: random.Random) -> None:
    elsewhere: Household = rng.choice(population.households)
    payload["address"] = {
        "line": elsewhere.address_line, "postal_code": elsewhere.postal_code, "city": elsewhere.city,
    }  # fmt: skip


def _married_name(
    payload: dict[str, object], person: Person, population: Population, rng: random.Random
) -> None:
    for _ in range(20):
        other = rng.choice(population.people)
        if other.sex == "M" and other.family_name != person.family_name:
            payload["family_name"] = other.family_name
            return


def _always(person: Person) -> bool:
    return True


def _adult_woman(person: Person) -> bool:
    return person.sex == "F" and person.birth_date.year < 2000


def _swappable(person: Person) -> bool:
    return person.birth_date.day <= 12 and person.birth_date.day != person.birth_date.month


ERRORS: dict[str, tuple[Applies, Edit]] = {
    "keyboard_typo": (_always, _typo),
    "transposition": (_always, _transposition),
    "dropped_letter": (_always, _dropped_letter),
    "accents": (_always, _accents),
    "hyphen": (lambda person: "-" in person.family_name + person.given_names or " " in person.given_names,
               _hyphen),
    "swapped_date": (_swappable, _swapped_date),
    "date_typo": (_always, _date_typo),
    "no_address": (_always, _no_address),
    "moved": (_always, _moved),
    "married_name": (_adult_woman, _married_name),
}  # fmt: skip


def _neighbours() -> dict[str, str]:
    found: dict[str, str] = {}
    for row_index, row in enumerate(_AZERTY_ROWS):
        for at, key in enumerate(row):
            near = [row[at - 1] if at else "", row[at + 1] if at + 1 < len(row) else ""]
            for other_index in (row_index - 1, row_index + 1):
                if 0 <= other_index < len(_AZERTY_ROWS) and at < len(_AZERTY_ROWS[other_index]):
                    near.append(_AZERTY_ROWS[other_index][at])
            found[key] = "".join(near)
    return found


_NEIGHBOURS = _neighbours()
