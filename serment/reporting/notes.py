"""Free-text notes on cases and on contacts' exposures, sealed under the data key of the person they
concern (the case's person, the exposed contact) and bound to their table, column and row: they are
read only by those who may read that person, and expire and are erased with that person's identity."""

from __future__ import annotations

from sqlalchemy.orm import Session

from serment.access import Access, Platform
from serment.people import open_for, seal_for
from serment.store.tables import CaseRow, ExposureRow

COLUMN = "notes"


def cleaned(notes: str | None) -> str | None:
    """Notes without surrounding blanks, None when nothing is left; for storing and echoing alike."""
    text = notes.strip() if notes is not None else ""
    return text or None


def seal_case_notes(platform: Platform, session: Session, case: CaseRow, notes: str | None) -> None:
    """Seal `notes` into the case row, under its person's data key."""
    text = cleaned(notes)
    if text is not None:
        case.notes = seal_for(
            platform, session, case.person_ref, table=CaseRow.__tablename__, column=COLUMN, row=case.ref,
            text=text,
        )  # fmt: skip


def seal_exposure_notes(
    platform: Platform, session: Session, exposure: ExposureRow, notes: str | None
) -> None:
    """Seal `notes` into the exposure row, under the contact's data key."""
    text = cleaned(notes)
    if text is None:
        return
    if exposure.id is None:
        # The binding names the row, whose id the database assigns.
        session.flush()
    exposure.notes = seal_for(
        platform, session, exposure.contact_ref, table=ExposureRow.__tablename__, column=COLUMN,
        row=str(exposure.id), text=text,
    )  # fmt: skip


def case_notes(platform: Platform, session: Session, access: Access, case: CaseRow) -> str | None:
    """The case's notes, for an actor the guard allowed to read or export the case's person."""
    if case.notes is None:
        return None
    return open_for(
        platform, session, access, table=CaseRow.__tablename__, column=COLUMN, row=case.ref, sealed=case.notes
    )
