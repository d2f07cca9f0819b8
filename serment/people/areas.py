"""Areas: the French département a person lives in, derived from their postal code, as the one place
attribute Serment keeps in clear. A département holds tens of thousands of people at the least, so it
says where an epidemic is without saying who; nothing finer (commune, postal code) leaves the vault.
"""

from __future__ import annotations

import re

from sqlalchemy.orm import Session

from serment.access import Access, Platform
from serment.people.details import IdentityUnavailable, RecordTampered
from serment.people.vault import open_person

_POSTAL_CODE = re.compile(r"[0-9]{5}")
_DEPARTMENT = re.compile(r"[0-9]{2,3}|2A|2B")
# Corsica's postal codes all start with 20: 200xx and 201xx are in Corse-du-Sud, the rest in Haute-Corse.
_SOUTH_CORSICA_BELOW = 20200


def department_of(postal_code: str | None) -> str | None:
    """The French département of a postal code: its first two digits, 2A or 2B in Corsica (20xxx),
    its first three overseas (97x); None when there is no code or it is not a French one."""
    code = (postal_code or "").replace(" ", "")
    if not _POSTAL_CODE.fullmatch(code):
        return None
    if code.startswith("20"):
        return "2A" if int(code) < _SOUTH_CORSICA_BELOW else "2B"
    if code.startswith("97"):
        return code[:3]
    return code[:2]


def is_department(text: str) -> bool:
    """Whether `text` is written as a département code (75, 2A, 974), for filters typed by people."""
    return _DEPARTMENT.fullmatch(text) is not None


def department_in_vault(platform: Platform, session: Session, access: Access) -> str | None:
    """The département of the address the vault holds for the person of `access` (a report the guard
    allowed and audited in this transaction), for use cases that keep it beside surveillance data; None
    when the vault has no French address for them, or it does not open. Only the département leaves
    this function."""
    try:
        address = open_person(platform, session, access).details.address
    except (IdentityUnavailable, RecordTampered):
        # A report must not be lost for want of its area; every reader of the record meets the fault.
        return None
    return department_of(address.postal_code) if address is not None else None
