"""Teams of tracers and the regions they cover; which tracer gets a new task.

A team is named in `tracing_teams` with the regions it covers (French départements, such as 75, 2A
or 974, comma-separated) or `*` for any region, the unknown one included. Its tracers are the
accounts with role `tracer` whose organisation is the team's name. A task goes to the team covering
its region (a team naming the region before a `*` team), then round robin among its active tracers:
the one whose last assignment is the oldest, those never assigned first, ties by name.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from serment.access import Platform, Request, guard
from serment.audit import append
from serment.people.areas import department_of
from serment.store.tables import TracingTaskRow, TracingTeamRow, UserRow

TRACER_ROLE = "tracer"
ANY_REGION = "*"
_REGION = re.compile(r"[0-9]{2,3}|2A|2B")
_TEAM_NAME_MAX = 128


# When a tracer was last given a task, and the how-manieth in its transaction (stored ones: 0): every
# task of a transaction has the same time, so the count keeps the turns going round within it.
Turn = tuple[datetime, int]
_NEVER: Turn = (datetime.min.replace(tzinfo=UTC), 0)


class TeamError(ValueError):
    """A team that cannot be added as asked; the message says why."""


@dataclass(frozen=True)
class Team:
    """A team and the regions it covers (`*`: any)."""

    name: str
    regions: tuple[str, ...]

    def covers(self, region: str | None) -> bool:
        """Whether the team names `region` itself (not through `*`)."""
        return region is not None and region in self.regions

    @property
    def covers_any(self) -> bool:
        """Whether the team takes any region, the unknown one included."""
        return ANY_REGION in self.regions


def region_of(postal_code: str | None) -> str | None:
    """The French département of a postal code (see `people.areas.department_of`): the region a call is
    routed by."""
    return department_of(postal_code)


def team_for(teams: Iterable[Team], region: str | None) -> Team | None:
    """The team a task of `region` goes to: the first by name that names the region, else the first
    by name that covers any region; None if no team covers it."""
    ordered = sorted(teams, key=lambda team: team.name)
    for team in ordered:
        if team.covers(region):
            return team
    return next((team for team in ordered if team.covers_any), None)


def next_tracer(last_assigned: Mapping[str, Turn | None]) -> str | None:
    """The tracer whose last assignment is the oldest (never assigned first, ties by name)."""
    if not last_assigned:
        return None

    def turn(name: str) -> tuple[bool, Turn, str]:
        last = last_assigned[name]
        return (last is not None, last or _NEVER, name)

    return min(last_assigned, key=turn)


def parse_regions(text: str) -> tuple[str, ...]:
    """The regions of `--regions 75,92,2A` or `*`, checked; TeamError names the first bad one."""
    regions = tuple(dict.fromkeys(part.strip().upper() for part in text.split(",") if part.strip()))
    if not regions:
        raise TeamError("name the regions the team covers, such as 75,92 or * for any region")
    for region in regions:
        if region != ANY_REGION and not _REGION.fullmatch(region):
            raise TeamError(
                f"{region!r} is not a region: give départements such as 75, 2A or 974, or * for any region"
            )
    return regions


class Assigner:
    """Assigns tasks within one transaction: the teams, their active tracers and when each was last
    given a task, read once and kept up to date as tasks are handed out."""

    def __init__(self, session: Session) -> None:
        self.teams = [
            Team(row.name, tuple(row.regions.split(",")))
            for row in session.scalars(select(TracingTeamRow).order_by(TracingTeamRow.name))
        ]
        members = session.execute(
            select(UserRow.name, UserRow.organisation).where(
                UserRow.role == TRACER_ROLE,
                UserRow.disabled_at.is_(None),
                UserRow.organisation.in_([team.name for team in self.teams]),
            )
        ).all()
        last = dict(
            session.execute(
                select(TracingTaskRow.tracer, func.max(TracingTaskRow.created_at))
                .where(TracingTaskRow.tracer.in_([name for name, _ in members]))
                .group_by(TracingTaskRow.tracer)
            ).all()
        )
        self.tracers: dict[str, dict[str, Turn | None]] = {}
        for name, organisation in members:
            if organisation is None:
                continue
            stored = last.get(name)
            self.tracers.setdefault(organisation, {})[name] = (stored, 0) if stored is not None else None
        self._handed = 0

    def assign(
        self, region: str | None, now: datetime, *, prefer: str | None = None
    ) -> tuple[str | None, str | None]:
        """The team and tracer for a task of `region` handed out at `now`: `prefer` (the tracer who
        already follows the person) if still active in that team, else the next in turn; (team, None)
        when the team has no active tracer, (None, None) when no team covers the region."""
        team = team_for(self.teams, region)
        if team is None:
            return None, None
        tracers = self.tracers.get(team.name, {})
        chosen = prefer if prefer in tracers else next_tracer(tracers)
        if chosen is None:
            return team.name, None
        self._handed += 1
        tracers[chosen] = (now, self._handed)
        return team.name, chosen


@dataclass(frozen=True)
class TeamSummary:
    """A team as its administrator sees it: regions, tracers, and the open tasks waiting for each."""

    name: str
    regions: tuple[str, ...]
    tracers: tuple[str, ...]
    open_tasks: int
    unassigned: int


@dataclass(frozen=True)
class Teams:
    """Every team, and the open tasks no team covers, by region (None: no address)."""

    teams: tuple[TeamSummary, ...]
    uncovered: Mapping[str | None, int]


def add_team(platform: Platform, request: Request, name: str, regions: Sequence[str]) -> Team:
    """Create a team covering `regions`; its tracers are the tracer accounts of that organisation."""
    name = name.strip()
    if not name or len(name) > _TEAM_NAME_MAX:
        raise TeamError(f"a team name has 1 to {_TEAM_NAME_MAX} characters")
    regions = parse_regions(",".join(regions))

    def create(session: Session) -> Team:
        guard(platform, session, request, "manage_users", None)
        if session.get(TracingTeamRow, name) is not None:
            raise TeamError(f"a team named {name!r} already exists")
        now = platform.clock.now()
        session.add(TracingTeamRow(name=name, regions=",".join(regions), created_at=now))
        entry = request.actor.entry(
            "team_added", "ok", purpose=request.purpose, request_id=request.request_id,
            detail={"team": name, "regions": ",".join(regions)},
        )  # fmt: skip
        append(session, entry, now)
        return Team(name, regions)

    return platform.run(create)


def list_teams(platform: Platform, request: Request) -> Teams:
    """Every team with its active tracers and its open tasks, and the open tasks no team took."""

    def read(session: Session) -> Teams:
        guard(platform, session, request, "manage_users", None)
        open_tasks = TracingTaskRow.closed_at.is_(None)
        counts: dict[tuple[str | None, bool], int] = {}
        query = select(TracingTaskRow.team, TracingTaskRow.tracer.is_(None), func.count()).where(open_tasks)
        for team, unassigned, count in session.execute(
            query.group_by(TracingTaskRow.team, TracingTaskRow.tracer.is_(None))
        ):
            counts[team, bool(unassigned)] = counts.get((team, bool(unassigned)), 0) + count
        assigner = Assigner(session)
        teams = tuple(
            TeamSummary(
                team.name,
                team.regions,
                tuple(sorted(assigner.tracers.get(team.name, {}))),
                counts.get((team.name, False), 0) + counts.get((team.name, True), 0),
                counts.get((team.name, True), 0),
            )
            for team in assigner.teams
        )
        uncovered: dict[str | None, int] = {}
        by_region = select(TracingTaskRow.region, func.count()).where(
            open_tasks, TracingTaskRow.team.is_(None)
        )
        for region, count in session.execute(by_region.group_by(TracingTaskRow.region)):
            uncovered[region] = count
        return Teams(teams, uncovered)

    return platform.run(read)
