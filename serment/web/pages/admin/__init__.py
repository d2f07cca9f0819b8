"""The administrator's pages (purpose administration): accounts, API tokens, keys and backups, and
nothing medical: no person's identity, record or reference appears on any of them."""

from __future__ import annotations

from serment.web.pages import nav
from serment.web.pages.admin import accounts, operations
from serment.web.pages.i18n import N_
from serment.web.pages.viewer import Pages

router = Pages()
router.include_router(accounts.router)
router.include_router(operations.router)
nav.declare(
    nav.NavItem(accounts.USERS, N_("Accounts"), accounts.PURPOSE, "manage_users", order=90),
    nav.NavItem(accounts.TOKENS, N_("API tokens"), accounts.PURPOSE, "manage_users", order=91),
    nav.NavItem(operations.KEYS, N_("Keys"), operations.PURPOSE, "manage_keys", order=92),
    nav.NavItem(operations.BACKUPS, N_("Backups"), operations.PURPOSE, "backup", order=93),
)
