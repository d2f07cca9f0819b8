"""The identity vault: people registered by identity, found by pseudonym, read only through the guard.

Each identity field is sealed with AES-256-GCM under the person's data key, bound to its table,
column, person and key version. The data key is wrapped by the epoch key of (identity, month of
the person's last event): when retention ends, purging that epoch key makes the identity
unreadable everywhere at once, backups of the database included.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import Session
from sqlalchemy.sql import ColumnElement

from serment.access import Access, Platform, Request, authorise, guard, record
from serment.audit import defer
from serment.people import linkage
from serment.people.details import (
    Address,
    IdentityUnavailable,
    PersonConflict,
    PersonDetails,
    PersonRecord,
    RecordTampered,
    Registered,
    contact_email,
    contact_phone,
)
from serment.people.matching import Profile
from serment.people.records import (
    SEALED_FIELDS,
    TABLE,
    data_key_of,
    field_values,
    month_of,
    new_ref,
    open_beside,
    open_record,
    person_row,
    seal_beside,
    seal_into,
    seal_with,
    touch_row,
    wrap_data_key,
)
from serment.secrecy import (
    IdentityError,
    SealError,
    canonical,
    demographic,
    make_identity,
    new_key,
    unseal_row,
)
from serment.store.tables import PersonRow

# Merges chain (a record merged into one later merged itself); a longer chain means a cycle.
_MAX_MERGE_CHAIN = 64


def register_person(platform: Platform, request: Request, details: PersonDetails) -> Registered:
    """Find the person with this identity, or register them; either way return their ref.

    A NIR finds the person registered with it, or else one registered without a NIR under the
    same names, birth date and sex (who then gains the NIR). Without a NIR, the person is found
    by names, birth date and sex alone, a weaker match. Failing both, people sharing a blocking key
    are scored (`linkage`): one scoring above the link threshold is the person found; those in the
    grey zone go, with the new person, to the review queue.
    """
    return platform.run(lambda session: register_in(platform, session, request, details))


def register_in(platform: Platform, session: Session, request: Request, details: PersonDetails) -> Registered:
    """`register_person` inside the caller's transaction, for use cases that register several people."""
    return register_all_in(platform, session, request, [details])[0]


def register_all_in(
    platform: Platform, session: Session, request: Request, people: Sequence[PersonDetails]
) -> list[Registered]:
    """`register_in` for several people at once, in order, with one exact lookup and one insert for
    all of them. The same identity twice finds the same person; a near one (a typo) is scored
    against the people this batch registered as against those stored."""
    if not people:
        return []
    access = authorise(platform, session, request, "register", None)
    session.flush()  # what earlier registrations of this transaction left pending, blocking keys too
    batch = _Batch(platform, session, access, [_Wanted.of(platform, details) for details in people])
    # Nothing is written until every person is resolved: one flush inserts the new ones.
    with session.no_autoflush:
        registered = [batch.register(wanted) for wanted in batch.wanted]
    batch.write()
    return registered


@dataclass(frozen=True)
class _Wanted:
    """An identity to register, with its pseudonyms and what linkage compares of it."""

    details: PersonDetails
    nir_pseudonym: str | None
    weak_pseudonym: str
    strength: str
    profile: Profile

    @classmethod
    def of(cls, platform: Platform, details: PersonDetails) -> _Wanted:
        strong = canonical(details.identity)
        pseudonymiser = platform.pseudonymiser
        nir_pseudonym = pseudonymiser.pseudonym("core", strong.text) if strong.strength == "nir" else None
        weak_pseudonym = pseudonymiser.pseudonym("core", demographic(details.identity).text)
        return cls(details, nir_pseudonym, weak_pseudonym, strong.strength, linkage.profile_of(details))


class _Batch:
    """The registration of a batch of identities: each found exactly, linked, or created."""

    def __init__(self, platform: Platform, session: Session, access: Access, wanted: list[_Wanted]) -> None:
        self.platform, self.session, self.access, self.wanted = platform, session, access, wanted
        self.now = platform.clock.now()
        self.known = _Known.load(
            session, [w.nir_pseudonym for w in wanted if w.nir_pseudonym], [w.weak_pseudonym for w in wanted]
        )
        self.created: list[tuple[PersonRow, _Wanted, list[linkage.Match]]] = []
        self._neighbours: linkage.Neighbours | None = None

    def register(self, wanted: _Wanted) -> Registered:
        """Find, link or create the person `wanted` names, and audit the registration."""
        platform, session = self.platform, self.session
        found = self.known.find(session, wanted.nir_pseudonym, wanted.weak_pseudonym)
        reviews: list[linkage.Match] = []
        if found is None:
            found, reviews = self._link(wanted)
        if found is not None:
            nir_pseudonym = wanted.nir_pseudonym
            # A NIR already held by a record merged into the person found stays with that record.
            if (
                nir_pseudonym is not None
                and found.nir_pseudonym is None
                and not self.known.holds(nir_pseudonym)
            ):
                found.nir_pseudonym = nir_pseudonym
                found.strength = "nir"
                seal_into(platform, found, {"nir": wanted.details.identity.nir})
                self.known.add(found)
            touch_row(platform, found, self.now)
            record(platform, session, self.access, found.ref)
            return Registered(found.ref, created=False, strength=found.strength)
        person = _create(
            platform, wanted.details, nir_pseudonym=wanted.nir_pseudonym,
            weak_pseudonym=wanted.weak_pseudonym, strength=wanted.strength,
        )  # fmt: skip
        self.known.add(person)
        self.created.append((person, wanted, reviews))
        record(platform, session, self.access, person.ref)
        return Registered(person.ref, created=True, strength=person.strength)

    def write(self) -> None:
        """Insert the people created, then their blocking keys and the pairs to review."""
        if not self.created:
            return
        self.session.add_all(person for person, _, _ in self.created)
        # Rows that name these people (keys, pairs, cases, exposures) must follow them; the tables
        # declare no ORM relationships from which the unit of work could infer that order.
        self.session.flush()
        for person, wanted, reviews in self.created:
            linkage.add_keys(self.platform, self.session, person.ref, wanted.profile)
            linkage.queue(self.session, person.ref, reviews, self.now)
        linkage.POPULATION.grew(self.session, len(self.created))

    def _link(self, wanted: _Wanted) -> tuple[PersonRow | None, list[linkage.Match]]:
        if self._neighbours is None:
            # Read once for the whole batch, at the first identity not found exactly.
            self._neighbours = linkage.Neighbours(
                self.platform, self.session, [each.profile for each in self.wanted],
                all_with_nir=all(each.nir_pseudonym is not None for each in self.wanted),
            )  # fmt: skip
        matches = linkage.find_matches(
            self.platform, self.session, wanted.profile, with_nir=wanted.nir_pseudonym is not None,
            pending=[(person, earlier.profile) for person, earlier, _ in self.created],
            neighbours=self._neighbours,
        )  # fmt: skip
        link, reviews = linkage.choose(matches)
        if link is None:
            return None, reviews
        request = self.access.request
        entry = request.actor.entry(
            "link", "ok", purpose=self.access.purpose, subject=link.person.ref, request_id=request.request_id,
            detail=linkage.audit_detail(link.comparison),
        )  # fmt: skip
        defer(self.session, entry, self.now)
        return link.person, reviews


def read_person(platform: Platform, request: Request, ref: str) -> PersonRecord:
    """The person's identity and contact details, for an actor the guard allows to read them."""

    def read(session: Session) -> PersonRecord:
        guard(platform, session, request, "read", ref)
        return open_record(platform, person_row(session, ref))

    return platform.run(read)


def open_person(platform: Platform, session: Session, access: Access) -> PersonRecord:
    """The record behind an access the guard already granted (for use cases composing the vault)."""
    if access.subject is None:
        raise ValueError("this access names no person")
    return open_record(platform, person_row(session, access.subject))


def touch_person(platform: Platform, session: Session, access: Access, at: datetime) -> None:
    """Note an event of the person at `at` (a report, a result): their identity now expires from
    then, so their data key moves to the identity epoch of that month."""
    if access.subject is None:
        raise ValueError("this access names no person")
    touch_row(platform, person_row(session, access.subject), at)


def seal_for(
    platform: Platform, session: Session, ref: str, *, table: str, column: str, row: str, text: str
) -> bytes:
    """`text` sealed under the data key of the person `ref` and bound to (table, column, row): data
    about them kept outside the vault, such as notes, which must expire and be erased with their
    identity. Sealing reveals nothing, so it takes no access of its own: the calling use case has
    registered or guarded `ref` in its transaction."""
    return seal_beside(platform, person_row(session, ref), text, table=table, column=column, row=row)


def open_for(
    platform: Platform, session: Session, access: Access, *, table: str, column: str, row: str, sealed: bytes
) -> str:
    """The text `seal_for` sealed, behind an access the guard granted on its person. Raises
    IdentityUnavailable once their key is destroyed, RecordTampered if the value was altered or moved."""
    if access.subject is None:
        raise ValueError("this access names no person")
    person = person_row(session, access.subject)
    return open_beside(platform, person, sealed, table=table, column=column, row=row)


def external_refs(
    platform: Platform, session: Session, access: Access, refs: Iterable[str]
) -> dict[str, str | None]:
    """The reference each reporter gave for each of `refs` (their own file number), so that partners
    can match a pseudonymous list with their records; behind a `list` access the guard granted. Only
    that column is opened, and each opening is audited with its person; a person whose identity
    expired or was erased has None."""
    if access.action != "list":
        raise ValueError(f"external refs go with pseudonymous lists, not with a {access.action} access")
    found: dict[str, str | None] = {}
    rows = [session.get(PersonRow, ref) for ref in refs]
    for person in rows:
        if person is None:
            continue
        found[person.ref] = None
        if person.external_ref is None or person.erased_at is not None or person.expired_at is not None:
            continue
        try:
            value = unseal_row(
                data_key_of(platform, person), TABLE, person.ref, person.key_version,
                {"external_ref": person.external_ref},
            )["external_ref"]  # fmt: skip
        except IdentityUnavailable:
            continue
        except SealError:
            raise RecordTampered(person.ref, "external_ref") from None
        found[person.ref] = None if value is None else value.decode()
        # Opened from their record: an access the person sees in their history, like any other.
        record(platform, session, access, person.ref)
    return found


IDENTITY_FIELDS = ("nir", "family_name", "given_names", "birth_date", "sex")


def update_person(
    platform: Platform, request: Request, ref: str, changes: dict[str, str | Address | None]
) -> PersonRecord:
    """Change some fields of the person; a field given as None is removed (contact details only).

    Changing the NIR, names, birth date or sex recomputes the pseudonyms; a change that would
    make them another registered person's is refused (PersonConflict).
    """
    unknown = set(changes) - set(SEALED_FIELDS)
    if unknown:
        raise ValueError(f"not identity fields: {', '.join(sorted(unknown))}")

    def update(session: Session) -> PersonRecord:
        guard(platform, session, request, "update", ref)
        person = person_row(session, ref)
        current = open_record(platform, person)
        merged = _merge(current, changes, platform.clock.now().date())
        if any(name in changes for name in IDENTITY_FIELDS):
            _repseudonymise(platform, session, person, merged)
        if any(name in changes for name in (*IDENTITY_FIELDS, "address")):
            linkage.store_keys(platform, session, person.ref, linkage.profile_of(merged))
        seal_into(platform, person, {name: field_values(merged)[name] for name in changes})
        person.updated_at = platform.clock.now()
        return open_record(platform, person)

    return platform.run(update)


def erase_person(platform: Platform, request: Request, ref: str) -> None:
    """Erase the person's identity, pseudonyms and blocking keys, where the policy allows, with the
    records merged into them (the same person's other identities); the refs remain, empty."""

    def erase(session: Session) -> None:
        guard(platform, session, request, "erase", ref)
        people = [person_row(session, ref)]
        for person in people:
            people.extend(session.scalars(select(PersonRow).where(PersonRow.merged_into == person.ref)))
        for person in people:
            for name in SEALED_FIELDS:
                setattr(person, name, None)
            person.data_key_wrapped = None
            person.nir_pseudonym = None
            person.demographic_pseudonym = None
            person.erased_at = platform.clock.now()
        linkage.forget(session, [person.ref for person in people])

    platform.run(erase)


def _merge(current: PersonRecord, changes: dict[str, str | Address | None], today: date) -> PersonDetails:
    details = current.details
    identity = details.identity
    for name in IDENTITY_FIELDS[1:]:
        if name in changes and changes[name] is None:
            raise IdentityError(name, f"the {name.replace('_', ' ')} cannot be removed, only changed")

    def given(name: str, present: str | None) -> str | None:
        value = changes.get(name, present)
        return value if isinstance(value, str) or value is None else present

    new_identity = make_identity(
        nir=given("nir", identity.nir),
        family_name=given("family_name", details.family_name) or "",
        given_names=given("given_names", details.given_names) or "",
        birth_date=given("birth_date", identity.birth_date.isoformat()) or "",
        sex=given("sex", identity.sex) or "",
        today=today,
    )
    address = changes.get("address", details.address)
    return PersonDetails(
        identity=new_identity,
        family_name=(given("family_name", details.family_name) or "").strip(),
        given_names=(given("given_names", details.given_names) or "").strip(),
        address=address if isinstance(address, Address) else None,
        phone=contact_phone(given("phone", details.phone)),
        email=contact_email(given("email", details.email)),
        external_ref=given("external_ref", details.external_ref),
    )


def _repseudonymise(platform: Platform, session: Session, person: PersonRow, details: PersonDetails) -> None:
    pseudonymiser = platform.pseudonymiser
    strong = canonical(details.identity)
    nir_pseudonym = pseudonymiser.pseudonym("core", strong.text) if strong.strength == "nir" else None
    if nir_pseudonym is not None:
        other = session.scalars(
            select(PersonRow.ref).where(PersonRow.nir_pseudonym == nir_pseudonym, PersonRow.ref != person.ref)
        ).first()
        if other is not None:
            raise PersonConflict(
                "another person is registered with this NIR; ask the DPO to merge the records"
            )
    person.nir_pseudonym = nir_pseudonym
    person.demographic_pseudonym = pseudonymiser.pseudonym("core", demographic(details.identity).text)
    person.strength = strong.strength


class _Known:
    """The people a registration may find: those stored under the wanted pseudonyms, and those this
    transaction registered or changed but has not written yet, by their current pseudonyms."""

    def __init__(self) -> None:
        self.by_nir: dict[str, PersonRow] = {}
        self.by_demographic: dict[str, dict[str, PersonRow]] = {}

    @classmethod
    def load(cls, session: Session, nir_pseudonyms: list[str], demographic_pseudonyms: list[str]) -> _Known:
        """Read, in one query, every record holding one of these pseudonyms (merged records too)."""
        known = cls()
        condition: ColumnElement[bool] = PersonRow.demographic_pseudonym.in_(set(demographic_pseudonyms))
        if nir_pseudonyms:
            condition = or_(condition, PersonRow.nir_pseudonym.in_(set(nir_pseudonyms)))
        stored = session.scalars(select(PersonRow).where(condition)).all()
        held = [row for row in (*session.new, *session.dirty) if isinstance(row, PersonRow)]
        for person in (*stored, *held):
            known.add(person)
        return known

    def add(self, person: PersonRow) -> None:
        """Know `person` by their pseudonyms as they are now."""
        if person.nir_pseudonym is not None:
            self.by_nir[person.nir_pseudonym] = person
        if person.demographic_pseudonym is not None:
            self.by_demographic.setdefault(person.demographic_pseudonym, {})[person.ref] = person

    def holds(self, nir_pseudonym: str) -> bool:
        """Whether some record, merged or not, holds this NIR."""
        person = self.by_nir.get(nir_pseudonym)
        return person is not None and person.nir_pseudonym == nir_pseudonym

    def find(self, session: Session, nir_pseudonym: str | None, weak_pseudonym: str) -> PersonRow | None:
        """The person with this NIR, or else the only one with these names, birth date and sex,
        following merges (unless a NIR differs: then another person)."""
        if nir_pseudonym is not None and self.holds(nir_pseudonym):
            return kept_person(session, self.by_nir[nir_pseudonym])
        candidates = [
            person for person in self.by_demographic.get(weak_pseudonym, {}).values()
            if person.demographic_pseudonym == weak_pseudonym
        ]  # fmt: skip

        # Same names, birth date and sex but another NIR: another person, whether on the record or
        # on the person it was merged into.
        def other_nir(row: PersonRow) -> bool:
            return nir_pseudonym is not None and row.nir_pseudonym is not None

        found = {person.ref: person for person in (kept_person(session, row) for row in candidates)}
        if len(found) != 1 or any(other_nir(row) for row in (*candidates, *found.values())):
            return None
        return next(iter(found.values()))


def kept_person(session: Session, person: PersonRow) -> PersonRow:
    """The person a record was merged into (following merges of merges), or the record itself."""
    for _ in range(_MAX_MERGE_CHAIN):
        if person.merged_into is None:
            return person
        kept = session.get(PersonRow, person.merged_into)
        if kept is None:
            return person
        person = kept
    raise RuntimeError(f"the merges from {person.ref} form a cycle")


def _create(
    platform: Platform,
    details: PersonDetails,
    *,
    nir_pseudonym: str | None,
    weak_pseudonym: str,
    strength: str,
) -> PersonRow:
    now = platform.clock.now()
    person = PersonRow(
        ref=new_ref(),
        nir_pseudonym=nir_pseudonym,
        demographic_pseudonym=weak_pseudonym,
        strength=strength,
        key_version=1,
        epoch_month=month_of(now),
        last_event_at=now,
        created_at=now,
        updated_at=now,
    )
    data_key = new_key()
    person.data_key_wrapped = wrap_data_key(platform, person, data_key)
    seal_with(person, data_key, field_values(details))
    return person
