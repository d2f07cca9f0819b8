"""Real outbreaks replayed through the reporting services in date order (MERS in South Korea, 2015;
COVID-19 in Singapore, 2020): after every day of reports, the tiers Serment stored equal an independent
reference, a plain breadth-first search over the same rules written here from the line lists alone;
and the tiers of past dates, asked afterwards, equal the reference over everything reported."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from serment.access import Platform, Request, operator
from serment.access.accounts import add_user
from serment.clock import FixedClock
from serment.installation import Installation
from serment.people import PersonDetails, person_details
from serment.policy.tracing import TracingRules
from serment.reporting import (
    CaseInput,
    CaseReport,
    ContactInput,
    ExposureInput,
    ResultInput,
    actor_named,
    add_contacts,
    report_case,
)
from serment.settings import Settings
from serment.store.tables import TierRow
from serment.tracing.chains import chain_graph, list_chains
from serment.tracing.clusters import list_clusters
from serment.tracing.tier_lists import list_tiers
from tests.outbreaks import Case, Identity, Outbreak, available, identities, mers_korea_2015, singapore_2020

pytestmark = pytest.mark.skipif(not available(), reason="the shared outbreak data is not on this machine")
OUTBREAKS: dict[str, Callable[[], Outbreak]] = {"mers": mers_korea_2015, "singapore": singapore_2020}
# (tier, last exposure) by case id
Tiers = dict[str, tuple[int, date | None]]


PRESETS = Path(__file__).resolve().parents[2] / "serment" / "policy" / "presets"


@pytest.fixture(params=["vn-2020", "short-windows"])
def settings(request: pytest.FixtureRequest, tmp_path: Path, database_url: str | None) -> Settings:
    """vn-2020 (three contact tiers, so that the whole tree of an outbreak is traced), and the same
    with a 4-day lookback and no infectiousness before onset, where the dates of these outbreaks
    decide who keeps a tier."""
    if request.param == "vn-2020":
        return Settings(data_dir=tmp_path / "data", database_url=database_url, policy="vn-2020")
    text = (PRESETS / "vn-2020.toml").read_text(encoding="utf-8")
    for old, new in (
        ("lookback_days = 14", "lookback_days = 4"),
        ("infectious_before_onset_days = 2", "infectious_before_onset_days = 0"),
    ):
        assert text.count(old) == 1
        text = text.replace(old, new)
    policy = tmp_path / "short-windows.toml"
    policy.write_text(text, encoding="utf-8")
    return Settings(data_dir=tmp_path / "data", database_url=database_url, policy=str(policy))


def reference_tiers(at: date, rules: TracingRules, outbreak: Outbreak, reported_by: date) -> Tiers:
    """The tiers at `at` from what was reported by `reported_by`, by the rules as the issue states
    them: a breadth-first search from the cases, one exposure at a time."""
    cases = {
        case.id: case.start
        for case in outbreak.cases.values()
        if case.reported <= reported_by and case.start <= at
    }
    links = [link for link in outbreak.links if link.reported(outbreak.cases) <= reported_by]
    tiers: Tiers = dict.fromkeys(cases, (0, None))
    queue = deque(sorted(cases))
    while queue:
        source = queue.popleft()
        level = tiers[source][0] + 1
        if level > rules.depth:
            continue
        for link in links:
            if source not in (link.a, link.b):
                continue
            other = link.b if source == link.a else link.a
            day = link.day
            if day > at or day < at - timedelta(days=rules.lookback_days):
                continue
            if source in cases and day < cases[source] - timedelta(days=rules.infectious_before_onset_days):
                continue
            known = tiers.get(other)
            if known is None:
                tiers[other] = (level, day)
                queue.append(other)
            elif known[0] == level and known[1] is not None and day > known[1]:
                tiers[other] = (level, day)
    return tiers


def replay(
    platform: Platform,
    clock: FixedClock,
    outbreak: Outbreak,
    refs: dict[str, str],
    after_each_day: Callable[[date], None],
    case_refs: dict[str, str] | None = None,
) -> None:
    """Report every case and link on its day, through the services, filling `refs` (the person's, by
    case id) and `case_refs` (the case's) as cases are reported; `after_each_day` is called after each
    day's reports."""
    add_user(platform, operator(), name="clinicien", role="clinician", organisation="CHU")
    clinician = Request(actor_named(platform, "clinicien"), purpose="care")
    people = identities(outbreak, seed=1)
    days = sorted(
        {case.reported for case in outbreak.cases.values()}
        | {link.reported(outbreak.cases) for link in outbreak.links}
    )
    for day in days:
        clock.set(datetime.combine(day, time(9), tzinfo=UTC))
        for case in sorted(outbreak.cases.values(), key=lambda case: case.id):
            if case.reported == day:
                receipt = report_case(platform, clinician, case_report(people[case.id], case, day))
                refs[case.id] = receipt.person
                if case_refs is not None:
                    case_refs[case.id] = receipt.case
        for link in outbreak.links:
            if link.reported(outbreak.cases) == day:
                exposure = ExposureInput(link.day, link.day, link.setting, place_id=link.place)
                contact = ContactInput(details(people[link.b], day), exposure)
                (named,) = add_contacts(platform, clinician, refs[link.a], [contact])
                assert named == refs[link.b], f"{link.b} was found again, not registered twice"
        after_each_day(day)


def case_report(person: Identity, case: Case, day: date) -> CaseReport:
    """A clinician's report of the case, with its positive result, naming no contact yet."""
    return CaseReport(
        person=details(person, day),
        case=CaseInput("confirmed", case.onset, asymptomatic=case.onset is None, hospitalised=True),
        result=ResultInput(case.diagnosed, case.diagnosed, "rt-pcr", "positive"),
        contacts=(),
    )


def details(person: Identity, day: date) -> PersonDetails:
    return person_details(
        nir=None, family_name=person.family_name, given_names=person.given_names,
        birth_date=person.birth_date.isoformat(), sex=person.sex, today=day,
    )  # fmt: skip


@pytest.mark.parametrize("name", sorted(OUTBREAKS))
def test_tiers_after_every_day_of_a_real_outbreak_equal_the_reference(
    name: str, installation: Installation, clock: FixedClock
) -> None:
    outbreak = OUTBREAKS[name]()
    rules = installation.policy.tracing
    platform = installation.platform
    refs: dict[str, str] = {}
    checked: list[int] = []

    def check(day: date) -> None:
        ids = {ref: case for case, ref in refs.items()}
        with installation.database.read() as session:
            rows = session.scalars(select(TierRow)).all()
        stored = {ids.get(row.person_ref, row.person_ref): (row.tier, row.last_exposure) for row in rows}
        assert stored == reference_tiers(day, rules, outbreak, reported_by=day), day
        checked.append(len(stored))

    replay(platform, clock, outbreak, refs, check)
    assert len(set(refs.values())) == len(outbreak.cases), "every case is one person"
    assert max(checked) > 0, "the check compared real tiers"
    assert sum(checked) > len(outbreak.cases)

    epidemiologist = operator(role="epidemiologist", purpose="surveillance")
    ids = {ref: case for case, ref in refs.items()}
    last = max(case.reported for case in outbreak.cases.values())
    for offset in (0, 10, 20, 30):
        day = min(case.start for case in outbreak.cases.values()) + timedelta(days=offset)
        listed = list_tiers(platform, epidemiologist, day)
        got = {ids[item.ref]: item.tier for item in listed.items}
        want = {case: tier for case, (tier, _) in reference_tiers(day, rules, outbreak, last).items()}
        assert got == want, day


def reference_chains(at: date, outbreak: Outbreak) -> dict[frozenset[str], int]:
    """The chains of two cases or more at `at`, each with its generations: connected groups of cases
    started by then over links dated by then, found by union-find; generations by the longest path
    from earlier to later starts."""
    started = {case.id: case.start for case in outbreak.cases.values() if case.start <= at}
    links = [link for link in outbreak.links if link.day <= at and link.a in started and link.b in started]
    parent = {case: case for case in started}

    def root(case: str) -> str:
        while parent[case] != case:
            case = parent[case]
        return case

    for link in links:
        parent[root(link.a)] = root(link.b)
    groups: dict[str, set[str]] = {}
    for case in started:
        groups.setdefault(root(case), set()).add(case)
    later: dict[str, list[str]] = {case: [] for case in started}
    for link in links:
        first, second = sorted((link.a, link.b), key=lambda case: started[case])
        if started[first] < started[second]:
            later[first].append(second)
    depth: dict[str, int] = {}
    for case in sorted(started, key=lambda case: started[case]):
        depth.setdefault(case, 1)
        for follower in later[case]:
            depth[follower] = max(depth.get(follower, 1), depth[case] + 1)
    return {
        frozenset(group): max(depth[case] for case in group) for group in groups.values() if len(group) > 1
    }


def reference_clusters(outbreak: Outbreak, cases: int, days: int) -> dict[str, tuple[date, date, int]]:
    """The places where `cases` case starts fall within `days` consecutive days, with the first start
    of the earliest such window, the last start, and how many starts from the first on."""
    found = {}
    for place in {link.place for link in outbreak.links if link.place is not None}:
        present = {end for link in outbreak.links if link.place == place for end in (link.a, link.b)}
        starts = sorted(outbreak.cases[case].start for case in present)
        windows = [
            starts[index] for index in range(len(starts) - cases + 1)
            if (starts[index + cases - 1] - starts[index]).days < days
        ]  # fmt: skip
        if windows:
            counted = [start for start in starts if start >= windows[0]]
            found[place] = (windows[0], counted[-1], len(counted))
    return found


@pytest.mark.parametrize("name", sorted(OUTBREAKS))
def test_chains_and_clusters_of_a_real_outbreak_equal_the_reference(
    name: str, installation: Installation, clock: FixedClock
) -> None:
    if installation.policy.tracing.lookback_days != 14:
        pytest.skip("chains and clusters do not depend on the tier windows: vn-2020 is enough")
    outbreak = OUTBREAKS[name]()
    platform = installation.platform
    refs: dict[str, str] = {}
    case_refs: dict[str, str] = {}
    replay(platform, clock, outbreak, refs, lambda day: None, case_refs)
    ids = {ref: case for case, ref in case_refs.items()}
    epidemiologist = operator(role="epidemiologist", purpose="surveillance")
    first = min(case.start for case in outbreak.cases.values())
    seen = 0
    for offset in (10, 20, 30, 60):
        day = min(first + timedelta(days=offset), clock.now().date())
        page = list_chains(platform, epidemiologist, day, limit=1000)
        got = {}
        for chain in page.items:
            graph = chain_graph(platform, epidemiologist, chain.id, day)
            got[frozenset(ids[node.case] for node in graph.nodes)] = chain.generations
            assert chain.size == len(graph.nodes)
        assert got == reference_chains(day, outbreak), day
        seen += len(got)
    assert seen > 0, "the outbreak has chains to compare"

    rules = installation.policy.tracing
    want = reference_clusters(outbreak, rules.cluster_cases, rules.cluster_days)
    total, alerts = list_clusters(platform, epidemiologist)
    assert total == len(alerts)
    assert {alert.place_id: (alert.first_date, alert.last_date, alert.cases) for alert in alerts} == want
    assert want, "the outbreak has clusters to compare"
