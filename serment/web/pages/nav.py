"""The navigation: each part of the interface declares its entries with the grant they need, and a
reader sees only the entries their role may open."""

from __future__ import annotations

from dataclasses import dataclass

from serment.policy import Policy


@dataclass(frozen=True)
class NavItem:
    """An entry of the navigation: where it goes, its label (an English msgid), and its grant."""

    path: str
    label: str
    purpose: str
    action: str
    # Entries are shown by order, then by declaration.
    order: int = 50


NAV_ITEMS: list[NavItem] = []


def declare(*items: NavItem) -> None:
    """Add `items` to the navigation (each part of the interface calls this once, at import)."""
    for item in items:
        if item not in NAV_ITEMS:
            NAV_ITEMS.append(item)


def visible_items(policy: Policy, role: str) -> list[NavItem]:
    """The entries `role` may open under `policy`, in order."""
    allowed = [item for item in NAV_ITEMS if policy.allows(role, item.purpose, item.action)]
    return sorted(allowed, key=lambda item: item.order)


def home_of(policy: Policy, role: str) -> str | None:
    """Where `role` lands after signing in: its first entry, if any."""
    items = visible_items(policy, role)
    return items[0].path if items else None
