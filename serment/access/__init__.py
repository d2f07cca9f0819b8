"""Access: actors, the guard that every read or write of personal data passes, accounts and
authentication, and the oversight use cases (audit verification, access histories)."""

from serment.access.actors import OPERATOR, Actor, Request, operator
from serment.access.guard import Access, NoSuchPerson, authorise, guard, record
from serment.access.platform import ChangeListener, Platform, Refused, RelationshipCheck, changed

__all__ = [
    "OPERATOR",
    "Access",
    "Actor",
    "ChangeListener",
    "NoSuchPerson",
    "Platform",
    "Refused",
    "RelationshipCheck",
    "Request",
    "authorise",
    "changed",
    "guard",
    "operator",
    "record",
]
