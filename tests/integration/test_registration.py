"""Registering several people in one transaction finds each one as registering them one by one would."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from serment.access import Actor, Platform, Request
from serment.people import PersonDetails, person_details, register_all_in, register_in
from serment.store.tables import PersonRow
from tests.people_data import Synthetic, people

TODAY = date(2026, 3, 2)
CLINICIAN = Request(Actor(name="dr-batch", role="clinician"), purpose="care")


def _details(person: Synthetic, *, with_nir: bool = True) -> PersonDetails:
    return person_details(
        nir=person.nir if with_nir else None,
        family_name=person.family_name,
        given_names=person.given_names,
        birth_date=person.birth_date,
        sex=person.sex,
        today=TODAY,
    )


def _count(platform: Platform) -> int:
    with platform.database.read() as session:
        return session.scalar(select(func.count()).select_from(PersonRow)) or 0


def test_the_same_identity_twice_in_one_batch_is_one_person(platform: Platform) -> None:
    first, second = people(2)
    registered = platform.run(
        lambda session: register_all_in(
            platform, session, CLINICIAN, [_details(first), _details(second), _details(first)]
        )
    )
    assert registered[0].ref == registered[2].ref != registered[1].ref
    assert [r.created for r in registered] == [True, True, False]
    assert _count(platform) == 2


def test_a_nir_given_later_in_the_batch_joins_the_person_registered_without_one(platform: Platform) -> None:
    (person,) = people(1)
    without, with_nir, again = platform.run(
        lambda session: register_all_in(
            platform,
            session,
            CLINICIAN,
            [_details(person, with_nir=False), _details(person), _details(person, with_nir=False)],
        )
    )
    assert without.ref == with_nir.ref == again.ref
    assert (without.strength, with_nir.strength) == ("demographic", "nir")
    assert _count(platform) == 1


def test_people_registered_earlier_in_the_transaction_are_found_by_a_later_batch(platform: Platform) -> None:
    first, second = people(2)

    def twice(session: Session) -> tuple[str, str, str]:
        one = register_in(platform, session, CLINICIAN, _details(first, with_nir=False))
        gains_nir = register_in(platform, session, CLINICIAN, _details(first))
        by_nir, _ = register_all_in(platform, session, CLINICIAN, [_details(first), _details(second)])
        return one.ref, gains_nir.ref, by_nir.ref

    refs = platform.run(twice)
    assert len(set(refs)) == 1
    assert _count(platform) == 2


def test_two_people_with_the_same_names_and_birth_but_other_nirs_stay_two(platform: Platform) -> None:
    (person,) = people(1)
    twin = Synthetic(**{**person.__dict__, "nir": _renumbered(person.nir)})
    one, other = platform.run(
        lambda session: register_all_in(platform, session, CLINICIAN, [_details(person), _details(twin)])
    )
    assert one.ref != other.ref


def _renumbered(nir: str) -> str:
    body = nir[:10] + ("001" if nir[10:13] != "001" else "002")
    numeric = body.replace("2A", "19").replace("2B", "18")
    return f"{body}{97 - int(numeric) % 97:02d}"


@pytest.mark.parametrize("size", [0, 1])
def test_an_empty_or_single_batch_behaves_like_register_in(platform: Platform, size: int) -> None:
    batch = [_details(person) for person in people(size)]
    assert len(platform.run(lambda session: register_all_in(platform, session, CLINICIAN, batch))) == size
