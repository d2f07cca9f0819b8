"""The epidemiologist's figures (`tracing.dashboard`, `tracing.case_views`) against straightforward counts
over the same rows, on a small outbreak reported through the reporting use cases: what the database
counts with GROUP BY is what counting every row by hand gives, for every range and area."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from serment.access import Actor, Platform, Refused, Request
from serment.clock import FixedClock
from serment.installation import Installation
from serment.people import Address, person_details
from serment.reporting import CaseInput, CaseReport, report_case
from serment.store.tables import AuditEventRow, CaseRow, ClusterAlertRow, TierRow, TracingStateRow
from serment.tracing.case_views import PAGE_SIZE, CaseNotFound, case_overview, list_case_lines
from serment.tracing.chains import list_chains
from serment.tracing.dashboard import dashboard
from tests.epi_data import CLINICIAN, END, Outbreak, report_outbreak
from tests.people_data import people

EPIDEMIOLOGIST = Request(
    Actor(name="epi-1", role="epidemiologist", organisation="SpF"), purpose="surveillance"
)
RANGES = [
    (date(2026, 2, 1), date(2026, 3, 2)),
    (date(2026, 2, 10), date(2026, 2, 16)),
    (date(2026, 2, 24), date(2026, 2, 24)),
    (date(2026, 2, 12), date(2026, 2, 20)),
]
AREAS = [None, "75", "69", "2A", "974", "13", "33"]


@pytest.fixture
def outbreak(platform: Platform, clock: FixedClock) -> Outbreak:
    return report_outbreak(platform, clock)


def _cases(installation: Installation) -> list[CaseRow]:
    with installation.database.read() as session:
        rows = list(session.scalars(select(CaseRow)))
        session.expunge_all()
    return rows


def test_each_case_keeps_the_departement_of_its_person(
    outbreak: Outbreak, installation: Installation
) -> None:
    by_case = {row.ref: row.department for row in _cases(installation)}
    assert {name: by_case[ref] for name, ref in outbreak.cases.items()} == {
        "anne": "75", "bruno": "69", "emma": "2A", "celine": None, "denis": "974", "gilles": "75",
        "hugo": "69", "ines": "69", "louis": "13", "julie": "75", "karim": "75",
    }  # fmt: skip


@pytest.mark.parametrize(("start", "end"), RANGES)
@pytest.mark.parametrize("area", AREAS)
def test_the_curve_counts_what_a_count_of_every_case_gives(
    outbreak: Outbreak,
    installation: Installation,
    platform: Platform,
    start: date,
    end: date,
    area: str | None,
) -> None:
    confirmed = [
        row
        for row in _cases(installation)
        if row.status == "confirmed" and (area is None or row.department == area)
    ]
    by_onset = Counter(
        row.onset_date for row in confirmed if row.onset_date and start <= row.onset_date <= end
    )
    by_report = Counter(row.reported_at.date() for row in confirmed if start <= row.reported_at.date() <= end)
    without = sum(1 for row in confirmed if row.onset_date is None and start <= row.reported_at.date() <= end)

    board = dashboard(platform, EPIDEMIOLOGIST, start=start, end=end, area=area)

    assert [day.day for day in board.curve] == [
        start + timedelta(days=n) for n in range((end - start).days + 1)
    ]
    assert {day.day: day.by_onset for day in board.curve if day.by_onset} == dict(by_onset)
    assert {day.day: day.by_report for day in board.curve if day.by_report} == dict(by_report)
    assert board.without_onset == without
    assert board.by_onset == sum(by_onset.values())


def test_filters_by_date_and_area_change_the_figures(outbreak: Outbreak, platform: Platform) -> None:
    everything = dashboard(platform, EPIDEMIOLOGIST, start=date(2026, 2, 1), end=date(2026, 3, 2), area=None)
    paris = dashboard(platform, EPIDEMIOLOGIST, start=date(2026, 2, 1), end=date(2026, 3, 2), area="75")
    february = dashboard(platform, EPIDEMIOLOGIST, start=date(2026, 2, 1), end=date(2026, 2, 14), area=None)

    # Nine confirmed cases, of which Emma has no onset; Anne, Gilles, Julie and Karim live in Paris.
    assert (everything.by_onset, everything.by_report, everything.without_onset) == (8, 9, 1)
    assert (paris.by_onset, paris.by_report, paris.without_onset) == (4, 4, 0)
    assert (february.by_onset, february.by_report) == (4, 4)  # onsets 8, 11, 12, 13; reports 10, 12, 12, 14
    assert set(everything.areas) == {"75", "69", "2A", "974", "13"}
    assert everything.areas["69"] == 3  # Bruno, Hugo (suspected) and Inès (probable)


def test_tiers_are_the_stored_tiers_counted_by_tier_and_place(
    outbreak: Outbreak, installation: Installation, platform: Platform
) -> None:
    with installation.database.read() as session:
        at = session.scalars(select(TracingStateRow.at)).one()
        expected = Counter(
            (row.tier, row.place, row.quarantine_until >= at) for row in session.scalars(select(TierRow))
        )

    board = dashboard(platform, EPIDEMIOLOGIST, start=date(2026, 2, 1), end=date(2026, 3, 2), area=None)

    assert board.tiers_at == at
    counted: Counter[tuple[int, str, bool]] = Counter()
    for count in board.tiers:
        counted[(count.tier, count.place, True)] += count.in_quarantine
        counted[(count.tier, count.place, False)] += count.released
    assert +counted == expected
    assert sum(expected.values()) > 0


def test_active_chains_are_those_the_chain_list_gives_and_follow_the_area(
    outbreak: Outbreak, platform: Platform
) -> None:
    for end in (date(2026, 2, 20), date(2026, 3, 2)):
        listed = list_chains(platform, EPIDEMIOLOGIST, at=end, active=True)
        board = dashboard(platform, EPIDEMIOLOGIST, start=end - timedelta(days=27), end=end, area=None)
        assert board.chains.active == listed.total
        assert board.chains.cases == sum(chain.size for chain in listed.items)
        assert board.chains.newest == (listed.items[0] if listed.items else None)
        assert sorted(board.chains.largest, key=lambda chain: chain.id) == sorted(
            listed.items, key=lambda c: c.id
        )

    # On 20 February the chain of Anne is active (Denis met Gilles on the 14th), that of Julie not yet.
    early = dashboard(platform, EPIDEMIOLOGIST, start=date(2026, 2, 1), end=date(2026, 2, 20), area=None)
    assert [chain.id for chain in early.chains.largest] == [outbreak.cases["anne"]]
    assert early.chains.largest[0].size == 5
    # Today only Julie and Karim's is: both live in Paris, none of them in Lyon.
    paris = dashboard(platform, EPIDEMIOLOGIST, start=date(2026, 2, 1), end=date(2026, 3, 2), area="75")
    assert [chain.id for chain in paris.chains.largest] == [outbreak.cases["julie"]]
    assert (
        dashboard(
            platform, EPIDEMIOLOGIST, start=date(2026, 2, 1), end=date(2026, 3, 2), area="69"
        ).chains.active
        == 0
    )
    # On 20 February, Anne's chain holds a case in La Réunion (Denis).
    assert early.chains.active == 1
    reunion = dashboard(platform, EPIDEMIOLOGIST, start=date(2026, 2, 1), end=date(2026, 2, 20), area="974")
    assert reunion.chains.active == 1


def test_cluster_alerts_meeting_the_range_are_counted_by_status(
    outbreak: Outbreak, installation: Installation, platform: Platform
) -> None:
    with installation.database.read() as session:
        alerts = [
            (row.first_date, row.last_date, row.status) for row in session.scalars(select(ClusterAlertRow))
        ]
    assert alerts, "the outbreak raises an alert at office-1"
    for start, end in RANGES:
        board = dashboard(platform, EPIDEMIOLOGIST, start=start, end=end, area=None)
        meeting = Counter(status for first, last, status in alerts if first <= end and last >= start)
        assert {status: count for status, count in board.clusters.by_status.items() if count} == dict(meeting)
        assert len(board.clusters.open) == meeting["new"] + meeting["investigating"]


def test_a_view_is_one_audited_access_and_other_roles_are_refused(
    outbreak: Outbreak, installation: Installation, platform: Platform
) -> None:
    def events() -> list[AuditEventRow]:
        with installation.database.read() as session:
            rows = list(session.scalars(select(AuditEventRow).where(AuditEventRow.actor == "epi-1")))
            session.expunge_all()
        return rows

    dashboard(platform, EPIDEMIOLOGIST, start=date(2026, 2, 1), end=date(2026, 3, 2), area="75")
    assert [(event.action, event.purpose, event.subject) for event in events()] == [
        ("list", "surveillance", None)
    ]
    tracer = Request(Actor(name="tracer-1", role="tracer", organisation="Brigade"), purpose="tracing")
    with pytest.raises(Refused):
        dashboard(platform, tracer, start=date(2026, 2, 1), end=date(2026, 3, 2), area=None)


def test_the_case_list_filters_and_pages_as_a_count_of_every_case_does(
    outbreak: Outbreak, installation: Installation, platform: Platform
) -> None:
    rows = _cases(installation)
    for status, start, end, area in [
        (None, None, None, None),
        ("confirmed", None, None, "75"),
        (None, date(2026, 2, 12), date(2026, 2, 20), None),
        ("suspected", None, None, "69"),
        (None, None, date(2026, 2, 14), "2A"),
    ]:
        kept = [
            row for row in rows
            if (status is None or row.status == status) and (area is None or row.department == area)
            and (start is None or row.reported_at.date() >= start)
            and (end is None or row.reported_at.date() <= end)
        ]  # fmt: skip
        expected = sorted(kept, key=lambda row: (-row.reported_at.timestamp(), row.ref))
        page = list_case_lines(
            platform, EPIDEMIOLOGIST, status=status, reported_from=start, reported_to=end, area=area
        )
        assert page.total == len(expected)
        assert [line.ref for line in page.items] == [row.ref for row in expected]
        assert not page.has_next


def test_the_case_list_shows_each_case_s_tier_and_chain(outbreak: Outbreak, platform: Platform) -> None:
    lines = {line.ref: line for line in list_case_lines(platform, EPIDEMIOLOGIST).items}
    julie, karim, hugo = (lines[outbreak.cases[name]] for name in ("julie", "karim", "hugo"))
    assert julie.chain is not None
    assert karim.chain is not None
    assert (julie.chain.chain.id, karim.chain.chain.id) == (outbreak.cases["julie"], outbreak.cases["julie"])
    assert (julie.chain.generation, karim.chain.generation) == (1, 2)
    assert hugo.chain is None  # suspected: in no chain
    assert lines[outbreak.cases["emma"]].chain is None  # a chain of one
    assert (julie.tier, julie.tier_name) == (0, "cas")
    anne = lines[outbreak.cases["anne"]]
    assert anne.chain is not None
    assert (anne.chain.chain.size, anne.chain.generation) == (5, 1)


def test_the_case_list_pages_by_fifty_without_a_case_twice(
    platform: Platform, clock: FixedClock, outbreak: Outbreak
) -> None:
    clock.set(datetime(2026, 3, 1, 10, tzinfo=UTC))
    for person in people(PAGE_SIZE + 2, seed=707):
        details = person_details(
            nir=person.nir, family_name=person.family_name, given_names=person.given_names,
            birth_date=person.birth_date, sex=person.sex, today=date(2026, 3, 1),
            address=Address(person.address_line, "33000", "Bordeaux"),
        )  # fmt: skip
        case = CaseInput("confirmed", date(2026, 2, 27), False, False)
        report_case(platform, CLINICIAN, CaseReport(details, case, None, ()))
    clock.set(END)

    first = list_case_lines(platform, EPIDEMIOLOGIST, area="33")
    second = list_case_lines(platform, EPIDEMIOLOGIST, area="33", page=2)
    third = list_case_lines(platform, EPIDEMIOLOGIST, area="33", page=3)

    assert (first.total, len(first.items), first.has_next) == (PAGE_SIZE + 2, PAGE_SIZE, True)
    assert (len(second.items), second.has_next, third.items) == (2, False, ())
    refs = [line.ref for line in (*first.items, *second.items)]
    assert len(set(refs)) == PAGE_SIZE + 2
    everyone = list_case_lines(platform, EPIDEMIOLOGIST)
    assert everyone.total == PAGE_SIZE + 2 + len(outbreak.cases)


def test_a_case_overview_shows_no_identity_and_is_audited_with_its_person(
    outbreak: Outbreak, installation: Installation, platform: Platform
) -> None:
    denis = case_overview(platform, EPIDEMIOLOGIST, outbreak.cases["denis"])

    assert (denis.status, denis.onset_date, denis.department, denis.start) == (
        "confirmed", date(2026, 2, 13), "974", date(2026, 2, 13),
    )  # fmt: skip
    assert denis.chain is not None
    assert (denis.chain.chain.id, denis.chain.generation) == (outbreak.cases["anne"], 3)
    assert [(s.setting, s.exposures) for s in denis.settings] == [("venue", 1), ("work", 1)]
    assert [alert.place_id for alert in denis.clusters] == ["office-1"]
    assert denis.plan is not None
    assert denis.plan.tier == 0
    text = repr(denis)
    assert not [value for value in outbreak.identifiers() if value in text]
    gilles = case_overview(platform, EPIDEMIOLOGIST, outbreak.cases["gilles"])
    assert gilles.first_positive == date(2026, 2, 16)
    emma = case_overview(platform, EPIDEMIOLOGIST, outbreak.cases["emma"])
    assert (emma.asymptomatic, emma.start, emma.chain, emma.clusters) == (True, date(2026, 2, 12), None, ())
    with installation.database.read() as session:
        subjects = session.scalars(
            select(AuditEventRow.subject).where(
                AuditEventRow.actor == "epi-1", AuditEventRow.action == "list"
            )
        ).all()
    assert subjects == [outbreak.persons["denis"], outbreak.persons["gilles"], outbreak.persons["emma"]]
    with pytest.raises(CaseNotFound):
        case_overview(platform, EPIDEMIOLOGIST, "a" * 26)
