"""Contacts: the people exposed to someone, registered in the vault, with their exposure."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy.orm import Session

from serment.access import Platform, Request, changed, guard
from serment.people import register_all_in
from serment.reporting.minimisation import contact_problems
from serment.reporting.notes import seal_exposure_notes
from serment.reporting.rules import ContactInput, ReportInvalid, check_contacts
from serment.store.tables import ExposureRow


def add_contacts(
    platform: Platform, request: Request, ref: str, contacts: Sequence[ContactInput]
) -> tuple[str, ...]:
    """Add contacts of the person `ref` (named by them, for instance during a tracing call); all or
    none, refused when one breaks a rule or carries a field the policy does not allow."""
    problems = check_contacts(None, contacts, platform.clock.now().date())
    problems += contact_problems(platform.policy, contacts)
    if problems:
        raise ReportInvalid(problems)

    def store(session: Session) -> tuple[str, ...]:
        guard(platform, session, request, "report", ref)
        return store_contacts(platform, session, request, ref, contacts, at=platform.clock.now())

    return platform.run(store)


def store_contacts(
    platform: Platform,
    session: Session,
    request: Request,
    person_ref: str,
    contacts: Sequence[ContactInput],
    *,
    at: datetime,
) -> tuple[str, ...]:
    """Register each contact and record their exposure to `person_ref`; returns the contacts' refs."""
    people = register_all_in(platform, session, request, [contact.person for contact in contacts])
    refs = [person.ref for person in people]
    return store_exposures(platform, session, request, person_ref, contacts, contact_refs=refs, at=at)


def store_exposures(
    platform: Platform,
    session: Session,
    request: Request,
    person_ref: str,
    contacts: Sequence[ContactInput],
    *,
    contact_refs: Sequence[str],
    at: datetime,
) -> tuple[str, ...]:
    """Record the exposure of each registered contact (`contact_refs`, in order) to `person_ref`,
    its notes sealed under the contact's data key."""
    rows = []
    for contact, contact_ref in zip(contacts, contact_refs, strict=True):
        if contact_ref == person_ref:
            raise ReportInvalid([("contacts", "a contact is the person being reported")])
        exposure = contact.exposure
        row = ExposureRow(
            person_ref=person_ref,
            contact_ref=contact_ref,
            date_from=exposure.date_from,
            date_to=exposure.date_to,
            setting=exposure.setting,
            proximity=exposure.proximity,
            duration_minutes=exposure.duration_minutes,
            place_id=exposure.place_id,
            reported_by=request.actor.name,
            reported_at=at,
        )
        session.add(row)
        rows.append(row)
    # After every row is added: the first note flushes them all at once to learn their ids.
    for row, contact in zip(rows, contacts, strict=True):
        seal_exposure_notes(platform, session, row, contact.exposure.notes)
    changed(session, [person_ref, *contact_refs])
    return tuple(contact_refs)
