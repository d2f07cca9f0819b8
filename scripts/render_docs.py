"""Rewrite the parts of docs/ that are rendered from code (`make docs`); a test keeps them true."""

from __future__ import annotations

import sys
from pathlib import Path

from fastapi import FastAPI

from serment.policy import PROHIBITED_PURPOSES, PURPOSES, ROLES, load_policy, preset_names, render_markdown
from serment.settings import reference_table
from serment.web.app import include_routes
from serment.web.grants import authorization_table, route_grants
from serment.web.pages.listing import pages_table
from serment.web.pages.viewer import PAGE_GRANTS

ROOT = Path(__file__).resolve().parent.parent
BEGIN = "<!-- BEGIN settings: rendered from serment/settings.py by `make docs` -->\n"
END = "<!-- END settings -->\n"


def rendered_configuration(current: str) -> str:
    """docs/configuration.md with its settings table rendered afresh from `Settings`."""
    head, _, rest = current.partition(BEGIN)
    _, _, tail = rest.partition(END)
    return f"{head}{BEGIN}{reference_table()}{END}{tail}"


def rendered_policies() -> str:
    """docs/policy.md: every preset, rendered from its TOML file."""
    parts = [
        "# Policies\n\n",
        "Rendered from `serment/policy/presets/*.toml` by `make docs`; do not edit by hand. A policy is\n",
        "chosen with `SERMENT_POLICY` (a preset name or a TOML file of the same shape), checked with\n",
        "`serment policy check FILE` and shown with `serment policy show`.\n\n",
    ]
    for name in preset_names():
        # One level down: each preset is a section of this page.
        rendered = render_markdown(load_policy(name))
        parts.append(
            "\n".join(f"#{line}" if line.startswith("#") else line for line in rendered.splitlines())
        )
        parts.append("\n")
    return "".join(parts).rstrip("\n") + "\n"


def rendered_authorization() -> str:
    """docs/authorization.md: for each preset, every route and page of the app with what each role may
    do there and under which purposes, from the routes' and pages' own declarations."""
    app = FastAPI()
    include_routes(app)
    grants = route_grants(app)
    guarded = sum(1 for grant in grants.values() if grant is not None and not grant.public)
    stated = len(PURPOSES) + len(PROHIBITED_PURPOSES) + 2
    parts = [
        AUTHORIZATION_HEAD.format(
            routes=len(grants), guarded=guarded, roles=len(ROLES), stated=stated,
            calls=guarded * len(ROLES) * stated, pages=len(PAGE_GRANTS),
        )
    ]  # fmt: skip
    for name in preset_names():
        policy = load_policy(name)
        parts.append(f"\n## Preset `{name}`\n\n### API and FHIR\n\n")
        parts.append(authorization_table(grants, policy))
        parts.append("\n### Pages\n\n")
        parts.append(pages_table(policy))
    return "".join(parts)


AUTHORIZATION_HEAD = """# Authorization

Rendered by `make docs` from the routes' and pages' own declarations and from each preset policy;
do not edit by hand (a test fails when this page is out of date).

Every API and FHIR route declares, in its OpenAPI operation (`x-serment-grant`), the action the
guard checks for it, the other actions it needs (a report also registers its people), and whether
it acts on one person; every page declares its purpose and action (`Pages.page`). A cell names the
purposes under which the role gets through, and whom it then reaches when that is not anyone:
*own record* for a purpose whose relationship is `self` (a patient), *assigned people* for one whose
relationship is `assigned` (a tracer's own tasks). A dash means the guard refuses the role (403).
A caller states the purpose in the `Serment-Purpose` header; a role with a single purpose may leave
it out. Prohibited purposes (employment, insurance, marketing...) are refused for every role.

How this is proved, by tests anyone can rerun (`make test`):

- `tests/security/test_every_route_role_and_purpose.py` enumerates the {routes} routes of the
  application from its OpenAPI document, fails on a route without a declaration, and calls each of
  the {guarded} guarded ones as each of the {roles} roles with each of {stated} stated purposes (none,
  every purpose of the vocabulary, every prohibited one, an unknown one): {calls} calls, each checked
  against the policy and each leaving an audit event.
- `tests/security/test_every_page_role.py` enumerates the {pages} pages from the app, fails on a
  page declared without its grant, opens each as each role, checks that every form refuses a post
  without its CSRF token, and that no page opens without a session.

The tables below are for the presets shipped with Serment; an operator's own policy file gets the
same guard, and `serment policy show` prints its grants.
"""


def main() -> int:
    path = ROOT / "docs" / "configuration.md"
    path.write_text(rendered_configuration(path.read_text(encoding="utf-8")), encoding="utf-8")
    print(f"rendered {path.relative_to(ROOT)}")
    policies = ROOT / "docs" / "policy.md"
    policies.write_text(rendered_policies(), encoding="utf-8")
    print(f"rendered {policies.relative_to(ROOT)}")
    authorization = ROOT / "docs" / "authorization.md"
    authorization.write_text(rendered_authorization(), encoding="utf-8")
    print(f"rendered {authorization.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
