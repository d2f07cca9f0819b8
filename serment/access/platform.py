"""What every use case is given: the database, the clock, the policy and the keys.

Built once by the installation (the composition root) and passed down; nothing here reads the
environment.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import TypeVar

from sqlalchemy.orm import Session

from serment.access.actors import Actor
from serment.audit import AuditEntry, append, write_deferred
from serment.clock import Clock
from serment.policy import Policy
from serment.secrecy import KeyStore, Pseudonymiser
from serment.store import Database

T = TypeVar("T")
# Answers whether `actor` has the relationship a purpose requires with the person `subject`
# (for "assigned": a tracer and the people assigned to them). Tracing registers its check.
RelationshipCheck = Callable[[Session, Actor, str], bool]
# Told, inside the transaction of a use case, which people's cases, results or exposures it changed,
# so that what follows from them (tiers, quarantine plans, tracer tasks) changes in the same
# transaction. Tracing registers its update; services below it cannot import it.
ChangeListener = Callable[["Platform", Session, frozenset[str]], None]


class Refused(Exception):
    """The guard said no. `status` is the HTTP status to answer, `reason` the sentence to show."""

    def __init__(self, reason: str, entry: AuditEntry, status: int = 403, field: str | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.entry = entry
        self.status = status
        # The part of the request at fault, when there is one (the stated purpose).
        self.field = field


@dataclass(frozen=True)
class Platform:
    """The services every use case needs, for one installation."""

    database: Database
    clock: Clock
    policy: Policy
    keys: KeyStore
    relationships: Mapping[str, RelationshipCheck] = field(default_factory=dict)
    listeners: tuple[ChangeListener, ...] = ()

    @cached_property
    def pseudonymiser(self) -> Pseudonymiser:
        """HMAC pseudonyms in every domain, from the key store's root secret (derived once)."""
        return Pseudonymiser(self.keys.pseudonym_secret())

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """One use case's transaction: commits at the end, or rolls back on any error.

        What the audit must keep survives the rollback: a refusal's event, and the accesses the
        guard allowed before the use case failed (recorded again with outcome "failed" and the
        error's kind, never its message), each in a transaction of its own.
        """
        allowed: list[AuditEntry] = []
        try:
            with self.database.write() as session:
                session.info[ALLOWED_ACCESSES] = allowed
                yield session
                self._tell_listeners(session)
                write_deferred(session)
        except Refused as refusal:
            self._keep([*(_failed(entry, "Refused") for entry in allowed), refusal.entry])
            raise
        except Exception as error:
            self._keep([_failed(entry, type(error).__name__) for entry in allowed])
            raise

    def _keep(self, entries: list[AuditEntry]) -> None:
        if not entries:
            return
        with self.database.write() as session:
            for entry in entries:
                append(session, entry, self.clock.now())

    def _tell_listeners(self, session: Session) -> None:
        refs = frozenset(session.info.pop(CHANGED_PEOPLE, ()))
        if refs:
            for listener in self.listeners:
                listener(self, session, refs)

    def run(self, use_case: Callable[[Session], T]) -> T:
        """Run `use_case` in one transaction (see `transaction`)."""
        with self.transaction() as session:
            return use_case(session)


# Where the guard notes, on the session, the accesses it allowed in this transaction.
ALLOWED_ACCESSES = "serment.allowed_accesses"
# Where use cases note, on the session, the people whose cases, results or exposures they changed.
CHANGED_PEOPLE = "serment.changed_people"


def _failed(entry: AuditEntry, kind: str) -> AuditEntry:
    return replace(entry, outcome="failed", reason=f"allowed, then the use case failed ({kind})")


def changed(session: Session, people: Iterable[str]) -> None:
    """Note that the cases, results or exposures of `people` changed in `session`'s transaction: the
    platform's listeners hear of them all at once before it commits, and an error of theirs fails it."""
    session.info.setdefault(CHANGED_PEOPLE, set()).update(people)
