"""Finding registered people from what someone types to look one up: a NIR, or a family name and a
birth date. Only pseudonyms are compared: nobody's identity is opened here and nothing is audited, so
the calling use case must pass the guard for each person it then reveals (or acts on)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session, aliased

from serment.access import Platform
from serment.people.linkage import LINKAGE_DOMAIN
from serment.people.matching import Profile, blocking_texts, name_texts
from serment.people.vault import kept_person
from serment.secrecy import Identity, Sex, canonical, normalise_name, normalise_nir
from serment.secrecy.identity import EARLIEST_BIRTH_DATE
from serment.store.tables import PersonKeyRow, PersonRow

SEXES: tuple[Sex, ...] = ("F", "M", "X")
BORN = "born:"
FAMILY = "family:"


def refs_by_nir(platform: Platform, session: Session, nir: str) -> list[str]:
    """The live person registered with this NIR (following merges), as a list of at most one ref.
    Raises IdentityError (field "nir") for a NIR that is not one."""
    normal = normalise_nir(nir)
    text = canonical(Identity(normal, "", "", EARLIEST_BIRTH_DATE, "X")).text
    pseudonym = platform.pseudonymiser.pseudonym("core", text)
    found = session.scalars(select(PersonRow).where(PersonRow.nir_pseudonym == pseudonym)).all()
    return _live(session, found)


def refs_by_family_and_birth(platform: Platform, session: Session, family_name: str, born: date) -> list[str]:
    """The live people holding this family name (compared as matching compares names) and born on
    this day, whatever their sex: the two blocking keys they share, intersected in the index.
    Raises IdentityError (field "name") for a name with no letter or with a character that is not one."""
    profiles = [_profile(normalise_name(family_name), born, sex) for sex in SEXES]
    births = {
        _key(platform, text) for one in profiles for text in blocking_texts(one) if text.startswith(BORN)
    }
    family = {_key(platform, text) for text in name_texts(profiles[0]) if text.startswith(FAMILY)}
    by_birth, by_family = aliased(PersonKeyRow), aliased(PersonKeyRow)
    refs = session.scalars(
        select(by_birth.person_ref)
        .join(by_family, by_family.person_ref == by_birth.person_ref)
        .where(by_birth.key.in_(births), by_family.key.in_(family))
        .distinct()
    ).all()
    people = session.scalars(select(PersonRow).where(PersonRow.ref.in_(refs))).all() if refs else []
    return _live(session, people)


def _profile(family_name: str, born: date, sex: Sex) -> Profile:
    # Only the family name, birth date and sex make the keys looked up here; the given name is a
    # placeholder for the keys that are not.
    return Profile(family_name=family_name, given_names="x", birth_date=born, sex=sex)


def _key(platform: Platform, text: str) -> str:
    return platform.pseudonymiser.pseudonym(LINKAGE_DOMAIN, text)


def _live(session: Session, people: Iterable[PersonRow]) -> list[str]:
    """The refs of the people these records are now (merged records lead to who they were merged
    into), without those erased or expired."""
    kept = {person.ref: person for person in (kept_person(session, row) for row in people)}
    return sorted(
        ref for ref, person in kept.items() if person.erased_at is None and person.expired_at is None
    )
