"""A data directory worth fuzzing: an account and token per role, a tracing team, and a few people,
reports with contacts and lab results, so that routes taking ids answer about real records."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import httpx

from serment.access import operator
from serment.access.accounts import add_user, create_token, link_patient
from serment.installation import open_installation
from serment.policy import ROLES
from serment.settings import Settings
from serment.tracing.teams import add_team
from tests.people_data import Synthetic, people

TEAM = "Brigade Fuzz"
TOKEN_DAYS = 30


@dataclass(frozen=True)
class Identity:
    """Who a fuzzing pass signs in as: a role's token, and the purpose stated (None: the default)."""

    role: str
    purpose: str | None
    token: str

    @property
    def label(self) -> str:
        """`role` or `role/purpose`, for reports."""
        return self.role if self.purpose is None else f"{self.role}/{self.purpose}"

    def headers(self) -> dict[str, str]:
        """The headers every request of this pass carries."""
        headers = {"Authorization": f"Bearer {self.token}"}
        if self.purpose is not None:
            headers["Serment-Purpose"] = self.purpose
        return headers


@dataclass
class Seeded:
    """Ids of records the seed created, by the path parameter that takes them."""

    ids: dict[str, list[str]] = field(default_factory=dict)

    def add(self, parameter: str, *values: object) -> None:
        """Remember `values` for the path parameter `parameter`, each once."""
        known = self.ids.setdefault(parameter, [])
        known.extend(str(value) for value in values if str(value) not in known)


def create_accounts(data_dir: Path, database_url: str | None) -> dict[str, str]:
    """An account of each role (tracers in the fuzz team) and its API token, by role.

    Done through the same functions `serment user add` and `serment token create` call, in this
    process: ten console-script runs would cost most of the bounded run's budget.
    """
    installation = open_installation(Settings(data_dir=data_dir, database_url=database_url))
    try:
        platform = installation.platform
        add_team(platform, operator(), TEAM, ["*"])
        tokens = {}
        for role in ROLES:
            organisation = TEAM if role == "tracer" else f"{role.title()} Org"
            add_user(platform, operator(), name=f"fuzz-{role}", role=role, organisation=organisation)
            tokens[role] = create_token(platform, operator(), name=f"fuzz-{role}", days=TOKEN_DAYS).token
        return tokens
    finally:
        installation.close()


def identities(data_dir: Path, database_url: str | None, tokens: dict[str, str]) -> list[Identity]:
    """Each role without a purpose header (its default), then with each purpose the policy grants it."""
    installation = open_installation(Settings(data_dir=data_dir, database_url=database_url))
    try:
        policy = installation.platform.policy
    finally:
        installation.close()
    chosen = []
    for role in ROLES:
        chosen.append(Identity(role, None, tokens[role]))
        chosen.extend(Identity(role, purpose, tokens[role]) for purpose in policy.purposes_of(role))
    return chosen


def link_the_patient(data_dir: Path, database_url: str | None, person_ref: str) -> None:
    """Link the patient account to a seeded person, as `serment user link` does."""
    installation = open_installation(Settings(data_dir=data_dir, database_url=database_url))
    try:
        link_patient(installation.platform, operator(), name="fuzz-patient", person_ref=person_ref)
    finally:
        installation.close()


def seed(base_url: str, tokens: dict[str, str], today: date) -> Seeded:
    """Reports with contacts, lab results and lone registrations over HTTP; then the ids the
    tracer's queue, the chains, the clusters and the duplicates queue list."""
    seeded = Seeded()
    crowd = people(12, seed=7)
    with httpx.Client(base_url=f"{base_url}/api/v1", timeout=60) as http:
        clinician = {"Authorization": f"Bearer {tokens['clinician']}"}
        for index, contacts in ((0, crowd[1:4]), (4, crowd[5:7]), (1, crowd[7:8])):
            receipt = _post(http, "/reports", _report(crowd[index], contacts, today), clinician)
            seeded.add("ref", receipt["person"], *receipt["contacts"])
        lab = {"Authorization": f"Bearer {tokens['lab']}"}
        for person in crowd[8:10]:
            filed = _post(http, "/results", _result(person, today), lab)
            seeded.add("ref", *(item["person"] for item in filed))
        for person in crowd[10:]:
            seeded.add("ref", _post(http, "/people", person.payload(), clinician)["ref"])
        # A near twin of a seeded person, so that the duplicates queue has a pair.
        twin = {**crowd[11].payload(with_nir=False), "given_names": crowd[11].given_names + "e"}
        seeded.add("ref", _post(http, "/people", twin, clinician)["ref"])
        _collect_listed(http, tokens, seeded, today)
    return seeded


def _collect_listed(http: httpx.Client, tokens: dict[str, str], seeded: Seeded, today: date) -> None:
    def listed(role: str, path: str, params: dict[str, str] | None = None) -> list[dict[str, object]]:
        response = http.get(path, params=params, headers={"Authorization": f"Bearer {tokens[role]}"})
        response.raise_for_status()
        items: list[dict[str, object]] = response.json().get("items", [])
        return items

    seeded.add("task", *(task["id"] for task in listed("tracer", "/tracing/tasks")))
    chains = listed("epidemiologist", "/tracing/chains", {"at": today.isoformat()})
    seeded.add("chain", *(chain["id"] for chain in chains))
    seeded.add("alert", *(alert["id"] for alert in listed("epidemiologist", "/tracing/clusters")))
    seeded.add("pair", *(pair["id"] for pair in listed("clinician", "/people/duplicates")))


def _post(
    http: httpx.Client, path: str, body: object, headers: dict[str, str]
) -> dict[str, object] | list[dict[str, object]]:
    response = http.post(path, json=body, headers=headers)
    if response.status_code >= 300:
        raise RuntimeError(f"seeding {path} failed with {response.status_code}: {response.text}")
    answer: dict[str, object] | list[dict[str, object]] = response.json()
    return answer


def _result(person: Synthetic, today: date) -> dict[str, object]:
    return {
        "person": person.payload(with_email=False),
        "sample_date": (today - timedelta(days=2)).isoformat(),
        "result_date": (today - timedelta(days=1)).isoformat(),
        "test_type": "rt-pcr",
        "value": "positive",
        "loinc": "94500-6",
    }


def _report(person: Synthetic, contacts: list[Synthetic], today: date) -> dict[str, object]:
    exposure = {"date": (today - timedelta(days=3)).isoformat(), "setting": "household"}
    return {
        "person": person.payload(),
        "case": {"status": "confirmed", "onset_date": (today - timedelta(days=2)).isoformat()},
        "contacts": [{"person": contact.contact_payload(), "exposure": exposure} for contact in contacts],
    }
