"""The review queue of possible duplicates: list the pairs, merge one, declare it two people, undo
a merge. Included before the people router, whose /people/{ref} would otherwise take /people/duplicates."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel, ConfigDict, Field

from serment.people.duplicates import (
    DuplicatePair,
    Merge,
    PairDecision,
    declare_distinct,
    list_duplicates,
    merge_duplicates,
    undo_merge,
)
from serment.web.api.people import PersonOut, person_out
from serment.web.auth import Caller
from serment.web.dependencies import CurrentInstallation
from serment.web.grants import granted

router = APIRouter(prefix="/people", tags=["duplicates"])
PairId = Annotated[int, Path(ge=1, le=2**62, description="A pair's id, as the queue lists it.")]
MergeId = Annotated[int, Path(ge=1, le=2**62, description="A merge's id, as the merge returned it.")]


class PairOut(BaseModel):
    """Two records that may be one person, side by side, with the score and each field's agreement
    (family_name, given_names: exact, similar, partial, different; birth_date: exact, swapped, typo,
    different; sex: same, different, unknown; address: same, postal_code, different, missing)."""

    id: int
    score: float = Field(description="The Fellegi-Sunter score in bits: the higher, the likelier one person.")
    agreement: dict[str, str]
    found_at: datetime
    people: list[PersonOut]


class PairsOut(BaseModel):
    """A page of the open pairs, best score first."""

    total: int
    items: list[PairOut]


class MergeIn(BaseModel):
    """Which person of the pair to keep; the other is merged into them."""

    model_config = ConfigDict(extra="forbid")
    keep: str = Field(pattern=r"^[a-z2-7]{26}$", description="The ref of the person to keep.")


class MergeOut(BaseModel):
    """A merge, and how many rows of each kind it moved."""

    id: int
    pair: int
    kept: str
    merged: str
    moved: dict[str, int]
    merged_at: datetime
    merged_by: str
    undone_at: datetime | None
    undone_by: str | None


class DecisionOut(BaseModel):
    """What became of a pair."""

    id: int
    status: str
    decided_at: datetime | None
    decided_by: str | None


@router.get(
    "/duplicates",
    openapi_extra=granted("merge", on_person=False),
    response_model=PairsOut,
    summary="The review queue of possible duplicates",
)
def get_duplicates(
    caller: Caller,
    installation: CurrentInstallation,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> PairsOut:
    """Each identity shown is an access to that person, checked by the guard and audited."""
    total, pairs = list_duplicates(installation.platform, caller, limit=limit, offset=offset)
    return PairsOut(total=total, items=[_pair_out(pair) for pair in pairs])


@router.post(
    "/duplicates/{pair}/merge",
    openapi_extra=granted("merge", on_person=False),
    response_model=MergeOut,
    summary="Merge a pair into one person",
)
def post_merge(pair: PairId, body: MergeIn, caller: Caller, installation: CurrentInstallation) -> MergeOut:
    """The other person's results, cases, exposures, oppositions and patient account move to the one
    kept; 409 if the pair was already decided, 422 if `keep` is not one of the pair."""
    return _merge_out(merge_duplicates(installation.platform, caller, pair, body.keep))


@router.post(
    "/duplicates/{pair}/not-duplicate",
    openapi_extra=granted("merge", on_person=False),
    response_model=DecisionOut,
    summary="Declare a pair two people",
)
def post_not_duplicate(pair: PairId, caller: Caller, installation: CurrentInstallation) -> DecisionOut:
    """The pair is closed and never proposed again; 409 if it was already decided."""
    return _decision_out(declare_distinct(installation.platform, caller, pair))


@router.post(
    "/merges/{merge}/undo",
    openapi_extra=granted("merge", on_person=False),
    response_model=MergeOut,
    summary="Undo a merge",
)
def post_undo(merge: MergeId, caller: Caller, installation: CurrentInstallation) -> MergeOut:
    """Moves back exactly what the merge moved; the pair stays closed (undone). 409 if already undone."""
    return _merge_out(undo_merge(installation.platform, caller, merge))


def _pair_out(pair: DuplicatePair) -> PairOut:
    return PairOut(
        id=pair.id,
        score=pair.score,
        agreement=dict(pair.levels),
        found_at=pair.found_at,
        people=[person_out(record) for record in pair.people],
    )


def _merge_out(merge: Merge) -> MergeOut:
    return MergeOut(
        id=merge.id,
        pair=merge.pair,
        kept=merge.kept,
        merged=merge.merged,
        moved=dict(merge.moved),
        merged_at=merge.merged_at,
        merged_by=merge.merged_by,
        undone_at=merge.undone_at,
        undone_by=merge.undone_by,
    )


def _decision_out(decision: PairDecision) -> DecisionOut:
    return DecisionOut(
        id=decision.id, status=decision.status, decided_at=decision.decided_at, decided_by=decision.decided_by
    )
