"""What the vault takes and gives: a person's details and record, contact-detail checks, and the
vault's errors."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime

from serment.secrecy import Identity, IdentityError, IdentityErrors, make_identity

_PHONE = re.compile(r"\+?[0-9]{6,15}")
_EMAIL = re.compile(r"[^@\s]{1,64}@[^@\s]{1,255}\.[^@\s]{2,63}")


class IdentityUnavailable(Exception):
    """The person's identity can no longer be opened: its epoch key was destroyed at expiry."""

    def __init__(self, ref: str) -> None:
        super().__init__(f"the identity of {ref} has expired under the retention policy and cannot be read")
        self.ref = ref


class RecordTampered(Exception):
    """A sealed field does not open under its own binding: it was altered, or moved from another
    person or column. Nothing of the record is returned."""

    def __init__(self, ref: str, field: str) -> None:
        super().__init__(
            f"the sealed {field} of {ref} does not open: it was altered or moved from another record; "
            "nothing of this record is returned"
        )
        self.ref = ref
        self.field = field


@dataclass(frozen=True)
class Address:
    """A postal address."""

    line: str
    postal_code: str
    city: str


@dataclass(frozen=True)
class PersonDetails:
    """A person as reported: the normalised identity (for pseudonyms), the names as written (for
    the people who will call them) and contact details."""

    identity: Identity
    family_name: str
    given_names: str
    address: Address | None = None
    phone: str | None = None
    email: str | None = None
    external_ref: str | None = None


@dataclass(frozen=True)
class Registered:
    """The outcome of registering: the person's ref, and whether they were new."""

    ref: str
    created: bool
    strength: str


@dataclass(frozen=True)
class PersonRecord:
    """A person as the vault reveals them to an allowed reader."""

    ref: str
    strength: str
    details: PersonDetails
    created_at: datetime
    last_event_at: datetime


def contact_phone(raw: str | None) -> str | None:
    """A phone number without spaces, dots or dashes, or IdentityError."""
    if raw is None or not raw.strip():
        return None
    compact = re.sub(r"[\s.\-()]", "", raw)
    if not _PHONE.fullmatch(compact):
        raise IdentityError("phone", "the phone number must have 6 to 15 digits, optionally after a +")
    return compact


def contact_email(raw: str | None) -> str | None:
    """A plausible e-mail address, trimmed, or IdentityError."""
    if raw is None or not raw.strip():
        return None
    email = raw.strip()
    if not _EMAIL.fullmatch(email):
        raise IdentityError("email", "the e-mail address is not of the form name@domain.tld")
    return email


class PersonConflict(Exception):
    """The change would make this person another registered person."""


def person_details(
    *,
    nir: str | None,
    family_name: str,
    given_names: str,
    birth_date: str,
    sex: str,
    address: Address | None = None,
    phone: str | None = None,
    email: str | None = None,
    external_ref: str | None = None,
    today: date,
) -> PersonDetails:
    """A person as reported, every field checked; raises IdentityErrors naming every bad field."""
    problems: list[IdentityError] = []
    identity: Identity | None = None
    try:
        identity = make_identity(
            nir=nir,
            family_name=family_name,
            given_names=given_names,
            birth_date=birth_date,
            sex=sex,
            today=today,
        )
    except (IdentityError, IdentityErrors) as error:
        problems.extend(error.errors)
    checked: dict[str, str | None] = {}
    for field, check, value in (("phone", contact_phone, phone), ("email", contact_email, email)):
        try:
            checked[field] = check(value)
        except IdentityError as error:
            problems.append(error)
    if problems or identity is None:
        raise problems[0] if len(problems) == 1 else IdentityErrors(problems)
    return PersonDetails(
        identity=identity,
        family_name=family_name.strip(),
        given_names=given_names.strip(),
        address=address,
        phone=checked["phone"],
        email=checked["email"],
        external_ref=external_ref,
    )
