"""Opposition requests across people, for the data-protection officer: newest first, by person and by
state, paged, audited; and never for a purpose that reaches one's own record only."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import select

from serment.access import Actor, Refused, Request
from serment.installation import Installation
from serment.people import register_opposition, withdraw_opposition
from serment.people.opposition_requests import list_opposition_requests
from serment.store.tables import AuditEventRow
from tests.conftest import Accounts
from tests.integration.pages.oversight_data import ANNE, BRUNO, CLARA, register

pytestmark = pytest.mark.anyio
DPO = Request(Actor(name="dpo-1", role="dpo"), purpose="audit")


async def test_the_officer_lists_everyones_oppositions_newest_first_by_person_and_state(
    client: httpx.AsyncClient, accounts: Accounts, installation: Installation
) -> None:
    platform = installation.platform
    anne, bruno, clara = [await register(client, accounts, person) for person in (ANNE, BRUNO, CLARA)]
    for ref in (anne, bruno, clara):
        register_opposition(platform, DPO, ref, "research", "mail")
    withdraw_opposition(platform, DPO, bruno, "research")

    everyone = list_opposition_requests(platform, DPO)
    assert [item.ref for item in everyone] == [clara, bruno, anne]
    assert [item.ref for item in list_opposition_requests(platform, DPO, state="active")] == [clara, anne]
    withdrawn = list_opposition_requests(platform, DPO, state="withdrawn")
    assert [(item.ref, item.withdrawn_by, item.channel) for item in withdrawn] == [(bruno, "dpo-1", "mail")]
    assert [item.ref for item in list_opposition_requests(platform, DPO, ref=anne)] == [anne]
    assert [item.ref for item in list_opposition_requests(platform, DPO, limit=1, offset=1)] == [bruno]
    with installation.database.read() as session:
        looked = session.scalars(
            select(AuditEventRow.subject).where(
                AuditEventRow.actor == "dpo-1", AuditEventRow.action == "oppose"
            )
        ).all()
    assert anne in looked, "looking at one person's oppositions is in their access history"


def test_a_purpose_that_reaches_ones_own_record_only_never_lists_everyones(
    installation: Installation,
) -> None:
    patient = Request(Actor(name="patient-1", role="patient", person_ref="a" * 26), purpose="self")
    with pytest.raises(Refused, match="reaches self people only"):
        list_opposition_requests(installation.platform, patient)
