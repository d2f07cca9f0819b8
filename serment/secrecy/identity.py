"""Identity normalisation: the NIR with its control key, names, birth dates and sex, and the canonical
text a pseudonym is computed from.

Two records of the same person must give the same canonical text, whoever typed them and however:
this module is where "Lefèvre", "LEFEVRE" and "le fèvre" become one. Everything here is a pure function.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime
from typing import Literal

Sex = Literal["F", "M", "X"]
Strength = Literal["nir", "demographic"]

EARLIEST_BIRTH_DATE = date(1890, 1, 1)

_NIR_LENGTH = 15
_NIR_SEPARATORS = str.maketrans("", "", " .-\u00a0\u202f")
_NIR_SEX_DIGITS = frozenset("123478")
_NIR_CORSICA = {"2A": "19", "2B": "18"}
_DIGITS = frozenset("0123456789")

# Removed before NFKD too: the acute accent U+00B4 would otherwise decompose into a space.
_APOSTROPHES = "'\u2019\u2018\u02bc\u0060\u00b4\u2032\uff07"
# Letters NFKD leaves whole; folding them keeps "Søren" and "Soren" together, as accents are.
_LIGATURES = str.maketrans(
    {"œ": "oe", "æ": "ae", "ß": "ss", "ø": "o", "ł": "l", "đ": "d", "ð": "d", "þ": "th"}
)
_NAME_SEPARATORS = re.compile(r"[\s_\-\u2010-\u2015]+")
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
# Folded characters kept, so a batch of names costs one C-level translate each; bounded against floods.
_FOLD_CACHE_LIMIT = 65536
_SEXES: dict[str, Sex] = {"F": "F", "M": "M", "X": "X"}


class IdentityError(ValueError):
    """One identity field that cannot be normalised, with a sentence the person who sent it can act on.

    The message names the field and the problem; it never quotes the value (at most one wrong character,
    or the expected NIR key), so that it may be shown to whoever sent the record.
    """

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message

    @property
    def errors(self) -> tuple[IdentityError, ...]:
        """This error alone, so callers handle `IdentityError` and `IdentityErrors` the same way."""
        return (self,)


class IdentityErrors(ValueError):
    """Several identity fields that cannot be normalised, reported together so they are fixed at once."""

    def __init__(self, errors: list[IdentityError]) -> None:
        self.errors = tuple(errors)
        super().__init__("; ".join(error.message for error in self.errors))


def normalise_nir(raw: str) -> str:
    """The canonical 15-character NIR (French social security number) of `raw`, for reporting and people.

    Spaces, dots and hyphens between digits are removed; Corsican departments 2A and 2B are upper-cased.
    Raises `IdentityError` (field "nir") on a wrong length, a wrong character, sex digit or control key.
    """
    compact = raw
    # A NIR sent as bare ASCII digits has nothing to remove: skip the four passes over it.
    if not (raw.isascii() and raw.isdigit()):
        compact = raw.strip().replace(" ", "").replace(".", "").replace("-", "")
        if not compact.isascii():
            compact = compact.translate(_NIR_SEPARATORS)
    if len(compact) != _NIR_LENGTH:
        noun = "character" if len(compact) == 1 else "characters"
        raise IdentityError("nir", f"the NIR has {len(compact)} {noun}; it needs 15: 13 and a 2-digit key")
    if compact.isascii() and compact.isdigit():
        number = compact[:13]
    else:
        department, rest = compact[5:7].upper(), compact[:5] + compact[7:]
        corsican = department in _NIR_CORSICA and rest.isascii() and rest.isdigit()
        if not corsican:
            position = next(
                position
                for position, character in enumerate(compact)
                if character not in _DIGITS and not (department in _NIR_CORSICA and position in (5, 6))
            )
            raise IdentityError(
                "nir",
                f"the NIR may hold only digits (and 2A or 2B as characters 6-7, for Corsica); "
                f"character {position + 1} is not a digit",
            )
        compact = compact[:5] + department + compact[7:]
        number = compact[:5] + _NIR_CORSICA[department] + compact[7:13]
    if compact[0] not in _NIR_SEX_DIGITS:
        raise IdentityError("nir", "the NIR must start with 1, 2, 3, 4, 7 or 8 (its sex digit)")
    expected = 97 - int(number) % 97
    if int(compact[13:]) != expected:
        raise IdentityError("nir", f"the NIR has an invalid control key (expected {expected:02d})")
    return compact


def nir_control_key(first_13: str) -> int:
    """The control key (1 to 97) of the first 13 characters of a NIR, for validation and test data.

    Corsica counts as 19 for 2A and 18 for 2B, as the official rule has it.
    """
    department = first_13[5:7].upper()
    number = first_13[:5] + _NIR_CORSICA.get(department, department) + first_13[7:13]
    return 97 - int(number) % 97


def normalise_name(raw: str) -> str:
    """The matching form of a family or given name: case-folded, without accents, ligatures or apostrophes,
    with runs of spaces, hyphens and underscores made one space. For comparing people, never for display.

    Raises `IdentityError` (field "name") when nothing is left or when a character is not a letter.
    """
    return _normalise_name(raw, "name", "the name")


def _normalise_name(raw: str, field: str, noun: str, *, plural: bool = False) -> str:
    text = " ".join(raw.translate(_FOLD).split())
    if not text:
        raise IdentityError(field, f"{noun} {'are' if plural else 'is'} empty")
    if not text.replace(" ", "").isalpha():
        wrong = next(character for character in text if character != " " and not character.isalpha())
        verb = "hold" if plural else "holds"
        advice = "use letters, spaces, hyphens, apostrophes"
        raise IdentityError(field, f"{noun} {verb} {wrong!r}, which is not a letter; {advice}")
    return text


class _FoldTable(dict[int, str]):
    """What each character of a name becomes, computed on first sight. Every step (NFKD, dropping marks,
    case folding) maps characters one by one, so folding a name is folding each of its characters."""

    def __missing__(self, code: int) -> str:
        character = chr(code)
        if character in _APOSTROPHES:
            return ""
        # Folding twice reaches a fixed point: case folding can itself produce composed letters.
        folded = _strip_marks(_strip_marks(character).casefold()).casefold()
        folded = _NAME_SEPARATORS.sub(" ", "".join(c for c in folded if c not in _APOSTROPHES))
        folded = folded.translate(_LIGATURES)
        if len(self) < _FOLD_CACHE_LIMIT:
            self[code] = folded
        return folded


_FOLD = _FoldTable()


def _strip_marks(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(character for character in decomposed if unicodedata.category(character)[0] != "M")


def normalise_birth_date(value: str | date, today: date) -> date:
    """The birth date `value` (ISO YYYY-MM-DD text or a date) checked to lie between 1890-01-01 and `today`.

    For everything that takes a birth date from a person; raises `IdentityError` (field "birth_date").
    """
    if isinstance(value, datetime):
        raise IdentityError("birth_date", "the birth date must be a date without a time of day")
    born = _parse_birth_date(value) if isinstance(value, str) else value
    if born > today:
        raise IdentityError("birth_date", f"the birth date is in the future (after {today.isoformat()})")
    if born < EARLIEST_BIRTH_DATE:
        raise IdentityError("birth_date", "the birth date is before 1890-01-01; check the year")
    return born


def _parse_birth_date(value: str) -> date:
    text = value.strip()
    try:
        # Of 10-character texts with dashes there, fromisoformat takes only YYYY-MM-DD in ASCII digits.
        if len(text) == 10 and text[4] == "-" == text[7]:
            return date.fromisoformat(text)
    except ValueError:
        if _ISO_DATE.fullmatch(text):
            raise IdentityError("birth_date", "the birth date is not a day of the calendar") from None
    raise IdentityError("birth_date", "the birth date must be written YYYY-MM-DD, as in 1990-02-01")


def normalise_sex(value: str) -> Sex:
    """The sex `value` as F, M or X, whatever its case; raises `IdentityError` (field "sex") otherwise."""
    sex = _SEXES.get(value.strip().upper())
    if sex is None:
        raise IdentityError("sex", "the sex must be F, M or X")
    return sex


@dataclass(frozen=True, slots=True, repr=False)
class Identity:
    """A person's identifiers, every field already normalised. Direct identifiers: seal them at rest."""

    nir: str | None
    family_name: str
    given_names: str
    birth_date: date
    sex: Sex

    def __repr__(self) -> str:
        # Tracebacks and debug logs print objects; an identity must not leak through them.
        return "Identity(<sealed>)"


def make_identity(
    *, nir: str | None, family_name: str, given_names: str, birth_date: str | date, sex: str, today: date
) -> Identity:
    """Normalise every field of an identity as reported by a clinician, a laboratory or a data producer.

    A blank NIR counts as unknown. When one field is wrong, raises its `IdentityError`; when several are,
    raises `IdentityErrors` listing them all, so the sender fixes the record in one go.
    """
    errors: list[IdentityError] = []
    normal_nir: str | None = None
    if nir and not nir.isspace():
        try:
            normal_nir = normalise_nir(nir)
        except IdentityError as error:
            errors.append(error)
    family = given = ""
    try:
        family = _normalise_name(family_name, "family_name", "the family name")
    except IdentityError as error:
        errors.append(error)
    try:
        given = _normalise_name(given_names, "given_names", "the given names", plural=True)
    except IdentityError as error:
        errors.append(error)
    born = EARLIEST_BIRTH_DATE
    try:
        born = normalise_birth_date(birth_date, today)
    except IdentityError as error:
        errors.append(error)
    normal_sex: Sex = "X"
    try:
        normal_sex = normalise_sex(sex)
    except IdentityError as error:
        errors.append(error)
    if len(errors) == 1:
        raise errors[0]
    if errors:
        raise IdentityErrors(errors)
    return Identity(normal_nir, family, given, born, normal_sex)


@dataclass(frozen=True, slots=True, repr=False)
class Canonical:
    """The text a pseudonym is computed from, and how strongly it names one person.

    "nir" names exactly one person; "demographic" (names, birth date, sex) may, rarely, name two.
    """

    text: str
    strength: Strength

    def __repr__(self) -> str:
        return f"Canonical(<sealed>, strength={self.strength!r})"


def canonical(identity: Identity) -> Canonical:
    """The canonical text of `identity` for pseudonyms: its NIR when known, else its demographic text."""
    if identity.nir is not None:
        return Canonical("nir:" + identity.nir, "nir")
    return demographic(identity)


def demographic(identity: Identity) -> Canonical:
    """The demographic canonical text of `identity` (names, birth date, sex), weaker than the NIR.

    Used when no NIR is known, and to find the same person reported once with and once without a NIR.
    Normalised names hold only letters and spaces, so the "|" separators are unambiguous.
    """
    text = (
        f"person:{identity.family_name}|{identity.given_names}|"
        f"{identity.birth_date.isoformat()}|{identity.sex}"
    )
    return Canonical(text, "demographic")
