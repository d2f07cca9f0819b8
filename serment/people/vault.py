"""The identity vault: people registered by identity, found by pseudonym, read only through the guard.

Each identity field is sealed with AES-256-GCM under the person's data key, bound to its table,
column, person and key version. The data key is wrapped by the epoch key of (identity, month of
the person's last event): when retention ends, purging that epoch key makes the identity
unreadable everywhere at once, backups of the database included.
"""

from __future__ import annotations

import base64
import json
import secrets
from collections.abc import Sequence
from datetime import date, datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import Session
from sqlalchemy.sql import ColumnElement

from serment.access import Access, NoSuchPerson, Platform, Request, authorise, guard, record
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
from serment.secrecy import (
    Identity,
    IdentityError,
    KeyDestroyed,
    SealError,
    canonical,
    demographic,
    make_identity,
    new_key,
    normalise_name,
    normalise_sex,
    seal_row,
    unseal_row,
    unwrap_key,
    wrap_key,
)
from serment.store.tables import PersonRow

IDENTITY_CATEGORY = "identity"
TABLE = "people"
SEALED_FIELDS = (
    "nir", "family_name", "given_names", "birth_date", "sex", "address", "phone", "email", "external_ref",
)  # fmt: skip


def register_person(platform: Platform, request: Request, details: PersonDetails) -> Registered:
    """Find the person with this identity, or register them; either way return their ref.

    A NIR finds the person registered with it, or else one registered without a NIR under the
    same names, birth date and sex (who then gains the NIR). Without a NIR, the person is found
    by names, birth date and sex alone, a weaker match.
    """
    return platform.run(lambda session: register_in(platform, session, request, details))


def register_in(platform: Platform, session: Session, request: Request, details: PersonDetails) -> Registered:
    """`register_person` inside the caller's transaction, for use cases that register several people."""
    return register_all_in(platform, session, request, [details])[0]


def register_all_in(
    platform: Platform, session: Session, request: Request, people: Sequence[PersonDetails]
) -> list[Registered]:
    """`register_in` for several people at once, in order: one lookup and one insert for all.

    The same identity given twice finds the same person, as it would one call after the other.
    """
    if not people:
        return []
    access = authorise(platform, session, request, "register", None)
    pseudonymiser = platform.pseudonymiser
    wanted = []
    for details in people:
        strong = canonical(details.identity)
        nir_pseudonym = pseudonymiser.pseudonym("core", strong.text) if strong.strength == "nir" else None
        weak_pseudonym = pseudonymiser.pseudonym("core", demographic(details.identity).text)
        wanted.append((details, nir_pseudonym, weak_pseudonym, strong.strength))
    known = _Known.load(session, [w[1] for w in wanted if w[1] is not None], [w[2] for w in wanted])
    now = platform.clock.now()
    registered, created = [], []
    for details, nir_pseudonym, weak_pseudonym, strength in wanted:
        found = known.find(nir_pseudonym, weak_pseudonym)
        if found is not None:
            if nir_pseudonym is not None and found.nir_pseudonym is None:
                found.nir_pseudonym = nir_pseudonym
                found.strength = "nir"
                _seal_into(platform, found, {"nir": details.identity.nir})
                known.add(found)
            _touch(platform, found, now)
            record(platform, session, access, found.ref)
            registered.append(Registered(found.ref, created=False, strength=found.strength))
            continue
        person = _create(
            platform, details, nir_pseudonym=nir_pseudonym, weak_pseudonym=weak_pseudonym, strength=strength
        )
        known.add(person)
        created.append(person)
        record(platform, session, access, person.ref)
        registered.append(Registered(person.ref, created=True, strength=person.strength))
    if created:
        session.add_all(created)
        # Rows that name these people (cases, exposures) must follow them; the tables declare no
        # ORM relationships from which the unit of work could infer that order.
        session.flush()
    return registered


def read_person(platform: Platform, request: Request, ref: str) -> PersonRecord:
    """The person's identity and contact details, for an actor the guard allows to read them."""

    def read(session: Session) -> PersonRecord:
        guard(platform, session, request, "read", ref)
        return _open(platform, _person(session, ref))

    return platform.run(read)


def open_person(platform: Platform, session: Session, access: Access) -> PersonRecord:
    """The record behind an access the guard already granted (for use cases composing the vault)."""
    if access.subject is None:
        raise ValueError("this access names no person")
    return _open(platform, _person(session, access.subject))


def touch_person(platform: Platform, session: Session, access: Access, at: datetime) -> None:
    """Note an event of the person at `at` (a report, a result): their identity now expires from
    then, so their data key moves to the identity epoch of that month."""
    if access.subject is None:
        raise ValueError("this access names no person")
    _touch(platform, _person(session, access.subject), at)


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
        person = _person(session, ref)
        current = _open(platform, person)
        merged = _merge(current, changes, platform.clock.now().date())
        if any(name in changes for name in IDENTITY_FIELDS):
            _repseudonymise(platform, session, person, merged)
        _seal_into(platform, person, {name: _field_values(merged)[name] for name in changes})
        person.updated_at = platform.clock.now()
        return _open(platform, person)

    return platform.run(update)


def erase_person(platform: Platform, request: Request, ref: str) -> None:
    """Erase the person's identity and pseudonyms, where the policy allows; the ref remains, empty."""

    def erase(session: Session) -> None:
        guard(platform, session, request, "erase", ref)
        person = _person(session, ref)
        for name in SEALED_FIELDS:
            setattr(person, name, None)
        person.data_key_wrapped = None
        person.nir_pseudonym = None
        person.demographic_pseudonym = None
        person.erased_at = platform.clock.now()

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
        known = cls()
        condition: ColumnElement[bool] = PersonRow.demographic_pseudonym.in_(set(demographic_pseudonyms))
        if nir_pseudonyms:
            condition = or_(condition, PersonRow.nir_pseudonym.in_(set(nir_pseudonyms)))
        with session.no_autoflush:
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

    def find(self, nir_pseudonym: str | None, weak_pseudonym: str) -> PersonRow | None:
        """The person with this NIR, or else the only one with these names, birth date and sex
        (unless they hold another NIR: then another person)."""
        if nir_pseudonym is not None and nir_pseudonym in self.by_nir:
            return self.by_nir[nir_pseudonym]
        candidates = [
            person for person in self.by_demographic.get(weak_pseudonym, {}).values()
            if person.demographic_pseudonym == weak_pseudonym
        ]  # fmt: skip
        if len(candidates) != 1:
            return None
        only = candidates[0]
        return only if nir_pseudonym is None or only.nir_pseudonym is None else None


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
        epoch_month=_month(now),
        last_event_at=now,
        created_at=now,
        updated_at=now,
    )
    data_key = new_key()
    person.data_key_wrapped = _wrap(platform, person, data_key)
    _seal_with(person, data_key, _field_values(details))
    return person


def new_ref() -> str:
    """A random, opaque person ref: 128 bits in lower-case base32 (26 characters)."""
    return base64.b32encode(secrets.token_bytes(16)).decode().rstrip("=").lower()


def _field_values(details: PersonDetails) -> dict[str, str | None]:
    identity = details.identity
    address = details.address
    return {
        "nir": identity.nir,
        "family_name": details.family_name,
        "given_names": details.given_names,
        "birth_date": identity.birth_date.isoformat(),
        "sex": identity.sex,
        "address": json.dumps(address.__dict__, ensure_ascii=False) if address else None,
        "phone": details.phone,
        "email": details.email,
        "external_ref": details.external_ref,
    }


def _seal_into(platform: Platform, person: PersonRow, values: dict[str, str | None]) -> None:
    _seal_with(person, _data_key(platform, person), values)


def _seal_with(person: PersonRow, data_key: bytes, values: dict[str, str | None]) -> None:
    plain = {name: None if value is None else value.encode() for name, value in values.items()}
    for name, sealed in seal_row(data_key, TABLE, person.ref, person.key_version, plain).items():
        setattr(person, name, sealed)


def _open(platform: Platform, person: PersonRow) -> PersonRecord:
    data_key = _data_key(platform, person)
    sealed = {name: getattr(person, name) for name in SEALED_FIELDS}
    try:
        opened = unseal_row(data_key, TABLE, person.ref, person.key_version, sealed)
    except SealError as error:
        raise RecordTampered(person.ref, error.column or "record") from None
    values = {name: None if value is None else value.decode() for name, value in opened.items()}
    address = json.loads(values["address"]) if values["address"] else None
    family_name = values["family_name"] or ""
    given_names = values["given_names"] or ""
    identity = Identity(
        nir=values["nir"],
        family_name=normalise_name(family_name),
        given_names=normalise_name(given_names),
        birth_date=date.fromisoformat(values["birth_date"] or "1900-01-01"),
        sex=normalise_sex(values["sex"] or "X"),
    )
    details = PersonDetails(
        identity=identity,
        family_name=family_name,
        given_names=given_names,
        address=Address(**address) if address else None,
        phone=values["phone"],
        email=values["email"],
        external_ref=values["external_ref"],
    )
    return PersonRecord(person.ref, person.strength, details, person.created_at, person.last_event_at)


def _data_key(platform: Platform, person: PersonRow) -> bytes:
    if person.data_key_wrapped is None:
        raise IdentityUnavailable(person.ref)
    try:
        epoch_key = platform.keys.epoch_key(IDENTITY_CATEGORY, person.epoch_month)
    except KeyDestroyed:
        raise IdentityUnavailable(person.ref) from None
    if epoch_key is None:
        raise IdentityUnavailable(person.ref)
    try:
        return unwrap_key(epoch_key, person.data_key_wrapped, _wrap_label(person))
    except SealError:
        raise IdentityUnavailable(person.ref) from None


def _wrap(platform: Platform, person: PersonRow, data_key: bytes) -> bytes:
    epoch_key = platform.keys.epoch_key(IDENTITY_CATEGORY, person.epoch_month, create=True)
    if epoch_key is None:
        raise RuntimeError("the key store returned no epoch key although asked to create it")
    return wrap_key(epoch_key, data_key, _wrap_label(person))


def _touch(platform: Platform, person: PersonRow, at: datetime) -> None:
    person.last_event_at = max(person.last_event_at, at)
    month = _month(person.last_event_at)
    if month != person.epoch_month:
        data_key = _data_key(platform, person)
        person.epoch_month = month
        person.data_key_wrapped = _wrap(platform, person, data_key)
    person.updated_at = platform.clock.now()


def _person(session: Session, ref: str) -> PersonRow:
    person = session.get(PersonRow, ref)
    if person is None or person.erased_at is not None:
        raise NoSuchPerson(ref)
    return person


def _wrap_label(person: PersonRow) -> str:
    return f"{TABLE}/{person.ref}/v{person.key_version}"


def _month(at: datetime) -> str:
    return f"{at.year:04d}-{at.month:02d}"
