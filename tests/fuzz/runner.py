"""Schemathesis's engine over Serment's own OpenAPI document, one pass per identity (role and
purpose), with the checks the issue asks for; the tally says how many cases ran and what failed."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import schemathesis
from schemathesis.config import SchemathesisConfig
from schemathesis.engine import events, from_schema
from schemathesis.engine.statistic import Statistic

from tests.fuzz import checks
from tests.fuzz.installation import Identity, Seeded

# What an invalid input may be answered with: refused as such (400, 422), or refused before it is
# read because the caller may not use the route (401, 403), the address names nothing (404, 405),
# or it is too large (413) or of a media type the route does not take (415).
REJECTIONS = [400, 401, 403, 404, 405, 409, 410, 413, 415, 422]
# How often a path parameter takes the id of a seeded record rather than a generated one.
SEEDED_SHARE = 0.5


@dataclass(frozen=True)
class Budget:
    """How much to generate: examples per operation and phase, the seed, and a wall-clock limit."""

    examples: int
    seed: int
    seconds: int | None = None
    coverage: bool = True
    deterministic: bool = True


@dataclass
class Tally:
    """Cases run and failures found, per identity."""

    cases: dict[str, int] = field(default_factory=dict)
    failures: dict[str, list[str]] = field(default_factory=dict)
    operations: set[str] = field(default_factory=set)

    @property
    def total_cases(self) -> int:
        """Cases run across every identity."""
        return sum(self.cases.values())

    @property
    def total_failures(self) -> int:
        """Distinct failures across every identity."""
        return sum(len(found) for found in self.failures.values())

    def summary(self) -> str:
        """One line per identity, then every failure in full."""
        lines = [f"{label}: {count} cases, {len(self.failures.get(label, []))} failures"
                 for label, count in self.cases.items()]  # fmt: skip
        lines.append(
            f"total: {self.total_cases} cases over {len(self.operations)} operations and "
            f"{len(self.cases)} identities, {self.total_failures} failures"
        )
        for label, found in self.failures.items():
            lines.extend(f"--- {label}\n{text}" for text in found)
        return "\n".join(lines)


def fuzz(
    base_url: str, document: dict[str, Any], identities: list[Identity], seeded: Seeded, budget: Budget
) -> Tally:
    """Run a pass per identity (within `budget.seconds` overall, if set) and tally the outcome."""
    checks.register()
    tally = Tally()
    deadline = None if budget.seconds is None else time.monotonic() + budget.seconds
    for done, identity in enumerate(identities):
        # An even share of what is left, so that a long budget reaches every identity.
        seconds_left = (
            None
            if deadline is None
            else max(1, int((deadline - time.monotonic()) / (len(identities) - done)))
        )
        config = configuration(base_url, identity, seeded, budget, seconds_left)
        schema = schemathesis.openapi.from_dict(document, config=config)
        statistic = Statistic()
        for event in _events(schema):
            if isinstance(event, events.ScenarioFinished) and event.is_test_scenario:
                statistic.on_scenario_finished(event.recorder)
            elif isinstance(event, events.NonFatalError | events.FatalError):
                tally.failures.setdefault(identity.label, []).append(f"engine error: {event}")
        tally.cases[identity.label] = statistic.total_cases
        tally.operations |= statistic.tested_operations
        for operation, grouped in statistic.failures.items():
            for group in grouped.values():
                text = group.format(index=None, curl=None, config=config.output)
                tally.failures.setdefault(identity.label, []).append(f"{operation}\n{text}")
        if deadline is not None and time.monotonic() >= deadline:
            break
    return tally


def _events(schema: Any) -> Iterator[events.EngineEvent]:
    yield from from_schema(schema).execute()


def configuration(
    base_url: str, identity: Identity, seeded: Seeded, budget: Budget, seconds: int | None
) -> SchemathesisConfig:
    """Schemathesis's configuration of one pass: headers, generation, phases and checks."""
    generation = {
        "mode": "all",
        "max-examples": budget.examples,
        "deterministic": budget.deterministic,
        "database": "none",
    }
    settings: dict[str, Any] = {
        "seed": budget.seed,
        "base-url": base_url,
        "headers": identity.headers(),
        "request-timeout": 60,
        "generation": generation,
        "phases": {
            "examples": {"enabled": True},
            "coverage": {"enabled": budget.coverage},
            "fuzzing": {"enabled": True},
            "stateful": {"enabled": False},
        },
        "checks": {
            # A value the schema allows may still break a rule it cannot state (a NIR's control key,
            # an onset after the report): Serment answers 422, rightly.
            "positive_data_acceptance": {"enabled": False},
            # Starlette's 405 lists the methods of the first route matching the path only, and
            # PATCH /people/duplicates reaches PATCH /people/{ref} (422): open, see docs/fuzzing.md.
            "unsupported_method": {"enabled": False},
            "allow_header_conformance": {"enabled": False},
            "negative_data_rejection": {"expected-statuses": REJECTIONS},
        },
        "dictionaries": {name: {"values": values} for name, values in seeded.ids.items() if values},
        "parameters": {
            f"path.{name}": {"dictionary": name, "probability": SEEDED_SHARE}
            for name, values in seeded.ids.items()
            if values
        },
        "suppress-health-check": ["all"],
    }
    if seconds is not None:
        settings["max-time"] = seconds
    return SchemathesisConfig.from_dict(settings)
