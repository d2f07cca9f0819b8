"""Free-text notes on a case and on a contact's exposure: sealed at rest under the data key of the
person they concern, bound to their row, limited in length, read back only by those who may read
that person, and never in the pseudonymous case list."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import select

from serment.access import Request, guard
from serment.installation import Installation
from serment.people import RecordTampered, open_for
from serment.reporting import actor_named
from serment.store.tables import CaseRow, ExposureRow
from tests.conftest import Accounts
from tests.people_data import people

pytestmark = pytest.mark.anyio
INDEX, HOUSEMATE = people(2, seed=83)
CASE_NOTES = f"Hard of hearing: call {INDEX.given_names} by text on {INDEX.phone}."
EXPOSURE_NOTES = f"{HOUSEMATE.given_names} shares the night shift at the bakery."


def _report() -> dict[str, object]:
    return {
        "person": INDEX.payload(),
        "case": {"status": "confirmed", "onset_date": "2026-02-27", "notes": f"  {CASE_NOTES}\n"},
        "contacts": [
            {
                "person": HOUSEMATE.contact_payload(),
                "exposure": {"date": "2026-02-26", "setting": "work", "notes": EXPOSURE_NOTES},
            }
        ],
    }


def _open_exposure_notes(installation: Installation, accounts: Accounts, subject: str) -> str:
    """The exposure's notes opened with a clinician's read access on `subject`."""
    platform = installation.platform
    accounts.token("clinician")
    request = Request(actor_named(platform, "clinician-1"), purpose="care")
    with platform.transaction() as session:
        exposure = session.scalars(select(ExposureRow)).one()
        assert exposure.notes is not None
        access = guard(platform, session, request, "read", subject)
        return open_for(
            platform, session, access, table="exposures", column="notes", row=str(exposure.id),
            sealed=exposure.notes,
        )  # fmt: skip


async def test_notes_are_sealed_and_read_back_only_through_the_person_they_concern(
    client: httpx.AsyncClient, accounts: Accounts, installation: Installation
) -> None:
    response = await client.post("/api/v1/reports", json=_report(), headers=accounts.headers("clinician"))
    assert response.status_code == 201, response.text
    receipt = response.json()
    with installation.database.read() as session:
        case = session.get(CaseRow, receipt["case"])
        exposure = session.scalars(select(ExposureRow)).one()
    assert case is not None
    assert case.notes is not None
    assert exposure.notes is not None
    assert CASE_NOTES.encode() not in case.notes
    assert EXPOSURE_NOTES.encode() not in exposure.notes

    own = accounts.headers("patient", name="index", person_ref=receipt["person"])
    everything = await client.get(f"/fhir/Patient/{receipt['person']}/$everything", headers=own)
    assert everything.status_code == 200, everything.text
    resources = [entry["resource"] for entry in everything.json()["entry"]]
    condition = next(r for r in resources if r["resourceType"] == "Condition")
    assert condition["note"] == [{"text": CASE_NOTES}]
    # The exposure's notes are the contact's: the index's export leaves them out, as their identity.
    assert EXPOSURE_NOTES not in everything.text

    assert _open_exposure_notes(installation, accounts, receipt["contacts"][0]) == EXPOSURE_NOTES
    with pytest.raises(RecordTampered, match="the sealed notes"):
        _open_exposure_notes(installation, accounts, receipt["person"])


async def test_the_pseudonymous_case_list_carries_no_notes(
    client: httpx.AsyncClient, accounts: Accounts
) -> None:
    await client.post("/api/v1/reports", json=_report(), headers=accounts.headers("clinician"))
    listed = await client.get("/api/v1/cases", headers=accounts.headers("epidemiologist"))
    assert listed.status_code == 200
    assert "notes" not in listed.json()["items"][0]
    assert CASE_NOTES not in listed.text


@pytest.mark.parametrize(
    ("where", "location"),
    [("case", "body.case.notes"), ("exposure", "body.contacts.0.exposure.notes")],
)
async def test_notes_longer_than_1000_characters_are_refused(
    client: httpx.AsyncClient, accounts: Accounts, installation: Installation, where: str, location: str
) -> None:
    report = _report()
    part = report["case"] if where == "case" else report["contacts"][0]["exposure"]  # type: ignore[index]
    part["notes"] = "x" * 1001
    response = await client.post("/api/v1/reports", json=report, headers=accounts.headers("clinician"))
    assert response.status_code == 422
    assert [(e["location"], e["message"]) for e in response.json()["errors"]] == [
        (location, "String should have at most 1000 characters")
    ]
    with installation.database.read() as session:
        assert session.scalars(select(CaseRow)).first() is None
