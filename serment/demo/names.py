"""French names and street addresses from Faker's `fr_FR` lists, drawn exactly as Faker draws them: the
same calls on the same random generator, in the same order, so that a seed gives the same population
as before, at a fraction of the cost. Faker resolves each draw through its locale proxy, its provider
methods and its template parser, which at a million people took most of the generator's time. Then
`clean_name` and `clean_address` keep of them what an identity accepts.

Synthetic data, never secrets: `random.Random` suits. `tests/unit/demo/test_names.py` checks, draw for
draw, that these functions still give what Faker gives.
"""

from __future__ import annotations

import functools
import random
import re

from faker.providers.address.fr_FR import Provider as _Address
from faker.providers.person.fr_FR import Provider as _Person

LAST_NAMES: tuple[str, ...] = tuple(_Person.last_names)
FIRST_NAMES_FEMALE: tuple[str, ...] = tuple(_Person.first_names_female)
FIRST_NAMES_MALE: tuple[str, ...] = tuple(_Person.first_names_male)
_WORDS: dict[str, tuple[str, ...]] = {
    "last_name": LAST_NAMES,
    "first_name": tuple(_Person.first_names),
    "street_prefix": tuple(_Address.street_prefixes),
}
_TEMPLATES: dict[str, tuple[str, ...]] = {
    "street_address": tuple(_Address.street_address_formats),
    "street_name": tuple(_Address.street_name_formats),
}
_BUILDING_NUMBERS: tuple[str, ...] = tuple(_Address.building_number_formats)
# Faker's own token pattern (faker.generator), without the argument groups its templates here never use.
_TOKEN = re.compile(r"\{\{\s*(\w+)\s*\}\}")
# Each template split once: text at even positions, the name of a field to fill at odd ones.
_PARTS: dict[str, list[str]] = {
    template: _TOKEN.split(template) for templates in _TEMPLATES.values() for template in templates
}
_NOT_NAME = re.compile(r"[^\w\s'\-]|[\d_]")


def last_name(rng: random.Random) -> str:
    """A family name, as `Faker("fr_FR").last_name()` drawing from `rng`."""
    return rng.choice(LAST_NAMES)


def first_name(rng: random.Random, *, female: bool) -> str:
    """A given name, as `first_name_female()` or `first_name_male()` drawing from `rng`."""
    return rng.choice(FIRST_NAMES_FEMALE if female else FIRST_NAMES_MALE)


def street_address(rng: random.Random) -> str:
    """A street address ("12, rue Martin"), as `Faker("fr_FR").street_address()` drawing from `rng`."""
    return _fill(rng, "street_address")


@functools.lru_cache(maxsize=65536)
def clean_name(name: str) -> str:
    """Only letters, spaces, hyphens and apostrophes, as identities require; spaces collapsed."""
    return " ".join(_NOT_NAME.sub("", name).split()).strip("-' ")


def clean_address(line: str) -> str:
    """An address line with its runs of spaces collapsed, at most 200 characters as the API accepts."""
    return " ".join(line.split())[:200]


def _fill(rng: random.Random, field: str) -> str:
    if field == "building_number":
        return _numerify(rng, rng.choice(_BUILDING_NUMBERS))
    templates = _TEMPLATES.get(field)
    if templates is None:
        return rng.choice(_WORDS[field])
    # Fields filled left to right, the order in which Faker's parser draws.
    parts = _PARTS[rng.choice(templates)]
    return "".join(_fill(rng, part) if position % 2 else part for position, part in enumerate(parts))


def _numerify(rng: random.Random, template: str) -> str:
    # As Faker: every "#" first (a digit), then every "%" (a digit but 0), each left to right.
    digits = iter([str(rng.randint(0, 9)) for _ in range(template.count("#"))])
    nonzero = iter([str(rng.randint(1, 9)) for _ in range(template.count("%"))])
    return "".join(next(digits) if c == "#" else next(nonzero) if c == "%" else c for c in template)
