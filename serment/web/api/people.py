"""People: register or find a person, read them through the guard, their oppositions and accesses."""

from __future__ import annotations

from datetime import date, datetime
from http import HTTPStatus
from typing import Annotated, Literal

from fastapi import APIRouter, HTTPException, Path, Query, Response
from pydantic import BaseModel, ConfigDict, Field

from serment.access.oversight import access_history
from serment.people import (
    Address,
    PersonDetails,
    PersonRecord,
    erase_person,
    list_oppositions,
    person_details,
    read_person,
    register_opposition,
    register_person,
    update_person,
    withdraw_opposition,
)
from serment.web.auth import Caller
from serment.web.dependencies import CurrentInstallation
from serment.web.grants import granted

router = APIRouter(prefix="/people", tags=["people"])
Ref = Annotated[
    str, Path(pattern=r"^[a-z2-7]{26}$", description="A person's ref, as registration returned it.")
]


class AddressIn(BaseModel):
    """A postal address."""

    model_config = ConfigDict(extra="forbid")
    line: str = Field(min_length=1, max_length=200)
    postal_code: str = Field(min_length=1, max_length=16)
    city: str = Field(min_length=1, max_length=100)


class PersonIn(BaseModel):
    """An identity, as a clinician or a lab knows it."""

    model_config = ConfigDict(extra="forbid")
    nir: str | None = Field(default=None, max_length=32, description="French NIR, 13 characters and the key.")
    family_name: str = Field(min_length=1, max_length=200)
    given_names: str = Field(min_length=1, max_length=200)
    birth_date: str = Field(pattern=r"^\d{4}-\d{2}-\d{2}$", description="YYYY-MM-DD")
    sex: Literal["F", "M", "X"]
    address: AddressIn | None = None
    phone: str | None = Field(default=None, max_length=32)
    email: str | None = Field(default=None, max_length=320)
    external_ref: str | None = Field(default=None, max_length=64, description="The sender's own id.")


class PersonPatch(BaseModel):
    """The fields to change; a contact field sent as null is removed. Omitted fields stay."""

    model_config = ConfigDict(extra="forbid")
    nir: str | None = Field(default=None, max_length=32)
    family_name: str | None = Field(default=None, min_length=1, max_length=200)
    given_names: str | None = Field(default=None, min_length=1, max_length=200)
    birth_date: str | None = Field(default=None, pattern=r"^\d{4}-\d{2}-\d{2}$")
    sex: Literal["F", "M", "X"] | None = None
    address: AddressIn | None = None
    phone: str | None = Field(default=None, max_length=32)
    email: str | None = Field(default=None, max_length=320)
    external_ref: str | None = Field(default=None, max_length=64)


def person_details_of(body: PersonIn, today: date) -> PersonDetails:
    """The checked details of a person sent as JSON (IdentityErrors names every bad field)."""
    return person_details(
        nir=body.nir,
        family_name=body.family_name,
        given_names=body.given_names,
        birth_date=body.birth_date,
        sex=body.sex,
        address=Address(**body.address.model_dump()) if body.address else None,
        phone=body.phone,
        email=body.email,
        external_ref=body.external_ref,
        today=today,
    )


class RegisteredOut(BaseModel):
    """The person's ref; `created` says whether they were new."""

    ref: str
    created: bool
    strength: Literal["nir", "demographic"]


class PersonOut(BaseModel):
    """A person's identity and contact details."""

    ref: str
    strength: Literal["nir", "demographic"]
    nir: str | None
    family_name: str
    given_names: str
    birth_date: str
    sex: Literal["F", "M", "X"]
    address: AddressIn | None
    phone: str | None
    email: str | None
    external_ref: str | None
    created_at: datetime
    last_event_at: datetime


class OppositionIn(BaseModel):
    """The purpose the person opposes, and how the objection reached Serment."""

    model_config = ConfigDict(extra="forbid")
    purpose: str = Field(min_length=1, max_length=32)
    channel: Literal["web", "api", "mail", "phone", "in_person"] = "api"


class OppositionOut(BaseModel):
    """An opposition, active until withdrawn."""

    purpose: str
    channel: str
    registered_at: datetime
    registered_by: str
    withdrawn_at: datetime | None


class AccessOut(BaseModel):
    """One access to the person's record."""

    at: datetime
    actor: str
    role: str | None
    organisation: str | None
    purpose: str | None
    action: str
    outcome: str
    reason: str | None


class AccessesOut(BaseModel):
    """A page of the person's access history, newest first."""

    total: int
    items: list[AccessOut]


@router.post(
    "",
    openapi_extra=granted("register", on_person=False),
    response_model=RegisteredOut,
    status_code=HTTPStatus.CREATED,
    responses={HTTPStatus.OK.value: {"model": RegisteredOut, "description": "Already registered."}},
    summary="Register a person, or find them",
)
def post_person(
    body: PersonIn, caller: Caller, installation: CurrentInstallation, response: Response
) -> RegisteredOut:
    """Answers 201 with a new ref, or 200 with the ref of the person already registered."""
    platform = installation.platform
    details = person_details_of(body, platform.clock.now().date())
    registered = register_person(platform, caller, details)
    if not registered.created:
        response.status_code = HTTPStatus.OK
    return RegisteredOut(ref=registered.ref, created=registered.created, strength=registered.strength)


@router.get(
    "/{ref}", openapi_extra=granted("read"), response_model=PersonOut, summary="Read a person's identity"
)
def get_person(ref: Ref, caller: Caller, installation: CurrentInstallation) -> PersonOut:
    """The identity, when the guard allows the caller's role and purpose; 403 with the reason if not."""
    return person_out(read_person(installation.platform, caller, ref))


@router.patch(
    "/{ref}",
    openapi_extra=granted("update"),
    response_model=PersonOut,
    summary="Change a person's identity or contact details",
)
def patch_person(ref: Ref, body: PersonPatch, caller: Caller, installation: CurrentInstallation) -> PersonOut:
    """Only the fields sent change; 409 if the new identity is another registered person's."""
    changes: dict[str, str | Address | None] = {}
    for name in body.model_fields_set:
        value = getattr(body, name)
        changes[name] = Address(**value.model_dump()) if isinstance(value, AddressIn) else value
    return person_out(update_person(installation.platform, caller, ref, changes))


@router.delete(
    "/{ref}",
    openapi_extra=granted("erase"),
    status_code=HTTPStatus.NO_CONTENT,
    summary="Erase a person's identity",
)
def delete_person(ref: Ref, caller: Caller, installation: CurrentInstallation) -> Response:
    """Erases the identity and pseudonyms where the policy allows it; the ref remains, empty."""
    erase_person(installation.platform, caller, ref)
    return Response(status_code=HTTPStatus.NO_CONTENT)


def person_out(record: PersonRecord) -> PersonOut:
    """A person's record as the API shows it."""
    details = record.details
    return PersonOut(
        ref=record.ref,
        strength=record.strength,
        nir=details.identity.nir,
        family_name=details.family_name,
        given_names=details.given_names,
        birth_date=details.identity.birth_date.isoformat(),
        sex=details.identity.sex,
        address=AddressIn(**details.address.__dict__) if details.address else None,
        phone=details.phone,
        email=details.email,
        external_ref=details.external_ref,
        created_at=record.created_at,
        last_event_at=record.last_event_at,
    )


@router.post(
    "/{ref}/oppositions",
    openapi_extra=granted("oppose"),
    response_model=OppositionOut,
    status_code=HTTPStatus.CREATED,
    responses={HTTPStatus.OK.value: {"model": OppositionOut, "description": "Already registered."}},
    summary="Register the person's opposition to a purpose",
)
def post_opposition(
    ref: Ref, body: OppositionIn, caller: Caller, installation: CurrentInstallation, response: Response
) -> OppositionOut:
    """The person themself (purpose self) or the data-protection officer (purpose audit)."""
    opposition, created = register_opposition(installation.platform, caller, ref, body.purpose, body.channel)
    if not created:
        response.status_code = HTTPStatus.OK
    return OppositionOut(**opposition.__dict__)


@router.get(
    "/{ref}/oppositions",
    openapi_extra=granted("oppose"),
    response_model=list[OppositionOut],
    summary="List the person's oppositions",
)
def get_oppositions(ref: Ref, caller: Caller, installation: CurrentInstallation) -> list[OppositionOut]:
    """Active and withdrawn oppositions, oldest first."""
    return [OppositionOut(**item.__dict__) for item in list_oppositions(installation.platform, caller, ref)]


class OppositionWithdrawal(BaseModel):
    """The purpose whose opposition is withdrawn."""

    model_config = ConfigDict(extra="forbid")
    purpose: str = Field(min_length=1, max_length=32)


@router.delete(
    "/{ref}/oppositions",
    openapi_extra=granted("oppose"),
    response_model=OppositionOut,
    summary="Withdraw the person's opposition (purpose in the body or the query)",
)
def delete_opposition_of(
    ref: Ref,
    caller: Caller,
    installation: CurrentInstallation,
    body: OppositionWithdrawal | None = None,
    purpose: Annotated[
        str | None, Query(max_length=32, description="The purpose, if not in the body.")
    ] = None,
) -> OppositionOut:
    """The same as DELETE /people/{ref}/oppositions/{purpose}, for clients that send the purpose as data."""
    chosen = body.purpose if body is not None else purpose
    if chosen is None:
        raise HTTPException(422, detail='name the purpose: a JSON body {"purpose": ...} or ?purpose=...')
    return OppositionOut(**withdraw_opposition(installation.platform, caller, ref, chosen).__dict__)


@router.delete(
    "/{ref}/oppositions/{purpose}",
    openapi_extra=granted("oppose"),
    response_model=OppositionOut,
    summary="Withdraw the person's opposition",
)
def delete_opposition(
    ref: Ref,
    purpose: Annotated[str, Path(max_length=32)],
    caller: Caller,
    installation: CurrentInstallation,
) -> OppositionOut:
    """Withdraws the active opposition to `purpose`; 409 if there is none."""
    return OppositionOut(**withdraw_opposition(installation.platform, caller, ref, purpose).__dict__)


@router.get(
    "/{ref}/accesses",
    openapi_extra=granted("history"),
    response_model=AccessesOut,
    summary="Who accessed the person's record",
)
def get_accesses(
    ref: Ref,
    caller: Caller,
    installation: CurrentInstallation,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> AccessesOut:
    """The person themself (purpose self) or the data-protection officer (purpose audit)."""
    total, items = access_history(installation.platform, caller, ref, limit=limit, offset=offset)
    return AccessesOut(total=total, items=[AccessOut(**item.__dict__) for item in items])
