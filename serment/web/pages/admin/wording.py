"""What the administrator's pages call things, and the services' refusals said in the reader's
language, each placed at the form field it is about."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from serment.web.pages.i18n import N_

OPERATION_LABELS = {
    "key_rotation": N_("Key rotation"),
    "purge": N_("Purge"),
    "backup": N_("Backup"),
    "restore": N_("Restore"),
}
STORE_LABELS = {
    "file": N_("Key files in the data directory, apart from the database"),
    "memory": N_("In memory (tests only: nothing survives a restart)"),
}
CATEGORY_LABELS = {
    "identity": N_("Identities"),
    "results": N_("Results"),
    "cases": N_("Cases"),
    "contacts": N_("Contacts"),
    "tracing_tasks": N_("Tracing tasks"),
    "surveillance": N_("Surveillance"),
    "audit": N_("Audit log"),
}


@dataclass(frozen=True)
class Said:
    """A service's message in the reader's language, and the field it is about ("" for the form)."""

    field: str
    text: str


# The services' messages: (pattern, field, msgid); named groups fill the blanks.
WORDING: tuple[tuple[re.Pattern[str], str, str], ...] = tuple(
    (re.compile(pattern), field, msgid)
    for pattern, field, msgid in (
        (r"^the account name .* must be", "name",
         N_("An account name is 2 to 64 lower-case letters, digits, dots, hyphens or underscores, "
            "starting with a letter or a digit.")),
        (r"^an account named (?P<name>.+) already exists$", "name",
         N_("An account named %(name)s already exists.")),
        (r"is not a role", "role", N_("Choose a role.")),
        (r"^a password has at least (?P<count>\d+) characters", "password",
         N_("A password has at least %(count)s characters.")),
        (r"^no (enabled )?account is named (?P<name>.+)$", "account", N_("No account is named %(name)s.")),
        (r"^a token lives 1 to (?P<most>\d+) days", "days", N_("A token lives 1 to %(most)s days.")),
        (r"^you cannot disable your own account", "",
         N_("You cannot disable your own account: ask another administrator.")),
        (r"^the account (?P<name>.+) is disabled already$", "",
         N_("The account %(name)s is disabled already.")),
        (r"^the account (?P<name>.+) is not disabled$", "", N_("The account %(name)s is not disabled.")),
        (r"^the account (?P<name>.+) is not locked$", "", N_("The account %(name)s is not locked.")),
        (r"^no API token has the id (?P<token>.+)$", "", N_("No API token has the id %(token)s.")),
        (r"^the API token (?P<token>.+) is revoked already$", "",
         N_("The API token %(token)s is revoked already.")),
        (r"SERMENT_BACKUP_PASSPHRASE", "",
         N_("Backups are encrypted with a passphrase: set SERMENT_BACKUP_PASSPHRASE and restart Serment.")),
    )
)  # fmt: skip


def explain(message: str, gettext: Callable[[str], str]) -> Said:
    """`message` (a service's) in the reader's language with its field, when known; else as written."""
    for pattern, field, msgid in WORDING:
        found = pattern.search(message)
        if found is not None:
            values = {name: value for name, value in found.groupdict().items() if value is not None}
            return Said(field, gettext(msgid) % values if values else gettext(msgid))
    return Said("", message)
