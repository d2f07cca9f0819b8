"""What each API and FHIR route needs from the guard, declared on the route itself.

A route says which action the guard checks (`granted("read")`), or that it is public. The
declaration travels in the route's OpenAPI operation as `x-serment-grant`, so that clients read
it beside the route, the authorization test enumerates the routes from the app and fails on one
without it, and `docs/authorization.md` is rendered from the same declarations and the policy.
The guard in the use cases stays the one that decides; the declaration says what it will ask, and
the matrix test proves the two agree for every role and purpose.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from fastapi import FastAPI

from serment.policy import PURPOSES, ROLES, Policy

EXTENSION = "x-serment-grant"
Reach = Literal["anyone", "own record", "assigned people"]
_REACH_OF_RELATIONSHIP: dict[str, Reach] = {
    "none": "anyone",
    "self": "own record",
    "assigned": "assigned people",
}


@dataclass(frozen=True)
class RouteGrant:
    """What the guard asks before a route acts: its action and any other it needs, whether it acts
    on one person (so the purpose's relationship narrows whom it reaches), and whether it serves only
    a purpose that reaches the people assigned to the caller (a tracer's own tasks)."""

    action: str | None
    requires: tuple[str, ...] = ()
    on_person: bool = True
    assigned_only: bool = False

    @property
    def public(self) -> bool:
        """Whether the route needs no token at all."""
        return self.action is None

    @property
    def actions(self) -> tuple[str, ...]:
        """Every action the guard checks for the route."""
        return () if self.action is None else (self.action, *self.requires)

    def reach(self, policy: Policy, role: str, purpose: str) -> Reach | None:
        """Whom `role` reaches through this route for `purpose` under `policy`, or None if refused."""
        if self.public:
            return "anyone"
        if purpose not in policy.purposes or not all(
            policy.allows(role, purpose, action) for action in self.actions
        ):
            return None
        reach = _REACH_OF_RELATIONSHIP[policy.relationship(purpose)]
        if self.assigned_only and reach != "assigned people":
            return None
        if self.on_person and reach == "assigned people":
            # A person's record is never reached through an assignment, only a task is.
            return None
        return reach if self.on_person or self.assigned_only else "anyone"


def granted(
    action: str, *, requires: tuple[str, ...] = (), on_person: bool = True, assigned_only: bool = False
) -> dict[str, Any]:
    """The `openapi_extra` of a route whose use case the guard checks for `action`."""
    return {
        EXTENSION: {
            "action": action,
            "requires": list(requires),
            "on_person": on_person,
            "assigned_only": assigned_only,
        }
    }


PUBLIC: dict[str, Any] = {EXTENSION: {"public": True}}


def route_grants(app: FastAPI) -> dict[tuple[str, str], RouteGrant | None]:
    """Every route of the app's OpenAPI document with its declared grant (None when undeclared)."""
    found: dict[tuple[str, str], RouteGrant | None] = {}
    for path, operations in app.openapi()["paths"].items():
        for method, operation in operations.items():
            declared = operation.get(EXTENSION)
            found[(method.upper(), path)] = (
                None
                if declared is None
                else RouteGrant(
                    action=None if declared.get("public") else declared["action"],
                    requires=tuple(declared.get("requires", ())),
                    on_person=bool(declared.get("on_person", True)),
                    assigned_only=bool(declared.get("assigned_only", False)),
                )
            )
    return found


def authorization_table(grants: dict[tuple[str, str], RouteGrant | None], policy: Policy) -> str:
    """A Markdown table of the routes under `policy`: for each role, the purposes under which the
    guard lets it through, and whom it then reaches when that is not anyone."""
    lines = [
        "| Route | Actions | " + " | ".join(ROLES) + " |",
        "| --- | --- | " + " | ".join("---" for _ in ROLES) + " |",
    ]
    for (method, path), grant in sorted(grants.items(), key=lambda item: (item[0][1], item[0][0])):
        if grant is None:
            raise ValueError(f"{method} {path} declares no grant: add openapi_extra=granted(...) or PUBLIC")
        cells = ["public" for _ in ROLES] if grant.public else [_cell(grant, policy, role) for role in ROLES]
        actions = ", ".join(grant.actions) or "—"
        lines.append(f"| `{method} {_escaped(path)}` | {actions} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def _cell(grant: RouteGrant, policy: Policy, role: str) -> str:
    allowed = []
    for purpose in PURPOSES:
        reach = grant.reach(policy, role, purpose)
        if reach is None:
            continue
        allowed.append(purpose if reach == "anyone" else f"{purpose} ({reach})")
    return ", ".join(allowed) or "—"


def _escaped(path: str) -> str:
    # `$everything` and `{ref}` read as they are; only the table's own separator needs escaping.
    return path.replace("|", "\\|")
