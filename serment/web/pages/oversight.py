"""What the data-protection officer's pages and the patient's pages share: how the audit log's codes
read to people (purposes, actions, outcomes, the channels an opposition came through, as English msgids
translated in the templates) and the paging of their lists.

A code without a label is shown as it is stored, so that nothing the log holds is hidden.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from urllib.parse import urlencode

from serment.web.pages.i18n import N_

# Rows per page of every list; one more is asked for, to know whether a next page exists.
PAGE_SIZE = 50

PURPOSE_LABELS = {
    "care": N_("Care"),
    "tracing": N_("Contact tracing"),
    "surveillance": N_("Surveillance"),
    "research": N_("Research"),
    "audit": N_("Audit"),
    "self": N_("The person themself"),
    "administration": N_("Administration"),
}

# What opposing each purpose would stop, in plain words, for the person deciding.
PURPOSE_MEANINGS = {
    "care": N_("Diagnosing, treating and reporting your infection."),
    "tracing": N_("Reaching your contacts, and you as a contact, to advise on testing and quarantine."),
    "surveillance": N_("Following the epidemic through counts, chains and clusters, without names."),
    "research": N_("Studying the disease with data from which your name and numbers have been removed."),
    "audit": N_("Checking who accessed which record."),
    "self": N_("Your own access to your record."),
    "administration": N_("Keeping the platform running."),
}

ACTION_LABELS = {
    "register": N_("Found or registered"),
    "read": N_("Read the identity"),
    "update": N_("Changed the record"),
    "merge": N_("Reviewed duplicates"),
    "report": N_("Reported a case, a result or a contact"),
    "erase": N_("Erased"),
    "list": N_("Listed"),
    "investigate": N_("Investigated a cluster"),
    "export": N_("Exported the record"),
    "history": N_("Read the access history"),
    "oppose": N_("Read or changed oppositions"),
    "audit": N_("Searched or verified the audit log"),
    "manage_users": N_("Managed accounts"),
    "manage_keys": N_("Managed keys"),
    "backup": N_("Backup or restore"),
    "route": N_("Routed a call to a team"),
    "login": N_("Signed in"),
    "login_failed": N_("Failed sign-in"),
    "logout": N_("Signed out"),
    "opposition_registered": N_("Opposition registered"),
    "opposition_withdrawn": N_("Opposition withdrawn"),
    "audit_verified": N_("Audit chain verified"),
}

OUTCOME_LABELS = {
    "allowed": N_("Allowed"),
    "refused": N_("Refused"),
    "ok": N_("Done"),
    "failed": N_("Failed"),
}
# The stylesheet's status classes, by outcome.
OUTCOME_CLASSES = {
    "allowed": "status-ok", "ok": "status-ok", "refused": "status-bad", "failed": "status-warn",
}  # fmt: skip

CHANNEL_LABELS = {
    "web": N_("Web page"),
    "api": N_("Application"),
    "mail": N_("Letter"),
    "phone": N_("Telephone"),
    "in_person": N_("In person"),
}
# The channels through which an opposition reaches the data-protection officer, who registers it.
OFFICER_CHANNELS = ("mail", "phone", "in_person")

# Roles the log holds beyond the policy's (whose labels are the pages' `role_labels`).
ROLE_LABELS = {"service": N_("Platform service"), "unknown": N_("Unknown account")}

LABELS = {
    "roles": ROLE_LABELS,
    "purposes": PURPOSE_LABELS,
    "purpose_meanings": PURPOSE_MEANINGS,
    "actions": ACTION_LABELS,
    "outcomes": OUTCOME_LABELS,
    "outcome_classes": OUTCOME_CLASSES,
    "channels": CHANNEL_LABELS,
}


def page_number(text: str) -> int:
    """The page asked for in a query string: a whole number from 1, else the first page."""
    return int(text) if text.isdigit() and 0 < int(text) < 1_000_000 else 1


def offset_of(page: int) -> int:
    """The offset of the first row of `page`."""
    return (page - 1) * PAGE_SIZE


def link(path: str, **query: str) -> str:
    """`path` with the query parameters that have a value, for pagers and redirects."""
    given = {name: value for name, value in query.items() if value}
    return f"{path}?{urlencode(given)}" if given else path


def options(
    gettext: Callable[[str], str], codes: Iterable[str], labels: Mapping[str, str], blank: str | None = None
) -> list[tuple[str, str]]:
    """The (value, label) options of a select of `codes`, labelled in the reader's language, after a
    first empty option labelled `blank` (a msgid) when given."""
    first = [("", gettext(blank))] if blank is not None else []
    return first + [(code, gettext(labels[code]) if code in labels else code) for code in codes]
