"""Rewrite the parts of docs/ that are rendered from code (`make docs`); a test keeps them true."""

from __future__ import annotations

import sys
from pathlib import Path

from serment.settings import reference_table

ROOT = Path(__file__).resolve().parent.parent
BEGIN = "<!-- BEGIN settings: rendered from serment/settings.py by `make docs` -->\n"
END = "<!-- END settings -->\n"


def rendered_configuration(current: str) -> str:
    """docs/configuration.md with its settings table rendered afresh from `Settings`."""
    head, _, rest = current.partition(BEGIN)
    _, _, tail = rest.partition(END)
    return f"{head}{BEGIN}{reference_table()}{END}{tail}"


def main() -> int:
    path = ROOT / "docs" / "configuration.md"
    path.write_text(rendered_configuration(path.read_text(encoding="utf-8")), encoding="utf-8")
    print(f"rendered {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
