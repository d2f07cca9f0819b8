"""A person's record in the vault: sealing its identity fields under its data key, wrapping that
key under the identity epoch key of the month of its last event, and opening it again.

The use cases of `vault`, `linkage` and `duplicates` share these; only they open records, and only
after the guard allowed it (or, to score candidates of duplicate detection, inside the platform).
"""

from __future__ import annotations

import base64
import json
import secrets
from datetime import date, datetime

from sqlalchemy.orm import Session

from serment.access import NoSuchPerson, Platform
from serment.people.details import (
    Address,
    IdentityUnavailable,
    PersonDetails,
    PersonRecord,
    RecordTampered,
)
from serment.secrecy import (
    Binding,
    Identity,
    KeyDestroyed,
    SealError,
    normalise_name,
    normalise_sex,
    seal,
    seal_row,
    unseal,
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


def new_ref() -> str:
    """A random, opaque person ref: 128 bits in lower-case base32 (26 characters)."""
    return base64.b32encode(secrets.token_bytes(16)).decode().rstrip("=").lower()


def field_values(details: PersonDetails) -> dict[str, str | None]:
    """The text of each sealed field of `details`, None where absent."""
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


def seal_into(platform: Platform, person: PersonRow, values: dict[str, str | None]) -> None:
    """Seal `values` into the person's row under their current data key."""
    seal_with(person, data_key_of(platform, person), values)


def seal_with(person: PersonRow, data_key: bytes, values: dict[str, str | None]) -> None:
    """Seal `values` into the row under `data_key` (for a new person, whose key is not wrapped yet)."""
    plain = {name: None if value is None else value.encode() for name, value in values.items()}
    for name, sealed in seal_row(data_key, TABLE, person.ref, person.key_version, plain).items():
        setattr(person, name, sealed)


def open_record(platform: Platform, person: PersonRow) -> PersonRecord:
    """The person's record, opened; IdentityUnavailable once expired, RecordTampered if altered."""
    data_key = data_key_of(platform, person)
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


def data_key_of(platform: Platform, person: PersonRow) -> bytes:
    """The person's data key, unwrapped; IdentityUnavailable once its epoch key is destroyed."""
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


def seal_beside(
    platform: Platform, person: PersonRow, text: str, *, table: str, column: str, row: str
) -> bytes:
    """`text` sealed under the person's data key and bound to (table, column, row): data about them
    kept outside their record, such as notes, which expires and is erased with it."""
    return seal(data_key_of(platform, person), text.encode(), Binding(table, column, row, person.key_version))


def open_beside(
    platform: Platform, person: PersonRow, sealed: bytes, *, table: str, column: str, row: str
) -> str:
    """The text `seal_beside` sealed for the person; RecordTampered if it was altered, or moved from
    another row or person."""
    try:
        return unseal(
            data_key_of(platform, person), sealed, Binding(table, column, row, person.key_version)
        ).decode()
    except SealError:
        raise RecordTampered(person.ref, f"{column} ({table} {row})") from None


def wrap_data_key(platform: Platform, person: PersonRow, data_key: bytes) -> bytes:
    """`data_key` wrapped under the identity epoch key of the person's epoch month."""
    epoch_key = platform.keys.epoch_key(IDENTITY_CATEGORY, person.epoch_month, create=True)
    if epoch_key is None:
        raise RuntimeError("the key store returned no epoch key although asked to create it")
    return wrap_key(epoch_key, data_key, _wrap_label(person))


def touch_row(platform: Platform, person: PersonRow, at: datetime) -> None:
    """Note an event of the person at `at`: their data key moves to the epoch of its month."""
    person.last_event_at = max(person.last_event_at, at)
    month = month_of(person.last_event_at)
    if month != person.epoch_month:
        data_key = data_key_of(platform, person)
        person.epoch_month = month
        person.data_key_wrapped = wrap_data_key(platform, person, data_key)
    person.updated_at = platform.clock.now()


def person_row(session: Session, ref: str) -> PersonRow:
    """The row of the person `ref`; NoSuchPerson if there is none or it was erased."""
    person = session.get(PersonRow, ref)
    if person is None or person.erased_at is not None:
        raise NoSuchPerson(ref)
    return person


def _wrap_label(person: PersonRow) -> str:
    return f"{TABLE}/{person.ref}/v{person.key_version}"


def month_of(at: datetime) -> str:
    """The epoch month "YYYY-MM" of `at`."""
    return f"{at.year:04d}-{at.month:02d}"
