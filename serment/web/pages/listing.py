"""The pages and who may open them, as a table for docs/authorization.md (rendered by `make docs`)."""

from __future__ import annotations

from serment.policy import ROLES, Policy
from serment.web.pages import PARTS
from serment.web.pages.viewer import PAGE_GRANTS


def pages_table(policy: Policy) -> str:
    """A Markdown table of every page under `policy`: its method and path, the purpose and action its
    grant needs, and for each role whether it may open it (the page's purpose), or not (—)."""
    if not PARTS:
        raise RuntimeError("no part of the interface is registered: the table would be empty")
    lines = [
        "| Page | Action | " + " | ".join(ROLES) + " |",
        "| --- | --- | " + " | ".join("---" for _ in ROLES) + " |",
    ]
    for (method, path), grant in sorted(PAGE_GRANTS.items(), key=lambda item: (item[0][1], item[0][0])):
        if grant.public:
            cells = ["anyone" for _ in ROLES]
        elif grant.purpose is None or grant.action is None:
            cells = ["signed in" for _ in ROLES]
        else:
            purpose, action = grant.purpose, grant.action
            cells = [purpose if policy.allows(role, purpose, action) else "—" for role in ROLES]
        lines.append(f"| `{method} {path}` | {grant.action or '—'} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"
