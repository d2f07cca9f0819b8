"""Duplicate detection at registration: blocking keys under pseudonyms, candidates scored by
`matching`, and the pairs a person must decide put in the review queue.

Identities are sealed, so candidates cannot be found by scanning names. Each person has a few
blocking keys (pseudonyms in the `linkage` domain of texts such as birth date and sex, or a
Soundex of the family name and the birth year); a new identity's keys find the people who share
one, and only those are opened, inside the platform, to be scored. Two more keys per person count
how many people hold their family name and their given names, for the weights.
"""

from __future__ import annotations

import json
import threading
import time
import weakref
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, func, or_, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from serment.access import Platform
from serment.people.details import IdentityUnavailable, PersonDetails, RecordTampered
from serment.people.matching import (
    FAMILY_PRIOR_U,
    GIVEN_PRIOR_U,
    Comparison,
    NameRarity,
    Profile,
    blocking_texts,
    compare,
    fold_address,
    name_texts,
    rarity_u,
)
from serment.people.records import open_record
from serment.store import in_lists
from serment.store.tables import DuplicatePairRow, PersonKeyRow, PersonRow

LINKAGE_DOMAIN = "linkage"
# Candidates scored per registration at most: a block is small unless a name is very common.
MAX_CANDIDATES = 200
# Pairs queued per registration at most, best first: the queue must stay short to stay read.
MAX_QUEUED = 3
OPEN = "open"
# One IN list a statement here: twice the shared size still fits SQLite's parameter limit.
_IN_CHUNK = 10_000


@dataclass(frozen=True)
class Match:
    """A registered person a new identity was compared with, and how they compared."""

    person: PersonRow
    comparison: Comparison


def profile_of(details: PersonDetails) -> Profile:
    """What linkage compares of a person, from their details."""
    identity = details.identity
    address = details.address
    return Profile(
        family_name=identity.family_name,
        given_names=identity.given_names,
        birth_date=identity.birth_date,
        sex=identity.sex,
        postal_code=address.postal_code.strip().upper() if address else None,
        address_line=fold_address(address.line) if address else None,
    )


def store_keys(platform: Platform, session: Session, ref: str, profile: Profile) -> None:
    """Give the person `ref` the blocking keys and name counts of `profile`, replacing any."""
    session.execute(delete(PersonKeyRow).where(PersonKeyRow.person_ref == ref))
    add_keys(platform, session, ref, profile)


def add_keys(platform: Platform, session: Session, ref: str, profile: Profile) -> None:
    """Give the person `ref`, who has none yet, the blocking keys and name counts of `profile`."""
    keys = {_key(platform, text) for text in (*blocking_texts(profile), *name_texts(profile))}
    session.add_all(PersonKeyRow(key=key, person_ref=ref) for key in sorted(keys))


def forget(session: Session, refs: Sequence[str]) -> None:
    """Delete the keys of these people and their open pairs, when their identity goes (erasure,
    expiry): nothing is left to compare them by, and nobody to show a reviewer."""
    if not refs:
        return
    session.execute(delete(PersonKeyRow).where(PersonKeyRow.person_ref.in_(refs)))
    session.execute(
        delete(DuplicatePairRow).where(
            DuplicatePairRow.status == OPEN,
            or_(DuplicatePairRow.first_ref.in_(refs), DuplicatePairRow.second_ref.in_(refs)),
        )
    )


def find_matches(
    platform: Platform,
    session: Session,
    profile: Profile,
    *,
    with_nir: bool,
    pending: Sequence[tuple[PersonRow, Profile]] = (),
    neighbours: Neighbours | None = None,
) -> list[Match]:
    """The live people sharing a blocking key with `profile`, scored, best first: those stored
    (read now, or from `neighbours` read for a whole batch), and those of `pending` (registered by
    this transaction, not yet written, with their profiles).

    With a NIR, people registered with one are left out: two different valid NIRs are two people.
    """
    if neighbours is None:
        neighbours = Neighbours(platform, session, [profile])
    candidates = neighbours.of(profile, with_nir=with_nir)
    blocks = set(blocking_texts(profile))
    candidates.extend(
        (person, other) for person, other in pending
        if not (with_nir and person.nir_pseudonym is not None) and blocks.intersection(blocking_texts(other))
    )  # fmt: skip
    if not candidates:
        return []
    rarity = neighbours.rarity([candidate for _, candidate in candidates])
    matches = [
        Match(person, compare(profile, candidate, rarity.of(candidate))) for person, candidate in candidates
    ]
    return sorted(matches, key=lambda match: -match.comparison.total)


class Neighbours:
    """The live stored people sharing a blocking key with any identity of a batch: the keys read in
    one query, the records in one more, each record opened once, when first compared, and the name
    counts read once for each name."""

    def __init__(
        self, platform: Platform, session: Session, profiles: Sequence[Profile], *, all_with_nir: bool = False
    ) -> None:
        """`all_with_nir`: every identity of the batch has a NIR, so people with one are not read."""
        self._platform, self._session = platform, session
        wanted = sorted({_key(platform, text) for profile in profiles for text in blocking_texts(profile)})
        self._refs: dict[str, set[str]] = {}
        for keys in in_lists(wanted, _IN_CHUNK):
            for key, ref in session.execute(
                select(PersonKeyRow.key, PersonKeyRow.person_ref).where(PersonKeyRow.key.in_(keys))
            ):
                self._refs.setdefault(key, set()).add(ref)
        self._people: dict[str, PersonRow] = {}
        for refs in in_lists(sorted(set().union(*self._refs.values())), _IN_CHUNK):
            live = select(PersonRow).where(
                PersonRow.ref.in_(refs),
                PersonRow.erased_at.is_(None),
                PersonRow.expired_at.is_(None),
                PersonRow.merged_into.is_(None),
            )
            if all_with_nir:
                live = live.where(PersonRow.nir_pseudonym.is_(None))
            self._people.update((person.ref, person) for person in session.scalars(live))
        self._profiles: dict[str, Profile | None] = {}
        self._rarity = _Rarity(platform, session)

    def of(self, profile: Profile, *, with_nir: bool) -> list[tuple[PersonRow, Profile]]:
        """The live people sharing a blocking key with `profile` (at most MAX_CANDIDATES), opened;
        `with_nir`, only those registered without a NIR."""
        keys = [_key(self._platform, text) for text in blocking_texts(profile)]
        refs = sorted(
            ref for ref in set().union(*(self._refs.get(key, set()) for key in keys))
            if ref in self._people and not (with_nir and self._people[ref].nir_pseudonym is not None)
        )  # fmt: skip
        found = []
        for ref in refs[:MAX_CANDIDATES]:
            opened = self._profile(ref)
            if opened is not None:
                found.append((self._people[ref], opened))
        return found

    def rarity(self, candidates: list[Profile]) -> _Rarity:
        """The name rarity of these candidates, their names counted if not already."""
        self._rarity.count(candidates)
        return self._rarity

    def _profile(self, ref: str) -> Profile | None:
        if ref not in self._profiles:
            try:
                self._profiles[ref] = profile_of(open_record(self._platform, self._people[ref]).details)
            except (IdentityUnavailable, RecordTampered):
                self._profiles[ref] = None
        return self._profiles[ref]


def choose(matches: Iterable[Match]) -> tuple[Match | None, list[Match]]:
    """The one match to link to, if exactly one scores above the link threshold; else the matches
    a person should review (several links are ambiguous, so they are reviewed too), best first."""
    ranked = list(matches)
    links = [match for match in ranked if match.comparison.decision() == "link"]
    if len(links) == 1:
        return links[0], []
    reviews = [match for match in ranked if match.comparison.decision() != "distinct"]
    return None, reviews[:MAX_QUEUED]


def queue(session: Session, new_ref: str, matches: Iterable[Match], at: datetime) -> None:
    """Put each pair (new person, match) in the review queue, unless the pair was ever queued."""
    for match in matches:
        first, second = sorted((new_ref, match.person.ref))
        known = session.scalar(
            select(DuplicatePairRow.id).where(
                DuplicatePairRow.first_ref == first, DuplicatePairRow.second_ref == second
            )
        )
        if known is not None:
            continue
        comparison = match.comparison
        session.add(
            DuplicatePairRow(
                first_ref=first,
                second_ref=second,
                score=round(comparison.total, 2),
                levels=json.dumps(dict(comparison.levels), sort_keys=True),
                status=OPEN,
                found_at=at,
            )
        )


def audit_detail(comparison: Comparison) -> dict[str, str | int | bool | None]:
    """A comparison as audit detail: the score to a tenth of a bit, as text, and each level."""
    return {"score": f"{comparison.total:.1f}", **comparison.levels}


def _key(platform: Platform, text: str) -> str:
    return platform.pseudonymiser.pseudonym(LINKAGE_DOMAIN, text)


class _Rarity:
    """The u of exact name agreement for each candidate, from their names' counts (each name
    counted once) and the number of live people."""

    def __init__(self, platform: Platform, session: Session) -> None:
        self._platform, self._session = platform, session
        self._counts: dict[str, int] = {}
        self._population = POPULATION.of(session)

    def count(self, candidates: list[Profile]) -> None:
        """Count, in one query, the names of these candidates not counted yet."""
        keys = {_key(self._platform, text) for candidate in candidates for text in name_texts(candidate)}
        missing = keys - self._counts.keys()
        if not missing:
            return
        counted = self._session.execute(
            select(PersonKeyRow.key, func.count())
            .where(PersonKeyRow.key.in_(missing))
            .group_by(PersonKeyRow.key)
        )
        self._counts.update(dict.fromkeys(missing, 0))
        self._counts.update(dict(counted.all()))

    def of(self, profile: Profile) -> NameRarity:
        family, given = (self._counts.get(_key(self._platform, text), 0) for text in name_texts(profile))
        return NameRarity(
            family_name=rarity_u(family, self._population, FAMILY_PRIOR_U),
            given_names=rarity_u(given, self._population, GIVEN_PRIOR_U),
        )


class _Population:
    """How many live people each database holds, for the weights, which need its order of magnitude
    rather than its last unit: counted (a scan of the people) at first use and every
    `RECOUNT_SECONDS`, and in between kept up by the registrations of this process."""

    RECOUNT_SECONDS = 600.0

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts: weakref.WeakKeyDictionary[Engine, tuple[float, int]] = weakref.WeakKeyDictionary()

    def of(self, session: Session) -> int:
        """The number of live people in the session's database."""
        engine = session.get_bind().engine
        with self._lock:
            known = self._counts.get(engine)
        if known is not None and time.monotonic() - known[0] < self.RECOUNT_SECONDS:
            return known[1]
        live = (
            select(func.count())
            .select_from(PersonRow)
            .where(PersonRow.erased_at.is_(None), PersonRow.expired_at.is_(None))
        )
        count = session.scalar(live) or 0
        with self._lock:
            self._counts[engine] = (time.monotonic(), count)
        return count

    def grew(self, session: Session, people: int) -> None:
        """Note that this process registered `people` more people in the session's database."""
        engine = session.get_bind().engine
        with self._lock:
            known = self._counts.get(engine)
            if known is not None:
                self._counts[engine] = (known[0], known[1] + people)


POPULATION = _Population()
