"""A contact graph held in memory, for tests and benchmarks: the same questions the store answers
for `update_tiers`, over plain data."""

from __future__ import annotations

from collections.abc import Collection, Hashable, Iterable, Mapping
from datetime import date, timedelta
from typing import Generic, TypeVar

from serment.tracing.tiers import Contact, Facts, Standing

P = TypeVar("P", bound=Hashable)


class MemoryGraph(Generic[P]):
    """Exposures, cases (the date each became relevant), negative tests and stored standings."""

    def __init__(self) -> None:
        self.contacts: list[Contact[P]] = []
        self.by_person: dict[P, list[int]] = {}
        # person -> (start date, closed on) of their confirmed case
        self.cases: dict[P, tuple[date, date | None]] = {}
        self.negatives: dict[P, list[date]] = {}
        self.standings: dict[P, Standing] = {}

    def add_contact(self, contact: Contact[P]) -> None:
        """Record an exposure."""
        index = len(self.contacts)
        self.contacts.append(contact)
        self.by_person.setdefault(contact.a, []).append(index)
        if contact.b != contact.a:
            self.by_person.setdefault(contact.b, []).append(index)

    def facts_at(self, at: date, people: Iterable[P] | None = None) -> Facts[P]:
        """The facts of `people` (everyone when None) at `at`."""
        chosen = self.cases.keys() | self.negatives.keys() if people is None else people
        cases: dict[P, date] = {}
        negatives: dict[P, date] = {}
        for person in chosen:
            case = self.cases.get(person)
            if case is not None and case[0] <= at and (case[1] is None or case[1] > at):
                cases[person] = case[0]
            days = [day for day in self.negatives.get(person, ()) if day <= at]
            if days:
                negatives[person] = max(days)
        return Facts(cases, negatives)

    def contacts_of(self, people: Collection[P], at: date, lookback_days: int) -> Iterable[Contact[P]]:
        """Exposures touching `people` that reach into the lookback (see `Graph`)."""
        first = at - timedelta(days=lookback_days)
        seen: set[int] = set()
        for person in people:
            for index in self.by_person.get(person, ()):
                if index in seen:
                    continue
                seen.add(index)
                contact = self.contacts[index]
                if contact.date_from <= at and contact.date_to >= first:
                    yield contact

    def facts_of(self, people: Collection[P], at: date) -> Facts[P]:
        """The facts of `people` at `at`."""
        return self.facts_at(at, people)

    def standings_of(self, people: Collection[P]) -> Mapping[P, Standing]:
        """The stored standings of those of `people` who have one."""
        return {person: self.standings[person] for person in people if person in self.standings}
