"""Transmission chains: the connected groups of confirmed cases linked by exposures between cases, as
epidemiologists see them, by pseudonymous case refs, dates and settings, never an identity.

The rules, at the date asked (`at`):

- a case is a person's confirmed case whose start (onset; or, when asymptomatic or without onset, the
  first positive sample; failing both, the report date: `standings.case_start`) is on or before `at`.
  A closed (recovered) case stays in its chain: chains are history, not who is infectious today. A
  person with several such cases is represented by the one that starts first (ties: smallest ref);
- a link is an exposure that began on or before `at` between two people who are both cases; its
  date is its last day on or before `at`. Links between the same two cases on the same date in the
  same setting (an exposure reported from both sides) are one;
- a chain is a connected component of cases and links. Its id is the case ref of its earliest case
  (ties: smallest ref): it names the chain while that case stays its earliest, so an id may not exist
  yet at an earlier date, and disappears when the chain joins an older one;
- a link is directed from the earlier case start to the later one when both starts are known (onset
  or sample). Equal starts, or a start known only by its report date, leave it undirected;
- a case's generation is the number of cases on the longest directed path ending at it (1 for a case
  no directed link leads to); a chain's generations is its largest generation;
- a chain is active when one of its links is dated within `lookback_days` of `at`;
- every case is in a chain, a case without links in a chain of one. Lists show chains of two cases
  or more by default (`min_size`), since isolated cases are already counted by the case list.

`chains_at` applies the rules to plain data; `list_chains` and `chain_graph` read the store.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from http import HTTPStatus

from sqlalchemy import Row, and_, func, select
from sqlalchemy.orm import Session

from serment.access import Platform, Request, guard
from serment.store import in_lists
from serment.store.tables import CaseRow, ExposureRow, ResultRow
from serment.tracing.standings import CONFIRMED, POSITIVE, case_start


@dataclass(frozen=True)
class ChainCase:
    """A confirmed case as chains see it: its case ref, the day it starts, and whether that day is
    known (an onset or a positive sample) rather than only the day it was reported."""

    ref: str
    start: date
    known: bool = True


@dataclass(frozen=True)
class Link:
    """An exposure between the cases `a` and `b` (case refs), from `date_from` to `date_to`."""

    a: str
    b: str
    date_from: date
    date_to: date
    setting: str


@dataclass(frozen=True)
class Edge:
    """A link of a chain: from the earlier case to the later one when `directed`, else in no order."""

    source: str
    target: str
    date: date
    setting: str
    directed: bool


@dataclass(frozen=True)
class Node:
    """A case of a chain, with its start and generation."""

    case: str
    start: date
    start_known: bool
    generation: int


@dataclass(frozen=True)
class Chain:
    """A chain's summary: its id (its earliest case), size in cases, generations, first and last case
    starts, duration in days (last start minus first), whether it is active, the settings of its
    links, its latest link's date, and how many links have no direction."""

    id: str
    size: int
    generations: int
    first_start: date
    last_start: date
    duration_days: int
    active: bool
    settings: tuple[str, ...]
    last_exposure: date | None
    undirected: int


@dataclass(frozen=True)
class ChainGraph:
    """A chain at the date `at` with its cases (earliest first) and links, for visualisation."""

    at: date
    chain: Chain
    nodes: tuple[Node, ...]
    edges: tuple[Edge, ...]


def chains_at(
    at: date, lookback_days: int, cases: Iterable[ChainCase], links: Iterable[Link]
) -> list[ChainGraph]:
    """Every chain at `at` (chains of one included), newest first: latest case start first, then
    latest first start, then id. Cases starting after `at` and links to them or beginning after it
    are left out, so the same data answers for any date."""
    known = {case.ref: case for case in cases if case.start <= at}
    edges: dict[tuple[str, str, date, str], Edge] = {}
    for link in links:
        if link.a == link.b or link.a not in known or link.b not in known or link.date_from > at:
            continue
        day = min(link.date_to, at)
        key = (min(link.a, link.b), max(link.a, link.b), day, link.setting)
        if key not in edges:
            edges[key] = _edge(known[link.a], known[link.b], day, link.setting)
    parent = {ref: ref for ref in known}
    for edge in edges.values():
        _union(parent, edge.source, edge.target)
    members: dict[str, list[ChainCase]] = {}
    for ref, case in known.items():
        members.setdefault(_root(parent, ref), []).append(case)
    links_of: dict[str, list[Edge]] = {}
    for edge in edges.values():
        links_of.setdefault(_root(parent, edge.source), []).append(edge)
    graphs = [_graph(at, group, links_of.get(root, []), lookback_days) for root, group in members.items()]
    graphs.sort(key=lambda graph: (-graph.chain.last_start.toordinal(), -graph.chain.first_start.toordinal(),
                                   graph.chain.id))  # fmt: skip
    return graphs


def _edge(a: ChainCase, b: ChainCase, day: date, setting: str) -> Edge:
    if a.known and b.known and a.start != b.start:
        earlier, later = (a, b) if a.start < b.start else (b, a)
        return Edge(earlier.ref, later.ref, day, setting, directed=True)
    first, second = sorted((a, b), key=lambda case: (case.start, case.ref))
    return Edge(first.ref, second.ref, day, setting, directed=False)


def _graph(at: date, group: list[ChainCase], edges: list[Edge], lookback_days: int) -> ChainGraph:
    group.sort(key=lambda case: (case.start, case.ref))
    before: dict[str, list[str]] = {}
    for edge in edges:
        if edge.directed:
            before.setdefault(edge.target, []).append(edge.source)
    # A directed link goes from an earlier start to a later one: in start order, causes come first.
    generation: dict[str, int] = {}
    for case in group:
        generation[case.ref] = 1 + max((generation[source] for source in before.get(case.ref, ())), default=0)
    edges.sort(key=lambda edge: (edge.date, edge.source, edge.target, edge.setting))
    last_exposure = max((edge.date for edge in edges), default=None)
    first, last = group[0].start, group[-1].start
    chain = Chain(
        id=group[0].ref,
        size=len(group),
        generations=max(generation.values()),
        first_start=first,
        last_start=last,
        duration_days=(last - first).days,
        active=last_exposure is not None and last_exposure >= at - timedelta(days=lookback_days),
        settings=tuple(sorted({edge.setting for edge in edges})),
        last_exposure=last_exposure,
        undirected=sum(1 for edge in edges if not edge.directed),
    )
    nodes = tuple(Node(case.ref, case.start, case.known, generation[case.ref]) for case in group)
    return ChainGraph(at, chain, nodes, tuple(edges))


def _root(parent: dict[str, str], ref: str) -> str:
    while parent[ref] != ref:
        parent[ref] = parent[parent[ref]]
        ref = parent[ref]
    return ref


def _union(parent: dict[str, str], a: str, b: str) -> None:
    first, second = _root(parent, a), _root(parent, b)
    if first != second:
        parent[max(first, second)] = min(first, second)


class ChainError(Exception):
    """A chain question that has no answer: `status` is the HTTP status, `field` the part at fault."""

    def __init__(self, message: str, status: int = HTTPStatus.NOT_FOUND, field: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.title = "No such chain" if status == HTTPStatus.NOT_FOUND else "Invalid date"
        self.field = field


@dataclass(frozen=True)
class ChainPage:
    """A page of chains at a date, and how many chains the filters kept in all."""

    at: date
    total: int
    items: list[Chain]


def list_chains(
    platform: Platform,
    request: Request,
    at: date | None = None,
    *,
    active: bool | None = None,
    min_size: int = 2,
    limit: int = 100,
    offset: int = 0,
) -> ChainPage:
    """For surveillance: the chains at `at` (default today) of at least `min_size` cases, only the
    active (or inactive) ones when `active` is given, newest first, with their total."""

    def read(session: Session) -> ChainPage:
        guard(platform, session, request, "list", None)
        day = _day(platform, at)
        graphs = chains_in(session, day, platform.policy.tracing.lookback_days)
        kept = [
            graph.chain
            for graph in graphs
            if graph.chain.size >= min_size and (active is None or graph.chain.active == active)
        ]
        return ChainPage(day, len(kept), kept[offset : offset + limit])

    return platform.run(read)


def chain_graph(platform: Platform, request: Request, chain_id: str, at: date | None = None) -> ChainGraph:
    """For surveillance: the cases and links of the chain `chain_id` at `at` (default today), read
    outwards from its case alone. Raises ChainError (404) when no chain has that id at that date."""

    def read(session: Session) -> ChainGraph:
        guard(platform, session, request, "list", None)
        day = _day(platform, at)
        case = session.get(CaseRow, chain_id)
        nowhere = f"no chain has the id {chain_id} on {day.isoformat()}"
        if case is None:
            raise ChainError(f"{nowhere}: no case has that ref; chain ids are listed by GET /tracing/chains")
        cases, links = _component(session, [case.person_ref], day)
        mine = cases.get(case.person_ref)
        if mine is None:
            raise ChainError(f"{nowhere}: that case is not a confirmed case started by then")
        if mine.ref != chain_id:
            raise ChainError(
                f"{nowhere}: the same person's first case, {mine.ref}, stands for them in chains"
            )
        graphs = chains_at(day, platform.policy.tracing.lookback_days, cases.values(), links)
        graph = next(graph for graph in graphs if any(node.case == chain_id for node in graph.nodes))
        if graph.chain.id != chain_id:
            raise ChainError(
                f"{nowhere}: that case belongs to the chain {graph.chain.id}, named by its earliest case"
            )
        return graph

    return platform.run(read)


def active_chains_in(session: Session, at: date, lookback_days: int) -> list[ChainGraph]:
    """Every active chain at `at`, newest first as `chains_at` orders them, read outwards from the
    links within the lookback alone: the cost follows the active chains, not every case there is."""
    confirmed = select(CaseRow.person_ref).where(CaseRow.status == CONFIRMED)
    recent = select(ExposureRow.person_ref, ExposureRow.contact_ref).where(
        ExposureRow.contact_ref.in_(confirmed),
        ExposureRow.person_ref.in_(confirmed),
        ExposureRow.date_to >= at - timedelta(days=lookback_days),
        ExposureRow.date_from <= at,
    )
    people = {person for pair in session.execute(recent) for person in pair}
    graphs = {graph.chain.id: graph for graph in chains_of(session, people, at, lookback_days).values()}
    active = [graph for graph in graphs.values() if graph.chain.active]
    active.sort(key=lambda graph: (-graph.chain.last_start.toordinal(), -graph.chain.first_start.toordinal(),
                                   graph.chain.id))  # fmt: skip
    return active


def chains_in(session: Session, at: date, lookback_days: int) -> list[ChainGraph]:
    """Every chain at `at`, chains of one included, read from the store (see `chains_at`)."""
    people = first_cases(session, at, None)
    # From the cases to the exposures naming them as contacts: every link names a case as its contact,
    # and most exposures name someone who never becomes one, so this reads a small part of them.
    query = (
        select(
            ExposureRow.id, ExposureRow.person_ref, ExposureRow.contact_ref, ExposureRow.date_from,
            ExposureRow.date_to, ExposureRow.setting,
        )
        .select_from(CaseRow)
        .join(ExposureRow, ExposureRow.contact_ref == CaseRow.person_ref)
        .where(
            CaseRow.status == CONFIRMED,
            ExposureRow.person_ref.in_(select(CaseRow.person_ref).where(CaseRow.status == CONFIRMED)),
            ExposureRow.date_from <= at,
        )
    )  # fmt: skip
    rows = {
        row_id: (a, b, date_from, date_to, setting)
        for row_id, a, b, date_from, date_to, setting in session.execute(query)
    }
    links = [
        Link(people[a].ref, people[b].ref, date_from, date_to, setting)
        for a, b, date_from, date_to, setting in rows.values()
        if a in people and b in people
    ]
    return chains_at(at, lookback_days, people.values(), links)


def chains_of(
    session: Session, people: Collection[str], at: date, lookback_days: int
) -> dict[str, ChainGraph]:
    """The chain holding each of `people`'s case at `at`, by person (those with no confirmed case
    started by then are left out), read outwards from them alone: the cost follows their chains' sizes,
    not the country's."""
    wanted = set(people)
    cases, links = _component(session, wanted, at)
    chains: dict[str, ChainGraph] = {}
    by_case = {case.ref: person for person, case in cases.items()}
    for graph in chains_at(at, lookback_days, cases.values(), links):
        for node in graph.nodes:
            person = by_case[node.case]
            if person in wanted:
                chains[person] = graph
    return chains


def _component(
    session: Session, people: Collection[str], at: date
) -> tuple[dict[str, ChainCase], list[Link]]:
    """The cases (by person) and links of the chains holding `people`'s cases at `at`, by breadth-first
    search."""
    cases = first_cases(session, at, people)
    checked = set(cases)
    frontier = list(cases)
    rows: dict[int, tuple[str, str, date, date, str]] = {}
    while frontier:
        found: set[str] = set()
        for row_id, a, b, date_from, date_to, setting in _exposures_of(session, frontier, at):
            rows[row_id] = (a, b, date_from, date_to, setting)
            found |= {a, b} - checked
        checked |= found
        reached = first_cases(session, at, found)
        cases.update(reached)
        frontier = list(reached)
    links = [
        Link(cases[a].ref, cases[b].ref, date_from, date_to, setting)
        for a, b, date_from, date_to, setting in rows.values()
        if a in cases and b in cases
    ]
    return cases, links


def _exposures_of(
    session: Session, people: Collection[str], at: date
) -> Iterator[Row[int, str, str, date, date, str]]:
    """The exposures of `people` begun by `at` whose other end is a confirmed case: only those can be
    links, and most exposures name someone who never becomes a case. An exposure between two of
    `people` may come twice."""
    columns = (
        ExposureRow.id, ExposureRow.person_ref, ExposureRow.contact_ref, ExposureRow.date_from,
        ExposureRow.date_to, ExposureRow.setting,
    )  # fmt: skip
    ends = (
        (ExposureRow.person_ref, ExposureRow.contact_ref),
        (ExposureRow.contact_ref, ExposureRow.person_ref),
    )
    for chunk in in_lists(people):
        for mine, other in ends:
            case = and_(CaseRow.person_ref == other, CaseRow.status == CONFIRMED)
            query = (
                select(*columns)
                .join(CaseRow, case)
                .where(mine.in_(chunk), ExposureRow.date_from <= at)
                .distinct()
            )
            yield from session.execute(query)


def first_cases(session: Session, at: date, people: Collection[str] | None) -> dict[str, ChainCase]:
    """Each person's first confirmed case starting on or before `at` (everyone's when `people` is
    None), closed or not."""
    found: dict[str, ChainCase] = {}
    for chunk in [None] if people is None else in_lists(people):
        positive = select(ResultRow.person_ref, func.min(ResultRow.sample_date).label("sampled")).where(
            ResultRow.value == POSITIVE
        )
        if chunk is not None:
            positive = positive.where(ResultRow.person_ref.in_(chunk))
        sampled = positive.group_by(ResultRow.person_ref).subquery()
        query = (
            select(
                CaseRow.person_ref, CaseRow.ref, CaseRow.onset_date, CaseRow.asymptomatic,
                CaseRow.reported_at, sampled.c.sampled,
            )
            .outerjoin(sampled, sampled.c.person_ref == CaseRow.person_ref)
            .where(CaseRow.status == CONFIRMED)
        )  # fmt: skip
        if chunk is not None:
            query = query.where(CaseRow.person_ref.in_(chunk))
        for person, ref, onset, asymptomatic, reported_at, first_sample in session.execute(query):
            case = _case(ref, onset, asymptomatic, first_sample, reported_at)
            if case.start > at:
                continue
            held = found.get(person)
            if held is None or (case.start, case.ref) < (held.start, held.ref):
                found[person] = case
    return found


def _case(
    ref: str, onset: date | None, asymptomatic: bool, sampled: date | None, reported: datetime
) -> ChainCase:
    return ChainCase(
        ref, case_start(onset, asymptomatic, sampled, reported), onset is not None or sampled is not None
    )


def _day(platform: Platform, at: date | None) -> date:
    today = platform.clock.now().date()
    if at is None:
        return today
    if at > today:
        raise ChainError(
            f"the date asked ({at.isoformat()}) is after today ({today.isoformat()}); "
            "chains are known up to today",
            HTTPStatus.UNPROCESSABLE_ENTITY,
            field="query.at",
        )
    return at
