"""Actors: who is asking, in which role and organisation, and on whose behalf."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from serment.audit import AuditEntry, Outcome

# The actor of commands typed at the server's terminal by its operator.
OPERATOR = "operator"


@dataclass(frozen=True)
class Actor:
    """An authenticated account: its name, role, organisation, and its person for a patient."""

    name: str
    role: str
    organisation: str | None = None
    user_id: int | None = None
    person_ref: str | None = None

    def entry(
        self,
        action: str,
        outcome: Outcome,
        *,
        purpose: str | None = None,
        subject: str | None = None,
        reason: str | None = None,
        request_id: str | None = None,
        detail: Mapping[str, str | int | bool | None] | None = None,
    ) -> AuditEntry:
        """An audit entry for something this actor did."""
        return AuditEntry(
            actor=self.name,
            role=self.role,
            organisation=self.organisation,
            purpose=purpose,
            action=action,
            subject=subject,
            outcome=outcome,
            reason=reason,
            request_id=request_id,
            detail=detail,
        )


@dataclass(frozen=True)
class Request:
    """One request for personal data: who asks, for which stated purpose, under which request id."""

    actor: Actor
    purpose: str | None = None
    request_id: str | None = None


def operator(role: str = "admin", purpose: str = "administration", request_id: str | None = None) -> Request:
    """A request made by the operator at the server's terminal (CLI): as administrator by default,
    or in the data-protection officer's role (`role="dpo", purpose="audit"`) for the audit log."""
    return Request(Actor(name=OPERATOR, role=role), purpose=purpose, request_id=request_id)
