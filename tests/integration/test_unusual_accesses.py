"""The unusual-access report as a use case: a user who read far more people than their work explains
comes first; a tracer's reads of their assigned contacts and a clinician's reads of the people they
reported are explained; accesses at night and at the weekend, refusals and failed sign-ins are
counted; and only a purpose that reaches everyone may ask for the report."""

from __future__ import annotations

from datetime import UTC, date, datetime

import httpx
import pytest

from serment.access import Actor, Platform, Refused, Request, operator
from serment.access.accounts import AuthenticationFailed, add_user
from serment.access.sessions import sign_in
from serment.access.unusual import UnusualPeriodInvalid, UserActivity, unusual_accesses
from serment.clock import FixedClock
from serment.tracing.teams import add_team
from tests.conftest import Accounts
from tests.integration.pages.oversight_data import CLARA, register, report

pytestmark = pytest.mark.anyio
DPO = Request(Actor(name="dpo-1", role="dpo"), purpose="audit")
ZONE = "Europe/Paris"
# Monday 2 March 2026, the conftest clock's day, and the Saturday after.
MONDAY, SATURDAY = date(2026, 3, 2), date(2026, 3, 7)


def _report(platform: Platform, first: date = MONDAY, last: date = SATURDAY) -> dict[str, UserActivity]:
    return {row.actor: row for row in unusual_accesses(platform, DPO, first, last, ZONE, limit=50)}


async def test_a_user_who_read_far_more_people_than_their_work_explains_comes_first(
    client: httpx.AsyncClient, accounts: Accounts, platform: Platform, clock: FixedClock
) -> None:
    add_team(platform, operator(), "Tracer Org", ["*"])
    tracer = accounts.headers("tracer", name="tracer-1", purpose="tracing")
    reported = await report(client, accounts, clinician="dutiful")
    dutiful = accounts.headers("clinician", name="dutiful")
    for ref in (reported.index, *reported.contacts):
        assert (await client.get(f"/api/v1/people/{ref}", headers=dutiful)).status_code == 200
    queue = await client.get("/api/v1/tracing/tasks", headers=tracer)
    assert queue.status_code == 200
    assert queue.json()["total"] == 2, "the tracer read both contacts' identities from their queue"
    clara = await register(client, accounts, CLARA)
    clock.set(datetime(2026, 3, 7, 22, 30, tzinfo=UTC))  # Saturday night
    curious = accounts.headers("clinician", name="curious")
    for ref in (reported.index, clara, *reported.contacts):
        assert (await client.get(f"/api/v1/people/{ref}", headers=curious)).status_code == 200
    assert (
        await client.get(f"/api/v1/people/{clara}", headers=accounts.headers("epidemiologist"))
    ).status_code == 403
    add_user(platform, operator(), name="forgetful", role="clinician", password="the right one, long enough")
    for _ in range(2):
        with pytest.raises(AuthenticationFailed):
            sign_in(platform, "forgetful", "wrong")

    rows = unusual_accesses(platform, DPO, MONDAY, SATURDAY, ZONE, limit=50)
    by_actor = {row.actor: row for row in rows}

    assert rows[0].actor == "curious"
    assert (rows[0].people_read, rows[0].explained, rows[0].unexplained) == (4, 0, 4)
    assert rows[0].off_hours == 4, "Saturday night"
    assert (by_actor["dutiful"].people_read, by_actor["dutiful"].unexplained) == (3, 0)
    assert by_actor["dutiful"].off_hours == 0, "Monday morning at 9:30 in Paris"
    assert (by_actor["tracer-1"].people_read, by_actor["tracer-1"].explained) == (2, 2)
    assert by_actor["epidemiologist-1"].refused == 1
    assert by_actor["forgetful"].failed_logins == 2
    assert rows.index(by_actor["epidemiologist-1"]) < rows.index(by_actor["dutiful"]), "refusals next"
    saturday = _report(platform, SATURDAY, SATURDAY).keys() - {"dpo-1", "operator"}
    assert saturday == {"curious", "epidemiologist-1", "forgetful"}, "the period counts from Saturday only"


async def test_the_report_is_paged_and_limited_to_a_period_it_can_cover(platform: Platform) -> None:
    for number in range(3):
        add_user(
            platform, operator(), name=f"user-{number}", role="clinician", password="a long password here"
        )
        with pytest.raises(AuthenticationFailed):
            sign_in(platform, f"user-{number}", "wrong")
    first = unusual_accesses(platform, DPO, MONDAY, MONDAY, ZONE, limit=2)
    rest = unusual_accesses(platform, DPO, MONDAY, MONDAY, ZONE, limit=2, offset=2)
    users = [row.actor for row in first + rest if row.actor.startswith("user-")]
    assert users == ["user-0", "user-1", "user-2"], "as many failed sign-ins each: by name"
    assert len(first) == 2
    with pytest.raises(UnusualPeriodInvalid, match="ends"):
        unusual_accesses(platform, DPO, SATURDAY, MONDAY, ZONE, limit=10)
    with pytest.raises(UnusualPeriodInvalid, match="at most 92 days"):
        unusual_accesses(platform, DPO, date(2025, 1, 1), MONDAY, ZONE, limit=10)


def test_only_the_officer_may_ask_for_the_report(platform: Platform) -> None:
    for role, purpose in (("patient", "self"), ("clinician", "care"), ("admin", "administration")):
        asking = Request(Actor(name=f"{role}-1", role=role, person_ref="a" * 26), purpose=purpose)
        with pytest.raises(Refused, match="may not audit"):
            unusual_accesses(platform, asking, MONDAY, MONDAY, ZONE, limit=10)
