"""The pages and who may open them, as a table for docs/pages.md (rendered by `make docs`)."""

from __future__ import annotations

from serment.policy import ROLES, Policy
from serment.web.pages import PARTS
from serment.web.pages.viewer import PAGE_GRANTS


def pages_table(policies: dict[str, Policy]) -> str:
    """A Markdown table of every page: its method and path, the grant it needs, and, for each
    policy, the roles that may open it."""
    if not PARTS:
        raise RuntimeError("no part of the interface is registered: the table would be empty")
    names = list(policies)
    lines = [
        "| Page | Purpose | Action | " + " | ".join(f"Roles ({name})" for name in names) + " |",
        "| --- | --- | --- | " + " | ".join("---" for _ in names) + " |",
    ]
    for (method, path), grant in sorted(PAGE_GRANTS.items(), key=lambda item: (item[0][1], item[0][0])):
        if grant.public:
            roles = ["anyone" for _ in names]
        elif grant.purpose is None or grant.action is None:
            roles = ["any signed-in account" for _ in names]
        else:
            roles = [
                ", ".join(role for role in ROLES if policy.allows(role, grant.purpose, grant.action))
                or "none"
                for policy in policies.values()
            ]
        lines.append(
            f"| `{method} {path}` | {grant.purpose or '—'} | {grant.action or '—'} | "
            + " | ".join(roles)
            + " |"
        )
    return "\n".join(lines) + "\n"
