"""Audit: the hash-chained log of every guarded access and security event, its verification,
export and search, the purge of its oldest part, and a person's access history.

Callers record an `AuditEntry` with `append` inside the transaction of the action it audits, at a
time taken from the injected clock. `verify` names the first changed, deleted or reordered event;
deleting the newest events is only visible against a head exported elsewhere with `export`.
"""

from serment.audit.chain import (
    GENESIS,
    Verification,
    append,
    defer,
    export,
    purge_before,
    verify,
    write_deferred,
)
from serment.audit.events import AuditEntry, AuditEvent, Outcome, event_hash
from serment.audit.history import AccessRecord, history
from serment.audit.search import AuditQuery, LoggedEvent, newest, search

__all__ = [
    "GENESIS",
    "AccessRecord",
    "AuditEntry",
    "AuditEvent",
    "AuditQuery",
    "LoggedEvent",
    "Outcome",
    "Verification",
    "append",
    "defer",
    "event_hash",
    "export",
    "history",
    "newest",
    "purge_before",
    "search",
    "verify",
    "write_deferred",
]
