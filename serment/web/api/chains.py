"""Transmission chains and cluster alerts for epidemiologists: pseudonymous case refs, dates, settings,
place ids and counts, never an identity."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel, ConfigDict, Field

from serment.tracing.chains import Chain, ChainGraph, chain_graph, list_chains
from serment.tracing.clusters import ClusterAlert, change_cluster_status, list_clusters
from serment.web.api.params import IsoDate
from serment.web.auth import Caller
from serment.web.dependencies import CurrentInstallation
from serment.web.grants import granted

router = APIRouter(prefix="/tracing", tags=["tracing"])
ChainId = Annotated[
    str, Path(pattern=r"^[a-z2-7]{26}$", description="A chain's id: the case ref of its earliest case.")
]
AlertId = Annotated[int, Path(ge=1, le=2**62, description="A cluster alert's id, as the list gives it.")]
At = Annotated[
    IsoDate | None, Query(description="The date the chains are computed for (YYYY-MM-DD); default today.")
]
Status = Literal["new", "investigating", "closed"]
# A name for the type, since EdgeOut has a field called `date`.
Day = date


class ChainOut(BaseModel):
    """A chain: connected cases of case-to-case exposures, named by its earliest case."""

    id: str = Field(description="The case ref of the chain's earliest case (ties: smallest ref).")
    size: int = Field(description="How many cases it holds.")
    generations: int = Field(description="The number of cases on its longest directed path.")
    first_start: date = Field(description="The start (onset, sample or report) of its earliest case.")
    last_start: date = Field(description="The start of its latest case.")
    duration_days: int = Field(description="Days from the first start to the last.")
    active: bool = Field(description="Whether one of its exposures is within the lookback of `at`.")
    settings: list[str] = Field(description="The settings of its exposures.")
    last_exposure: date | None = Field(description="The date of its latest exposure.")
    undirected: int = Field(
        description="How many of its exposures have no direction (equal or unknown starts)."
    )


class ChainsOut(BaseModel):
    """A page of chains at a date, newest first (latest case start first)."""

    at: date
    total: int
    items: list[ChainOut]


class NodeOut(BaseModel):
    """A case of a chain."""

    case: str = Field(description="The case's pseudonymous ref.")
    start: date = Field(description="The day the case starts: onset, first positive sample, or report.")
    start_known: bool = Field(description="False when only the report date gives the start.")
    generation: int = Field(description="Cases on the longest directed path ending here (1: none before).")


class EdgeOut(BaseModel):
    """An exposure between two cases of the chain."""

    from_: str = Field(serialization_alias="from", description="A case ref: the earlier case when directed.")
    to: str = Field(description="A case ref: the later case when directed.")
    date: Day = Field(description="The exposure's last day on or before `at`.")
    setting: str
    directed: bool = Field(description="False when both cases started the same day, or a start is unknown.")


class ChainGraphOut(BaseModel):
    """A chain's cases and exposures, for visualisation."""

    id: str
    at: date
    nodes: list[NodeOut]
    edges: list[EdgeOut]


class ClusterOut(BaseModel):
    """A cluster alert: confirmed cases sharing a place within the policy's window."""

    id: int
    place_id: str
    setting: str | None = Field(description="The setting the place's exposures name most.")
    first_date: date = Field(description="The earliest case start the alert covers.")
    last_date: date = Field(description="The latest case start the alert covers.")
    cases: int
    status: str = Field(description="new, investigating or closed.")
    raised_at: datetime
    updated_at: datetime
    updated_by: str | None = Field(description="Who last changed its status; null while new.")


class ClustersOut(BaseModel):
    """A page of cluster alerts, latest raised first."""

    total: int
    items: list[ClusterOut]


class ClusterStatusIn(BaseModel):
    """Where an alert moves: new to investigating or closed, investigating to closed."""

    model_config = ConfigDict(extra="forbid")
    status: Literal["investigating", "closed"]


@router.get(
    "/chains",
    openapi_extra=granted("list", on_person=False),
    response_model=ChainsOut,
    summary="Transmission chains at a date",
)
def get_chains(
    *,
    caller: Caller,
    installation: CurrentInstallation,
    at: At = None,
    active: Annotated[bool | None, Query(description="Only the active (true) or inactive (false).")] = None,
    min_size: Annotated[int, Query(ge=1, le=1_000_000, description="The fewest cases a chain holds.")] = 2,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
) -> ChainsOut:
    """For surveillance: chains of case-to-case exposures, by pseudonymous case refs; 422 for a date
    after today."""
    page = list_chains(
        installation.platform, caller, at=at, active=active, min_size=min_size, limit=limit, offset=offset
    )
    return ChainsOut(at=page.at, total=page.total, items=[_chain_out(chain) for chain in page.items])


@router.get(
    "/chains/{chain}/graph",
    openapi_extra=granted("list", on_person=False),
    response_model=ChainGraphOut,
    summary="A chain's cases and exposures",
)
def get_chain_graph(
    chain: ChainId, caller: Caller, installation: CurrentInstallation, at: At = None
) -> ChainGraphOut:
    """For visualisation: the chain's cases with their generation, and its exposures with their
    direction; 404 when no chain has that id at that date (its earliest case had not started, or it
    has since joined an older chain)."""
    return _graph_out(chain_graph(installation.platform, caller, chain, at=at))


@router.get(
    "/clusters",
    openapi_extra=granted("list", on_person=False),
    response_model=ClustersOut,
    summary="Cluster alerts",
)
def get_clusters(
    *,
    caller: Caller,
    installation: CurrentInstallation,
    status: Status | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
) -> ClustersOut:
    """For surveillance: the alerts raised when enough cases shared a place, of one status if given."""
    total, alerts = list_clusters(installation.platform, caller, status=status, limit=limit, offset=offset)
    return ClustersOut(total=total, items=[_cluster_out(alert) for alert in alerts])


@router.patch(
    "/clusters/{alert}",
    openapi_extra=granted("investigate", on_person=False),
    response_model=ClusterOut,
    summary="Investigate or close a cluster alert",
)
def patch_cluster(
    alert: AlertId, body: ClusterStatusIn, caller: Caller, installation: CurrentInstallation
) -> ClusterOut:
    """Moves an alert from new to investigating or closed, or from investigating to closed; 409 for any
    other move, 404 for an unknown alert."""
    return _cluster_out(change_cluster_status(installation.platform, caller, alert, body.status))


def _chain_out(chain: Chain) -> ChainOut:
    return ChainOut(
        id=chain.id, size=chain.size, generations=chain.generations, first_start=chain.first_start,
        last_start=chain.last_start, duration_days=chain.duration_days, active=chain.active,
        settings=list(chain.settings), last_exposure=chain.last_exposure, undirected=chain.undirected,
    )  # fmt: skip


def _graph_out(graph: ChainGraph) -> ChainGraphOut:
    return ChainGraphOut(
        id=graph.chain.id,
        at=graph.at,
        nodes=[
            NodeOut(
                case=node.case, start=node.start, start_known=node.start_known, generation=node.generation
            )
            for node in graph.nodes
        ],
        edges=[
            EdgeOut(
                from_=edge.source,
                to=edge.target,
                date=edge.date,
                setting=edge.setting,
                directed=edge.directed,
            )
            for edge in graph.edges
        ],
    )


def _cluster_out(alert: ClusterAlert) -> ClusterOut:
    return ClusterOut(
        id=alert.id, place_id=alert.place_id, setting=alert.setting, first_date=alert.first_date,
        last_date=alert.last_date, cases=alert.cases, status=alert.status,
        raised_at=alert.raised_at, updated_at=alert.updated_at, updated_by=alert.updated_by,
    )  # fmt: skip
