"""The guard: the one gate every read or write of personal data passes.

It checks that the purpose is allowed at all, that the actor's role is granted the action for
that purpose, that the actor has the relationship the purpose requires with the person, that
the person has not opposed the purpose and that their identity is within retention, and it
appends an audit event. The vault's functions take the `Access` it returns; nothing else makes
one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from http import HTTPStatus

from sqlalchemy import select
from sqlalchemy.orm import Session

from serment.access.actors import Request
from serment.access.platform import ALLOWED_ACCESSES, Platform, Refused
from serment.audit import defer
from serment.policy import PROHIBITED_PURPOSES, PURPOSES, is_prohibited
from serment.store.tables import OppositionRow, PersonRow

_MINT = object()
# Where the stated purpose comes from, for problems that name the field at fault.
PURPOSE_FIELD = "header.Serment-Purpose"


class NoSuchPerson(Exception):
    """The ref names nobody (or nobody any more)."""

    def __init__(self, ref: str) -> None:
        super().__init__(f"no person has the ref {ref}")
        self.ref = ref


@dataclass(frozen=True)
class Access:
    """Proof that the guard allowed `action` on `subject` for `purpose`, and audited it."""

    request: Request
    purpose: str
    action: str
    subject: str | None
    _mint: object = field(repr=False, compare=False)

    def __post_init__(self) -> None:
        if self._mint is not _MINT:
            raise TypeError("only the guard grants access")


def guard(platform: Platform, session: Session, request: Request, action: str, subject: str | None) -> Access:
    """Allow `request` to perform `action` on the person `subject` (None: no person yet), or raise.

    Raises Refused (audited by the transaction that catches it) or NoSuchPerson. An allowed
    access is audited in the caller's transaction.
    """
    access = authorise(platform, session, request, action, subject)
    record(platform, session, access, subject)
    return access


def authorise(
    platform: Platform, session: Session, request: Request, action: str, subject: str | None
) -> Access:
    """Every check of `guard` without the audit event: for use cases that learn the subject later
    (registering a person) and then call `record` with it."""
    actor = request.actor
    purpose = _purpose(platform, request, action, subject)

    def refuse(reason: str, status: int = HTTPStatus.FORBIDDEN) -> Refused:
        entry = actor.entry(
            action, "refused", purpose=purpose, subject=subject, reason=reason, request_id=request.request_id
        )
        return Refused(reason, entry, status)

    policy = platform.policy
    if not policy.allows(actor.role, purpose, action):
        raise refuse(f"the role {actor.role} may not {action} for the purpose {purpose}")
    if subject is None:
        return Access(request, purpose, action, None, _MINT)
    person = session.get(PersonRow, subject)
    if person is None or person.erased_at is not None:
        raise refuse(f"no person has the ref {subject}", HTTPStatus.NOT_FOUND)
    relationship = policy.relationship(purpose)
    if relationship == "self" and actor.person_ref != subject:
        raise refuse(f"the purpose {purpose} reaches only the actor's own record")
    if relationship == "assigned":
        check = platform.relationships.get("assigned")
        if check is None or not check(session, actor, subject):
            raise refuse(f"this person is not assigned to {actor.name}")
    if _has_opposed(session, subject, purpose):
        raise refuse(f"the person has opposed the use of their data for {purpose}")
    if person.expired_at is not None:
        raise refuse("the person's identity has expired under the retention policy", HTTPStatus.GONE)
    return Access(request, purpose, action, subject, _MINT)


def record(platform: Platform, session: Session, access: Access, subject: str | None) -> None:
    """Append the audit event of an allowed access, naming `subject`."""
    request = access.request
    entry = request.actor.entry(
        access.action, "allowed", purpose=access.purpose, subject=subject, request_id=request.request_id
    )
    defer(session, entry, platform.clock.now())
    session.info.setdefault(ALLOWED_ACCESSES, []).append(entry)


def _purpose(platform: Platform, request: Request, action: str, subject: str | None) -> str:
    actor = request.actor
    stated = request.purpose

    def refuse(reason: str, status: int = HTTPStatus.BAD_REQUEST) -> Refused:
        entry = actor.entry(
            action, "refused", purpose=stated, subject=subject, reason=reason, request_id=request.request_id
        )
        return Refused(reason, entry, status, field=PURPOSE_FIELD)

    if stated is None:
        granted = platform.policy.purposes_of(actor.role)
        if not granted:
            raise refuse(f"the role {actor.role} is granted no purpose by the policy", HTTPStatus.FORBIDDEN)
        if len(granted) > 1:
            raise refuse(
                f"the role {actor.role} acts for several purposes ({', '.join(granted)}); "
                "name one in the Serment-Purpose header"
            )
        return granted[0]
    if is_prohibited(stated):
        raise refuse(
            f"the purpose {stated} is prohibited: Serment serves none of "
            f"{', '.join(sorted(PROHIBITED_PURPOSES))}",
            HTTPStatus.FORBIDDEN,
        )
    if stated not in PURPOSES:
        raise refuse(f"{stated} is not a purpose; the purposes are {', '.join(PURPOSES)}")
    return stated


def _has_opposed(session: Session, subject: str, purpose: str) -> bool:
    return (
        session.scalars(
            select(OppositionRow.id).where(
                OppositionRow.person_ref == subject,
                OppositionRow.purpose == purpose,
                OppositionRow.withdrawn_at.is_(None),
            )
        ).first()
        is not None
    )
