"""What a service learns of people to route work about them, and nothing more: the postal code and
the birth date, opened from the vault for the service itself, never their names or contact details.

Tracing gives a contact's call to the team of their département and calls the oldest first; no
person asks for this, so no guard decides it on a user's behalf. Each opening is audited as an
access of the service, so that a person's access history shows it beside every other.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from serment.access import Platform
from serment.audit import AuditEntry, defer
from serment.people.details import IdentityUnavailable, RecordTampered
from serment.people.records import open_record
from serment.store import in_lists
from serment.store.tables import PersonRow

SERVICE_ROLE = "service"
ROUTE_ACTION = "route"


@dataclass(frozen=True)
class Routing:
    """Where a person lives (their postal code, when known) and when they were born."""

    postal_code: str | None
    birth_date: date


def routing_of(
    platform: Platform, session: Session, refs: Collection[str], *, service: str, purpose: str
) -> dict[str, Routing]:
    """The postal code and birth date of each of `refs`, for the service `service` acting for
    `purpose`; people erased, expired or whose record does not open are left out."""
    found: dict[str, Routing] = {}
    now = platform.clock.now()
    for chunk in in_lists(sorted(set(refs))):
        query = select(PersonRow).where(
            PersonRow.ref.in_(chunk),
            PersonRow.erased_at.is_(None),
            PersonRow.expired_at.is_(None),
        )
        for person in session.scalars(query):
            try:
                details = open_record(platform, person).details
            except (IdentityUnavailable, RecordTampered):
                continue
            address = details.address
            found[person.ref] = Routing(address.postal_code if address else None, details.identity.birth_date)
            entry = AuditEntry(
                actor=service, role=SERVICE_ROLE, purpose=purpose, action=ROUTE_ACTION, subject=person.ref,
                outcome="ok",
            )  # fmt: skip
            defer(session, entry, now)
    return found
