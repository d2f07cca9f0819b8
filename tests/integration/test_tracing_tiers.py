"""Tiers through the API: reports give contacts their tier at once, a contact who becomes a case moves
their branch up in the same transaction, the stored tiers equal a recomputation, and the list answers
epidemiologists (JSON or CSV) and refuses dates it cannot answer for."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from serment.cli import app as cli
from serment.clock import FixedClock
from serment.installation import Installation
from serment.settings import Settings
from serment.store.tables import AuditEventRow, TierRow
from serment.tracing.standings import StoreGraph
from serment.tracing.tiers import Standing, tiers_at
from tests.conftest import Accounts
from tests.people_data import people

pytestmark = pytest.mark.anyio
INDEX, HOUSEMATE, COLLEAGUE, FRIEND, NEIGHBOUR, EARLIER = people(6, seed=51)
TODAY = date(2026, 3, 2)
CASE = {"status": "confirmed", "onset_date": "2026-02-27"}
# vn-2020 reports carry neither a NIR nor an e-mail.
VN_INDEX = INDEX.payload(with_nir=False, with_email=False)
VN_HOUSEMATE = HOUSEMATE.payload(with_nir=False, with_email=False)
VN_COLLEAGUE = COLLEAGUE.payload(with_nir=False, with_email=False)
ONSET_25 = {"status": "confirmed", "onset_date": "2026-02-25"}


def report(person: dict[str, object], case: dict[str, object], contacts: list[tuple[object, str]]) -> dict:
    """A clinician's case report naming `contacts` (a person's contact payload and an exposure date)."""
    return {
        "person": person,
        "case": case,
        "contacts": [
            {"person": contact, "exposure": {"date": day, "setting": "household"}}
            for contact, day in contacts
        ],
    }


async def post(client: httpx.AsyncClient, accounts: Accounts, path: str, body: dict) -> dict:
    answer = await client.post(path, json=body, headers=accounts.headers("clinician"))
    assert answer.status_code == 201, answer.text
    return answer.json()  # type: ignore[no-any-return]


async def name_contact(
    client: httpx.AsyncClient, accounts: Accounts, of: str, contact: dict[str, object], day: str
) -> str:
    """Add one contact of the person `of` (as a tracing call would find them); their ref."""
    body = {"contacts": [{"person": contact, "exposure": {"date": day, "setting": "venue"}}]}
    return str((await post(client, accounts, f"/api/v1/people/{of}/contacts", body))["contacts"][0])


def stored(installation: Installation) -> dict[str, Standing]:
    with installation.database.read() as session:
        return {
            row.person_ref: Standing(row.tier, row.last_exposure, row.cleared)
            for row in session.scalars(select(TierRow))
        }


def recomputed(installation: Installation, at: date = TODAY) -> dict[str, Standing]:
    rules = installation.policy.tracing
    with installation.database.read() as session:
        graph = StoreGraph(session)
        return tiers_at(at, rules, graph.all_facts(at), list(graph.all_contacts(at, rules.lookback_days)))


async def test_a_report_gives_its_contacts_their_tier_and_quarantine_at_once(
    client: httpx.AsyncClient, accounts: Accounts, installation: Installation
) -> None:
    index = {**INDEX.payload(), "external_ref": "HCL-2026-0042"}
    receipt = await post(
        client, accounts, "/api/v1/reports",
        report(
            index, CASE,
            [(HOUSEMATE.contact_payload(), "2026-02-26"), (COLLEAGUE.contact_payload(), "2026-02-28")],
        ),
    )  # fmt: skip
    housemate, colleague = receipt["contacts"]
    assert stored(installation) == {
        receipt["person"]: Standing(0),
        housemate: Standing(1, date(2026, 2, 26)),
        colleague: Standing(1, date(2026, 2, 28)),
    }
    answer = await client.get("/api/v1/tracing/tiers", headers=accounts.headers("epidemiologist"))
    assert answer.status_code == 200, answer.text
    listed = answer.json()
    assert listed["at"] == "2026-03-02"
    by_ref = {item["ref"]: item for item in listed["items"]}
    assert [item["tier"] for item in listed["items"]] == [0, 1, 1]
    assert by_ref[receipt["person"]] | {"tests_due": []} == {
        "ref": receipt["person"], "external_ref": "HCL-2026-0042", "tier": 0, "tier_name": "cas",
        "place": "home", "quarantine_start": "2026-02-27", "quarantine_until": "2026-03-06",
        "tests_due": [], "released": False, "cleared": False,
    }  # fmt: skip
    # fr-2020: contacts stay home 7 days after the last exposure and are tested on days 0 and 7.
    assert by_ref[housemate]["quarantine_until"] == "2026-03-05"
    assert by_ref[housemate]["tests_due"] == ["2026-02-26", "2026-03-05"]
    assert by_ref[housemate]["external_ref"] is None
    assert INDEX.family_name not in answer.text, "epidemiologists never see a name"
    with installation.database.read() as session:
        opened = session.scalars(
            select(AuditEventRow.subject).where(
                AuditEventRow.actor == "epidemiologist-1", AuditEventRow.action == "list"
            )
        ).all()
    assert receipt["person"] in opened, "opening the external ref is an access the person can see"
    assert housemate not in opened, "nothing was opened for a person without an external ref"


async def test_the_csv_export_has_the_partners_columns(client: httpx.AsyncClient, accounts: Accounts) -> None:
    index = {**INDEX.payload(), "external_ref": "=HYPERLINK(1)"}
    await post(
        client,
        accounts,
        "/api/v1/reports",
        report(index, CASE, [(HOUSEMATE.contact_payload(), "2026-02-26")]),
    )
    answer = await client.get(
        "/api/v1/tracing/tiers", params={"format": "csv"}, headers=accounts.headers("epidemiologist")
    )
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(answer.text)))
    assert rows[0] == ["ref", "external_ref", "tier", "place", "quarantine_until"]
    assert [row[1:] for row in rows[1:]] == [
        ["'=HYPERLINK(1)", "0", "home", "2026-03-06"],
        ["", "1", "home", "2026-03-05"],
    ], "a reporter's reference cannot run as a spreadsheet formula"


class TestVietnameseTiers:
    """Under vn-2020, a positive F1 moves their whole branch up a tier in the report's transaction."""

    @pytest.fixture
    def settings(self, tmp_path: Path, database_url: str | None) -> Settings:
        """vn-2020: three contact tiers (F1 to F3), cleared by a negative test 5 days after exposure."""
        return Settings(data_dir=tmp_path / "data", database_url=database_url, policy="vn-2020")

    async def test_a_contact_who_becomes_a_case_promotes_their_branch(
        self, client: httpx.AsyncClient, accounts: Accounts, installation: Installation
    ) -> None:
        first = await post(
            client, accounts, "/api/v1/reports",
            report(VN_INDEX, CASE, [(HOUSEMATE.contact_payload(), "2026-02-28")]),
        )  # fmt: skip
        housemate = first["contacts"][0]
        friend = await name_contact(client, accounts, housemate, FRIEND.contact_payload(), "2026-03-01")
        neighbour = await name_contact(client, accounts, friend, NEIGHBOUR.contact_payload(), "2026-03-01")
        assert {ref: standing.tier for ref, standing in stored(installation).items()} == {
            first["person"]: 0, housemate: 1, friend: 2, neighbour: 3,
        }  # fmt: skip

        promoted = await post(
            client, accounts, "/api/v1/reports",
            report(VN_HOUSEMATE, {"status": "confirmed", "onset_date": "2026-03-01"}, []),
        )  # fmt: skip
        assert promoted["person"] == housemate
        after = stored(installation)
        assert {ref: standing.tier for ref, standing in after.items()} == {
            first["person"]: 0, housemate: 0, friend: 1, neighbour: 2,
        }, "the branch moved up in the report's own transaction"  # fmt: skip
        assert after == recomputed(installation)

    async def test_a_case_passes_nothing_on_before_it_was_infectious(
        self, client: httpx.AsyncClient, accounts: Accounts, installation: Installation
    ) -> None:
        # Onset 27 February: infectious from the 25th; an exposure on the 20th passes nothing.
        receipt = await post(
            client, accounts, "/api/v1/reports",
            report(
                VN_INDEX, CASE,
                [(EARLIER.contact_payload(), "2026-02-20"), (HOUSEMATE.contact_payload(), "2026-02-25")],
            ),
        )  # fmt: skip
        earlier, housemate = receipt["contacts"]
        tiers = stored(installation)
        assert earlier not in tiers
        assert tiers[housemate].tier == 1

    async def test_a_negative_test_stops_a_contact_passing_their_tier_on(
        self, client: httpx.AsyncClient, accounts: Accounts, installation: Installation
    ) -> None:
        receipt = await post(
            client, accounts, "/api/v1/reports",
            report(VN_INDEX, ONSET_25, [(HOUSEMATE.contact_payload(), "2026-02-24")]),
        )  # fmt: skip
        housemate = receipt["contacts"][0]
        friend = await name_contact(client, accounts, housemate, FRIEND.contact_payload(), "2026-02-26")
        assert stored(installation)[friend].tier == 2
        negative = {
            "person": HOUSEMATE.payload(with_email=False, with_nir=False), "sample_date": "2026-03-01",
            "test_type": "rt-pcr", "value": "negative",
        }  # fmt: skip
        answer = await client.post("/api/v1/results", json=negative, headers=accounts.headers("lab"))
        assert answer.status_code == 201, answer.text
        tiers = stored(installation)
        assert tiers[housemate] == Standing(1, date(2026, 2, 24), cleared=True), (
            "cleared, still in quarantine"
        )
        assert friend not in tiers, "a cleared contact passes no tier on"
        assert tiers == recomputed(installation)

    async def test_exposures_leave_the_lookback_as_days_pass(
        self, client: httpx.AsyncClient, accounts: Accounts, installation: Installation, clock: FixedClock
    ) -> None:
        receipt = await post(
            client, accounts, "/api/v1/reports",
            report(VN_INDEX, CASE, [(HOUSEMATE.contact_payload(), "2026-02-26")]),
        )  # fmt: skip
        clock.advance(timedelta(days=20))
        answer = await client.get("/api/v1/tracing/tiers", headers=accounts.headers("epidemiologist"))
        assert [(item["ref"], item["tier"]) for item in answer.json()["items"]] == [(receipt["person"], 0)], (
            "the contact's exposure is 24 days old; the open case stays a case"
        )
        await post(
            client,
            accounts,
            "/api/v1/reports",
            report(VN_COLLEAGUE, {"status": "suspected", "asymptomatic": True}, []),
        )
        assert stored(installation) == {receipt["person"]: Standing(0)}, "a report on a new day recomputes"
        past = await client.get(
            "/api/v1/tracing/tiers", params={"at": "2026-03-02"}, headers=accounts.headers("epidemiologist")
        )
        assert [item["tier"] for item in past.json()["items"]] == [0, 1], "a past day is computed again"


async def test_dates_the_tiers_cannot_be_given_for_are_refused_clearly(
    client: httpx.AsyncClient, accounts: Accounts
) -> None:
    epidemiologist = accounts.headers("epidemiologist")
    empty = await client.get("/api/v1/tracing/tiers", headers=epidemiologist)
    assert empty.status_code == 422
    assert empty.json()["detail"] == "no exposure, case or result has been reported yet"
    await post(
        client,
        accounts,
        "/api/v1/reports",
        report(INDEX.payload(), CASE, [(HOUSEMATE.contact_payload(), "2026-02-26")]),
    )
    before = await client.get("/api/v1/tracing/tiers", params={"at": "2020-01-01"}, headers=epidemiologist)
    assert before.status_code == 422
    assert before.json()["errors"] == [
        {
            "location": "query.at",
            "message": "no data is dated on or before 2020-01-01; the earliest is from 2026-02-26",
        }
    ]
    future = await client.get("/api/v1/tracing/tiers", params={"at": "2026-03-09"}, headers=epidemiologist)
    assert future.status_code == 422
    assert "in the future" in future.json()["detail"]
    for params in ({"at": "yesterday"}, {"format": "xml"}):
        bad = await client.get("/api/v1/tracing/tiers", params=params, headers=epidemiologist)
        assert bad.status_code == 422, params
    tracer = await client.get("/api/v1/tracing/tiers", headers=accounts.headers("tracer"))
    assert tracer.status_code == 403


async def test_contacts_of_an_unknown_person_are_refused(
    client: httpx.AsyncClient, accounts: Accounts
) -> None:
    body = {
        "contacts": [
            {"person": FRIEND.contact_payload(), "exposure": {"date": "2026-02-26", "setting": "work"}}
        ]
    }
    answer = await client.post(
        "/api/v1/people/aaaaaaaaaaaaaaaaaaaaaaaaaa/contacts", json=body, headers=accounts.headers("clinician")
    )
    assert answer.status_code == 404
    assert answer.json()["detail"] == "no person has the ref aaaaaaaaaaaaaaaaaaaaaaaaaa"


async def test_the_cli_recomputes_and_exports_what_the_api_lists(
    client: httpx.AsyncClient, accounts: Accounts, settings: Settings, database_url: str | None
) -> None:
    if database_url is not None:
        pytest.skip("the CLI test opens the SQLite installation of its data directory")
    await post(
        client,
        accounts,
        "/api/v1/reports",
        report(INDEX.payload(), CASE, [(HOUSEMATE.contact_payload(), "2026-02-26")]),
    )
    api = await client.get(
        "/api/v1/tracing/tiers",
        params={"at": "2026-03-02", "format": "csv"},
        headers=accounts.headers("epidemiologist"),
    )
    runner = CliRunner()
    data_dir = str(settings.data_dir)
    exported = runner.invoke(
        cli, ["tracing", "export", "--at", "2026-03-02", "--format", "csv", "--data-dir", data_dir]
    )
    assert exported.exit_code == 0, exported.output
    assert exported.stdout == api.text
    recomputed_now = runner.invoke(cli, ["tracing", "recompute", "--data-dir", data_dir])
    assert recomputed_now.exit_code == 0, recomputed_now.output
    # Run on the machine's own clock, months after these March exposures: only the open case remains.
    assert "cas 1, contact à risque 0" in recomputed_now.stdout
    future = runner.invoke(cli, ["tracing", "recompute", "--at", "2999-01-01", "--data-dir", data_dir])
    assert future.exit_code == 1
    assert "is in the future" in future.output


async def test_a_case_whose_start_moves_earlier_moves_its_isolation(
    client: httpx.AsyncClient, accounts: Accounts, installation: Installation
) -> None:
    """An asymptomatic case counts from its first positive sample: an earlier one reported later moves
    the isolation, though the case's tier does not change."""
    case = {"status": "confirmed", "asymptomatic": True}
    result = {"sample_date": "2026-02-27", "test_type": "rt-pcr", "value": "positive"}
    receipt = await post(
        client, accounts, "/api/v1/reports", {**report(INDEX.payload(), case, []), "result": result}
    )
    with installation.database.read() as session:
        row = session.get(TierRow, receipt["person"])
        assert row is not None
        assert (row.quarantine_start, row.quarantine_until) == (date(2026, 2, 27), date(2026, 3, 6))
    earlier = {**result, "sample_date": "2026-02-24", "person": INDEX.payload(with_email=False)}
    answer = await client.post("/api/v1/results", json=earlier, headers=accounts.headers("lab"))
    assert answer.status_code == 201, answer.text
    with installation.database.read() as session:
        row = session.get(TierRow, receipt["person"])
        assert row is not None
        assert (row.quarantine_start, row.quarantine_until) == (date(2026, 2, 24), date(2026, 3, 3))
