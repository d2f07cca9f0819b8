"""A synthetic French population for the demo, tests and benchmarks: households at addresses, people with
valid NIRs and contact details, workplaces and schools.

Pure and seeded: the same seed gives the same population, and nothing here touches a database. The random
draws are synthetic data, never secrets, so `random.Random` is the right generator.
"""

from __future__ import annotations

import contextlib
import functools
import gc
import hashlib
import itertools
import random
import re
import unicodedata
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal

from faker import Faker

from serment.demo.names import clean_address, clean_name, first_name, last_name, street_address
from serment.secrecy import Sex, nir_control_key, normalise_name

PlaceKind = Literal["work", "school"]

# INSEE household sizes: 37% one person, 33% two, 15% three, 10% four, 5% five or more.
_HOUSEHOLD_SIZES = (1, 2, 3, 4, 5, 6, 7)
_HOUSEHOLD_WEIGHTS = (37.0, 33.0, 15.0, 10.0, 3.2, 1.3, 0.5)
# Adult ages as (youngest, oldest, weight), roughly the French pyramid above 18.
_ADULT_AGES = ((18, 29, 18.0), (30, 44, 24.0), (45, 59, 25.0), (60, 74, 21.0), (75, 90, 12.0))
_PEOPLE_PER_COMMUNE = 1500
_PRIMARY_SCHOOL_SIZE = 220
_SECONDARY_SCHOOL_SIZE = 600
_WORKPLACE_MAX = 300
# Pareto exponent of workplace sizes: most are small, a few reach the maximum.
_WORKPLACE_TAIL = 1.1
_EMPLOYMENT = 0.7
_WITHOUT_NIR = 0.15
_BLENDED = 0.12
_TWO_GIVEN_NAMES = 0.15
_UNDECLARED_SEX = 0.002
# RFC 2606 domains: the synthetic addresses can never reach anyone.
_MAIL_DOMAINS = ("example.org", "example.net", "example.com")


@dataclass(frozen=True, slots=True)
class Household:
    """People living at one address; `members` are person indexes, adults first."""

    index: int
    members: tuple[int, ...]
    address_line: str
    postal_code: str
    city: str


@dataclass(frozen=True, slots=True)
class Person:
    """One synthetic person; `nir` is None for the ~15% reported without one."""

    index: int
    family_name: str
    given_names: str
    birth_date: date
    sex: Sex
    nir: str | None
    phone: str | None
    email: str | None
    household: int
    workplace: str | None
    school: str | None

    def identity_payload(
        self, household: Household, typo: Mapping[str, str] | None = None
    ) -> dict[str, object]:
        """The body of POST /api/v1/people for this person living in `household`, None fields omitted.

        `typo` (from a contact of the outbreak) replaces fields; an empty value removes the field.
        """
        payload: dict[str, object] = {
            "nir": self.nir,
            "family_name": self.family_name,
            "given_names": self.given_names,
            "birth_date": self.birth_date.isoformat(),
            "sex": self.sex,
            "address": {
                "line": household.address_line,
                "postal_code": household.postal_code,
                "city": household.city,
            },
            "phone": self.phone,
            "email": self.email,
        }
        payload.update(typo or {})
        return {key: value for key, value in payload.items() if value is not None and value != ""}


@dataclass(frozen=True, slots=True)
class Place:
    """A workplace or school with a stable id ("work-000123", "school-000045") and its members."""

    id: str
    kind: PlaceKind
    members: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class Population:
    """People, households and places, each indexed by position (`people[i].index == i`)."""

    people: tuple[Person, ...]
    households: tuple[Household, ...]
    places: tuple[Place, ...]


@dataclass(frozen=True, slots=True)
class _Commune:
    postal_code: str
    city: str
    department: str
    code: str


def generate_population(people: int, seed: int, *, start: date) -> Population:
    """A seeded French population of `people` persons as of `start` (ages and NIRs computed at that date).

    For the demo and benchmarks: every identity passes `make_identity(today=start)`, NIRs are valid and
    unique, and no two people share names, birth date and sex.
    """
    if people < 0:
        raise ValueError(f"the population needs 0 people or more, not {people}")
    with _collector_paused():
        return _generate(people, seed, start)


@contextlib.contextmanager
def _collector_paused() -> Iterator[None]:
    """The cyclic garbage collector off while millions of objects without cycles are made: each of its
    full passes would walk them all again (a quarter of the time at 300,000 people)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _generate(people: int, seed: int, start: date) -> Population:
    rng = random.Random(seed)  # noqa: S311 - synthetic data, not secrets
    fake = Faker("fr_FR")
    fake.seed_instance(seed)
    # Names and addresses are drawn from Faker's own generator, as Faker would (serment.demo.names).
    names = fake.random
    maker = _Maker(rng, names, start)
    communes = [_commune(rng, fake) for _ in range(max(1, people // _PEOPLE_PER_COMMUNE))]
    # Commune sizes follow Zipf's law: a few towns, many villages.
    commune_weights = list(itertools.accumulate(1.0 / (rank + 1) for rank in range(len(communes))))
    sizes = list(itertools.accumulate(_HOUSEHOLD_WEIGHTS))
    drafts: list[Person] = []
    households: list[Household] = []
    while len(drafts) < people:
        size = min(rng.choices(_HOUSEHOLD_SIZES, cum_weights=sizes)[0], people - len(drafts))
        commune_index = rng.choices(range(len(communes)), cum_weights=commune_weights)[0]
        commune = communes[commune_index]
        first = len(drafts)
        drafts.extend(maker.household(len(households), commune_index, commune, size))
        households.append(
            Household(
                len(households),
                tuple(range(first, len(drafts))),
                clean_address(street_address(names)),
                commune.postal_code,
                commune.city,
            )
        )
    maker.forget_identities()
    places, workplace, school = _places(rng, maker.ages, maker.communes)
    for index, place_id in itertools.chain(workplace.items(), school.items()):
        # In place, so that a million people are not held twice.
        drafts[index] = _placed(drafts[index], place_id)
    return Population(tuple(drafts), tuple(households), tuple(places))


def department_of(postal_code: str) -> str:
    """The NIR department of a French postal code: its first two digits, 2A or 2B for Corsica."""
    if postal_code.startswith("20"):
        return "2A" if postal_code[2] in "01" else "2B"
    return postal_code[:2]


def _commune(rng: random.Random, fake: Faker) -> _Commune:
    postal_code = fake.postcode()
    if postal_code.startswith("20") and postal_code[2] > "6":
        # Corsican postal codes run from 20000 to 20699 (2A below 20200, 2B from there).
        postal_code = f"20{rng.randrange(7)}{postal_code[3:]}"
    department = department_of(postal_code)
    if postal_code.startswith("97"):
        # Overseas communes are 97 then a 3-digit code whose first digit is the territory's.
        code = f"{postal_code[2]}{rng.randint(1, 99):02d}"
    else:
        code = f"{rng.randint(1, 999):03d}"
    return _Commune(postal_code, clean_name(fake.city()) or "Ville", department, code)


def _placed(person: Person, place_id: str) -> Person:
    """`person` at the workplace or school `place_id` (dataclasses.replace, without its cost)."""
    work = place_id if place_id.startswith("work-") else person.workplace
    school = place_id if place_id.startswith("school-") else person.school
    return Person(
        person.index, person.family_name, person.given_names, person.birth_date, person.sex, person.nir,
        person.phone, person.email, person.household, work, school,
    )  # fmt: skip


class _Maker:
    """Draws the people of households, keeping NIRs and demographic identities unique."""

    def __init__(self, rng: random.Random, names: random.Random, start: date) -> None:
        self.rng = rng
        self.names = names
        self.start = start
        self.nirs: set[int] = set()
        self.identities: set[int] = set()
        self.ascii: dict[str, str] = {}
        # Age and commune of each person made, for placing them in schools and workplaces.
        self.ages: list[int] = []
        self.communes: list[int] = []
        self.born_between: dict[int, tuple[int, int]] = {}

    def forget_identities(self) -> None:
        """Drop what kept identities unique once every person is made, so that its memory serves the
        places rather than adding to the peak (two sets of a million ints at a million people)."""
        self.nirs.clear()
        self.identities.clear()

    def household(self, index: int, commune_index: int, commune: _Commune, size: int) -> list[Person]:
        rng = self.rng
        roll = rng.random()
        adult_age = self.adult_age()
        if size == 1:
            plan = [adult_age]
        elif size == 2 and roll < 0.1:
            plan = [adult_age, rng.randint(18, 90)]
        elif (size == 2 and roll < 0.3) or (size > 2 and roll < 0.15):
            plan = [self.parent_age()] + [-1] * (size - 1)
        else:
            parent = self.parent_age() if size > 2 else adult_age
            plan = [parent, min(90, max(18, parent + rng.randint(-5, 5)))] + [-1] * (size - 2)
            if size > 3 and roll > 0.95:
                # A grandparent living with the family.
                plan[2] = rng.randint(max(60, parent + 18), 90)
        flatmates = size == 2 and roll < 0.1
        family = self.family_name()
        partner = self.family_name() if flatmates or rng.random() < _BLENDED else family
        adults = [age for age in plan if age >= 0]
        youngest_parent = min(adults[:2])
        drafts: list[Person] = []
        for position, age in enumerate(plan):
            child = age < 0
            years = rng.randint(0, min(17, youngest_parent - 18)) if child else age
            name = family
            if position == 1 and not child:
                name = partner
            elif child and partner != family:
                name = rng.choice((family, partner, f"{family}-{partner}"))
            sex = self.sex(position, plan, drafts)
            drafts.append(
                self.person(name, years, sex, household=index, commune_index=commune_index, commune=commune)
            )
        return drafts

    def adult_age(self) -> int:
        low, high, _ = self.rng.choices(_ADULT_AGES, [band[2] for band in _ADULT_AGES])[0]
        return self.rng.randint(low, high)

    def parent_age(self) -> int:
        return self.rng.randint(22, 55)

    def family_name(self) -> str:
        return clean_name(last_name(self.names)) or "Martin"

    def sex(self, position: int, plan: list[int], drafts: list[Person]) -> Sex:
        rng = self.rng
        if rng.random() < _UNDECLARED_SEX:
            return "X"
        if position == 1 and plan[1] >= 0 and drafts[0].sex in ("F", "M") and rng.random() < 0.95:
            return "M" if drafts[0].sex == "F" else "F"
        return "F" if rng.random() < 0.5 else "M"

    def given_names(self, sex: Sex) -> str:
        female = sex == "F" or (sex == "X" and self.rng.random() < 0.5)
        names = first_name(self.names, female=female)
        if self.rng.random() < _TWO_GIVEN_NAMES:
            second = first_name(self.names, female=female)
            if second != names:
                names += self.rng.choice(("-", " ")) + second
        return clean_name(names) or "Camille"

    def person(
        self, family: str, age: int, sex: Sex, *, household: int, commune_index: int, commune: _Commune
    ) -> Person:
        rng = self.rng
        given = self.given_names(sex)
        born = self.birth_date(age)
        folded_family = _folded(family)
        for attempt in range(100):
            key = _digest(f"{folded_family}|{_folded(given)}|{born.toordinal()}|{sex}")
            if key not in self.identities:
                break
            # Twins and namesakes: a new given name first, then the day before as birth date.
            given = self.given_names(sex) if attempt < 5 else given
            born = born if attempt < 5 else max(born - timedelta(days=1), date(1890, 1, 2))
        self.identities.add(key)
        index = len(self.ages)
        self.ages.append(age)
        self.communes.append(commune_index)
        nir = None if rng.random() < _WITHOUT_NIR else self.nir(sex, born, commune)
        phone = email = None
        if age >= 18 or (age >= 14 and rng.random() < 0.5):
            digits = f"{rng.randrange(10**8):08d}"
            phone = f"+33 {rng.choice('67')} {digits[:2]} {digits[2:4]} {digits[4:6]} {digits[6:]}"
            phone = phone if rng.random() < 0.85 else None
        if age >= 18 and rng.random() < 0.7:
            local = f"{self.mail_part(given.split()[0])}.{self.mail_part(family)}{index}"
            email = f"{local}@{rng.choice(_MAIL_DOMAINS)}"
        return Person(index, family, given, born, sex, nir, phone, email, household, None, None)

    def birth_date(self, age: int) -> date:
        between = self.born_between.get(age)
        if between is None:
            latest = _years_before(self.start, age)
            earliest = _years_before(self.start, age + 1) + timedelta(days=1)
            between = self.born_between[age] = (earliest.toordinal(), latest.toordinal())
        return date.fromordinal(self.rng.randint(*between))

    def nir(self, sex: Sex, born: date, commune: _Commune) -> str:
        digit = {"M": "1", "F": "2"}.get(sex) or self.rng.choice("12")
        prefix = f"{digit}{born.year % 100:02d}{born.month:02d}{commune.department}{commune.code}"
        department_number = {"2A": 100, "2B": 101}.get(commune.department) or int(commune.department)
        while True:
            order = self.rng.randint(1, 999)
            unique = int(prefix[:5]) * 10**9 + department_number * 10**6 + int(commune.code) * 1000 + order
            if unique not in self.nirs:
                self.nirs.add(unique)
                first_13 = f"{prefix}{order:03d}"
                return f"{first_13}{nir_control_key(first_13):02d}"

    def mail_part(self, name: str) -> str:
        folded = self.ascii.get(name)
        if folded is None:
            decomposed = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
            folded = re.sub(r"[^a-z-]", "", decomposed.lower()) or "contact"
            self.ascii[name] = folded
        return folded


def _places(
    rng: random.Random, ages: list[int], communes: list[int]
) -> tuple[list[Place], dict[int, str], dict[int, str]]:
    """Schools by commune (3-10 and 11-17 apart) and workplaces of heavy-tailed sizes for 70% of 18-64."""
    places: list[Place] = []
    school: dict[int, str] = {}
    by_commune: dict[tuple[int, bool], list[int]] = {}
    for index, age in enumerate(ages):
        if 3 <= age <= 17:
            by_commune.setdefault((communes[index], age >= 11), []).append(index)
    for (_, secondary), pupils in sorted(by_commune.items()):
        capacity = _SECONDARY_SCHOOL_SIZE if secondary else _PRIMARY_SCHOOL_SIZE
        count = -(-len(pupils) // capacity)
        rng.shuffle(pupils)
        for number in range(count):
            members = tuple(sorted(pupils[number::count]))
            place = Place(f"school-{len(places):06d}", "school", members)
            places.append(place)
            school.update(dict.fromkeys(members, place.id))
    workers = [index for index, age in enumerate(ages) if 18 <= age <= 64 and rng.random() < _EMPLOYMENT]
    # Workers of a commune mostly work together: workplaces are cut from workers ordered by commune.
    rng.shuffle(workers)
    workers.sort(key=communes.__getitem__)
    workplace: dict[int, str] = {}
    first = 0
    number = 0
    while len(workers) - first >= 2:
        size = min(_WORKPLACE_MAX, int(2 * (1.0 - rng.random()) ** (-1.0 / _WORKPLACE_TAIL)))
        size = min(size, len(workers) - first)
        if len(workers) - first - size == 1:
            size = size + 1 if size < _WORKPLACE_MAX else size - 1
        members = tuple(sorted(workers[first : first + size]))
        place = Place(f"work-{number:06d}", "work", members)
        places.append(place)
        workplace.update(dict.fromkeys(members, place.id))
        first += size
        number += 1
    return places, workplace, school


def _years_before(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:
        # 29 February in a year without one.
        return day.replace(year=day.year - years, day=28)


def _digest(text: str) -> int:
    return int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest(), "big")


# Names repeat (Faker's lists hold a few hundred): each is folded once.
_folded = functools.lru_cache(maxsize=65536)(normalise_name)
