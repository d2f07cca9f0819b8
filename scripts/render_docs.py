"""Rewrite the parts of docs/ that are rendered from code (`make docs`); a test keeps them true."""

from __future__ import annotations

import sys
from pathlib import Path

from serment.policy import load_policy, preset_names, render_markdown
from serment.settings import reference_table
from serment.web.pages.listing import pages_table

ROOT = Path(__file__).resolve().parent.parent
BEGIN = "<!-- BEGIN settings: rendered from serment/settings.py by `make docs` -->\n"
END = "<!-- END settings -->\n"
PAGES_BEGIN = "<!-- BEGIN pages: rendered from the pages' declarations by `make docs` -->\n"
PAGES_END = "<!-- END pages -->\n"


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


def rendered_pages(current: str) -> str:
    """docs/pages.md with its table of pages and roles rendered afresh from the pages' grants."""
    head, _, rest = current.partition(PAGES_BEGIN)
    _, _, tail = rest.partition(PAGES_END)
    table = pages_table({name: load_policy(name) for name in preset_names()})
    return f"{head}{PAGES_BEGIN}{table}{PAGES_END}{tail}"


def main() -> int:
    path = ROOT / "docs" / "configuration.md"
    path.write_text(rendered_configuration(path.read_text(encoding="utf-8")), encoding="utf-8")
    print(f"rendered {path.relative_to(ROOT)}")
    policies = ROOT / "docs" / "policy.md"
    policies.write_text(rendered_policies(), encoding="utf-8")
    print(f"rendered {policies.relative_to(ROOT)}")
    pages = ROOT / "docs" / "pages.md"
    pages.write_text(rendered_pages(pages.read_text(encoding="utf-8")), encoding="utf-8")
    print(f"rendered {pages.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
