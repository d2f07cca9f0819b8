"""Probabilistic record linkage: two identities compared field by field into Fellegi-Sunter weights.

Each field agrees at a level (exact, similar, partial, different...). A level has an m-probability
(how often two records of one person agree at that level) and a u-probability (how often records
of two different people do); its weight is log2(m/u), and the weights add up. Agreement on a rare
family name is strong evidence and agreement on MARTIN weak: the u of exact name agreement comes
from how often the name occurs among registered people, counted by the caller under pseudonyms.

Everything here is pure: no database, no keys. Names arrive normalised (`normalise_name`).
"""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from types import MappingProxyType
from typing import Literal

from rapidfuzz.distance import JaroWinkler

from serment.secrecy import Sex

Decision = Literal["link", "review", "distinct"]
FIELDS = ("family_name", "given_names", "birth_date", "sex", "address")

# Scores at or above LINK_AT link automatically; from REVIEW_AT up they go to the review queue.
# Measured on a synthetic population in benchmarks/results/dedup.md.
LINK_AT = 20.0
REVIEW_AT = 15.0
# Jaro-Winkler similarity from which two names count as one name mistyped.
SIMILAR_NAMES = 0.9
# Prior u of exact agreement when few people are registered yet, and how many people it weighs as.
FAMILY_PRIOR_U = 0.001
GIVEN_PRIOR_U = 0.01
PRIOR_WEIGHT = 1000

# (m, u) per level; None for the u of exact name agreement, which comes from name frequencies.
_NAME_LEVELS = ("exact", "similar", "partial", "different")
_FAMILY: dict[str, tuple[float, float | None]] = {
    "exact": (0.90, None), "similar": (0.06, 0.004), "partial": (0.02, 0.002), "different": (0.02, 0.99),
}  # fmt: skip
_GIVEN: dict[str, tuple[float, float | None]] = {
    "exact": (0.90, None), "similar": (0.05, 0.01), "partial": (0.04, 0.005), "different": (0.01, 0.975),
}  # fmt: skip
# About 29,200 birth dates over 80 years; a one-digit slip lands on some 12 plausible others.
_SAME_DAY_U = 1 / 29_200
_BIRTH_DATE = {
    "exact": (0.94, _SAME_DAY_U), "swapped": (0.015, _SAME_DAY_U), "typo": (0.035, 4e-4),
    "different": (0.01, 1.0),
}  # fmt: skip
_SEX = {"same": (0.99, 0.5), "different": (0.01, 0.5)}
# People move and share addresses with their household: an address is modest evidence either way.
_ADDRESS = {"same": (0.6, 0.01), "postal_code": (0.15, 0.03), "different": (0.25, 0.96)}


@dataclass(frozen=True, slots=True, repr=False)
class Profile:
    """What linkage compares of a person: normalised names, birth date, sex, and where they live."""

    family_name: str
    given_names: str
    birth_date: date
    sex: Sex
    postal_code: str | None = None
    address_line: str | None = None

    def __repr__(self) -> str:
        return "Profile(<sealed>)"


@dataclass(frozen=True, slots=True)
class NameRarity:
    """The u-probabilities of exact agreement on this family name and these given names."""

    family_name: float = FAMILY_PRIOR_U
    given_names: float = GIVEN_PRIOR_U


@dataclass(frozen=True, slots=True)
class Comparison:
    """Two profiles compared: each field's agreement level and weight, and their total."""

    levels: Mapping[str, str]
    weights: Mapping[str, float]

    @property
    def total(self) -> float:
        """The sum of the field weights, in bits."""
        return math.fsum(self.weights.values())

    def decision(self, link_at: float = LINK_AT, review_at: float = REVIEW_AT) -> Decision:
        """Link above `link_at`, review above `review_at`, else distinct.

        Fellegi-Sunter assumes fields agree independently, which twins and a parent and child
        sharing a name and an address break: a pair whose sexes or given names disagree is never
        linked without a person deciding.
        """
        total = self.total
        vetoed = self.levels["sex"] == "different" or self.levels["given_names"] == "different"
        if total >= link_at and not vetoed:
            return "link"
        return "review" if total >= review_at else "distinct"


def compare(first: Profile, second: Profile, rarity: NameRarity | None = None) -> Comparison:
    """Compare two profiles; `rarity` gives the u of exact name agreement (default: the priors)."""
    rarity = rarity or NameRarity()
    levels = {
        "family_name": name_level(first.family_name, second.family_name),
        "given_names": name_level(first.given_names, second.given_names),
        "birth_date": birth_date_level(first.birth_date, second.birth_date),
        "sex": sex_level(first.sex, second.sex),
        "address": address_level(first, second),
    }
    weights = {
        "family_name": _weight(_FAMILY, levels["family_name"], rarity.family_name),
        "given_names": _weight(_GIVEN, levels["given_names"], rarity.given_names),
        "birth_date": _log_ratio(*_BIRTH_DATE[levels["birth_date"]]),
        "sex": _log_ratio(*_SEX[levels["sex"]]) if levels["sex"] in _SEX else 0.0,
        "address": _log_ratio(*_ADDRESS[levels["address"]]) if levels["address"] in _ADDRESS else 0.0,
    }
    return Comparison(MappingProxyType(levels), MappingProxyType(weights))


def name_level(first: str, second: str) -> str:
    """exact (spaces and hyphens aside), similar (Jaro-Winkler of 0.9 or more), partial (a name in
    common, as in a compound or married name), or different."""
    compact_first, compact_second = first.replace(" ", ""), second.replace(" ", "")
    if compact_first == compact_second:
        return "exact"
    if JaroWinkler.similarity(compact_first, compact_second) >= SIMILAR_NAMES:
        return "similar"
    if set(first.split()) & set(second.split()):
        return "partial"
    return "different"


def birth_date_level(first: date, second: date) -> str:
    """exact, swapped (day and month exchanged), typo (one digit changed, or two adjacent digits
    exchanged), or different."""
    if first == second:
        return "exact"
    if first.year == second.year and (first.day, first.month) == (second.month, second.day):
        return "swapped"
    digits_first, digits_second = first.strftime("%Y%m%d"), second.strftime("%Y%m%d")
    differing = [index for index in range(8) if digits_first[index] != digits_second[index]]
    if len(differing) == 1:
        return "typo"
    if len(differing) == 2 and differing[1] == differing[0] + 1:
        at, after = differing
        if (digits_first[at], digits_first[after]) == (digits_second[after], digits_second[at]):
            return "typo"
    return "different"


def sex_level(first: Sex, second: Sex) -> str:
    """same, different, or unknown when either is undeclared (X)."""
    if "X" in (first, second):
        return "unknown"
    return "same" if first == second else "different"


def address_level(first: Profile, second: Profile) -> str:
    """same (postal code and a similar street line), postal_code, different, or missing."""
    if first.postal_code is None or second.postal_code is None:
        return "missing"
    if first.postal_code != second.postal_code:
        return "different"
    lines = (first.address_line, second.address_line)
    if lines[0] and lines[1] and JaroWinkler.similarity(lines[0], lines[1]) >= SIMILAR_NAMES:
        return "same"
    return "postal_code"


def blocking_texts(profile: Profile) -> tuple[str, ...]:
    """The texts whose pseudonyms are a person's blocking keys: two records of one person share at
    least one of them despite a typo in a name, in the birth date, or a change of family name."""
    family = soundex(profile.family_name)
    year = profile.birth_date.year
    texts = [
        f"born:{profile.birth_date.isoformat()}|{profile.sex}",
        f"family-year:{family}|{year}",
        f"names:{soundex(profile.given_names.split()[0])}|{family}",
    ]
    if profile.postal_code is not None:
        texts.append(f"place-year:{profile.postal_code}|{year}")
    return tuple(texts)


def name_texts(profile: Profile) -> tuple[str, str]:
    """The texts whose pseudonyms count how many people hold this family name and these given names."""
    return (
        "family:" + profile.family_name.replace(" ", ""),
        "given:" + profile.given_names.replace(" ", ""),
    )


_SOUNDEX = {letter: str(code) for code, letters in enumerate(
    ("aehiouwy", "bfpv", "cgjkqsxz", "dt", "l", "mn", "r"),
) for letter in letters}  # fmt: skip


def soundex(name: str) -> str:
    """The Soundex code of a normalised name (first letter and three digits), which keeps
    "lefevre" and "lefebvre" together: blocking by it tolerates most spelling variants."""
    letters = [letter for letter in name if letter in _SOUNDEX]
    if not letters:
        return "0000"
    code = letters[0]
    previous = _SOUNDEX[letters[0]]
    for letter in letters[1:]:
        digit = _SOUNDEX[letter]
        if digit not in (previous, "0"):
            code += digit
        if letter not in "hw":
            previous = digit
    return (code + "000")[:4]


def rarity_u(count: int, population: int, prior: float) -> float:
    """The u of exact agreement on a name held by `count` of `population` registered people, pulled
    towards `prior` while the installation is small, so that a name seen once in ten people does not
    count as common."""
    return (count + PRIOR_WEIGHT * prior) / (population + PRIOR_WEIGHT)


def fold_address(line: str) -> str:
    """An address line casefolded, without accents or punctuation, spaces collapsed: for comparing."""
    decomposed = unicodedata.normalize("NFKD", line.casefold())
    kept = "".join(c if c.isalnum() else " " for c in decomposed if unicodedata.category(c)[0] != "M")
    return " ".join(kept.split())


def _weight(table: Mapping[str, tuple[float, float | None]], level: str, exact_u: float) -> float:
    m, u = table[level]
    return _log_ratio(m, exact_u if u is None else u)


def _log_ratio(m: float, u: float) -> float:
    return math.log2(m / u)
