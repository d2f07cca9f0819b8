"""Reporting: case reports from clinicians, results from labs, contacts, and the surveillance case list."""

from __future__ import annotations

from datetime import date, datetime
from http import HTTPStatus
from typing import Annotated, Literal

from fastapi import APIRouter, Header, Query, Response
from pydantic import BaseModel, ConfigDict, Field, model_validator

from serment.people import PersonDetails
from serment.reporting import (
    NOTE_MAX_LENGTH,
    CaseInput,
    CaseReport,
    ContactInput,
    ExposureInput,
    ReportInvalid,
    ResultInput,
    add_contacts,
    list_cases,
    report_case,
    report_results,
)
from serment.reporting.idempotency import MAX_KEY_LENGTH, fingerprint
from serment.secrecy import IdentityError, IdentityErrors
from serment.web.api.params import IsoDate
from serment.web.api.people import PersonIn, Ref, person_details_of
from serment.web.auth import Caller
from serment.web.dependencies import CurrentInstallation
from serment.web.grants import granted

router = APIRouter(tags=["reporting"])
Status = Literal["suspected", "probable", "confirmed"]
# A name for the type, since ExposureIn has a field called `date`.
Day = date
Setting = Literal["household", "work", "school", "health_care", "venue", "transport", "other"]
Notes = Annotated[
    str | None,
    Field(
        max_length=NOTE_MAX_LENGTH,
        description="Free text, sealed like an identity; only where the policy allows notes.",
    ),
]


class CaseIn(BaseModel):
    """The case: its status, onset (or asymptomatic) and hospitalisation."""

    model_config = ConfigDict(extra="forbid")
    status: Status
    onset_date: date | None = None
    asymptomatic: bool = False
    hospitalised: bool = False
    notes: Notes = None


class ResultIn(BaseModel):
    """A test result."""

    model_config = ConfigDict(extra="forbid")
    sample_date: date
    result_date: date | None = None
    test_type: Literal["rt-pcr", "antigen", "serology"]
    value: Literal["positive", "negative", "indeterminate"]
    loinc: str | None = Field(default=None, max_length=16, pattern=r"^\d{1,8}-\d$")
    lab: str | None = Field(default=None, max_length=128)


class ExposureIn(BaseModel):
    """When (a date, or a range) and where the contact was exposed."""

    model_config = ConfigDict(extra="forbid")
    date: Day | None = None
    date_from: Day | None = None
    date_to: Day | None = None
    setting: Setting
    place_id: str | None = Field(default=None, max_length=64)
    proximity: Literal["close", "distant"] | None = None
    duration_minutes: int | None = Field(default=None, ge=0, le=60 * 24 * 30)
    notes: Notes = None

    @model_validator(mode="after")
    def _one_date(self) -> ExposureIn:
        if self.date is None and (self.date_from is None or self.date_to is None):
            raise ValueError("give the exposure's date, or date_from and date_to")
        if self.date is not None and (self.date_from is not None or self.date_to is not None):
            raise ValueError("give either date or date_from and date_to, not both")
        return self

    def to_input(self) -> ExposureInput:
        """The exposure as the reporting service takes it."""
        start = self.date or self.date_from
        end = self.date or self.date_to
        if start is None or end is None:
            raise ValueError("the exposure has no date")
        return ExposureInput(
            start, end, self.setting, self.place_id, self.proximity, self.duration_minutes, self.notes
        )


class ContactIn(BaseModel):
    """A contact: who, and their exposure."""

    model_config = ConfigDict(extra="forbid")
    person: PersonIn
    exposure: ExposureIn


class ReportIn(BaseModel):
    """One case report: the person, the case, an optional result, the contacts."""

    model_config = ConfigDict(extra="forbid")
    person: PersonIn
    case: CaseIn
    result: ResultIn | None = None
    contacts: list[ContactIn] = Field(default_factory=list, max_length=500)


class ReceiptOut(BaseModel):
    """The refs of what the report created."""

    person: str
    case: str
    result: str | None
    contacts: list[str]


class LabResultIn(ResultIn):
    """A result with the identity of the person tested."""

    person: PersonIn


class LabResultOut(BaseModel):
    """Where a result was filed."""

    person: str
    result: str


class ContactsIn(BaseModel):
    """Contacts of one person."""

    model_config = ConfigDict(extra="forbid")
    contacts: list[ContactIn] = Field(min_length=1, max_length=500)


class ContactsOut(BaseModel):
    """The contacts' refs, in the order sent."""

    contacts: list[str]


class CaseOut(BaseModel):
    """A case for surveillance: pseudonymous refs, no identity."""

    case: str
    person: str
    status: str
    onset_date: date | None
    asymptomatic: bool
    hospitalised: bool
    outcome: str | None
    reported_at: datetime


class CasesOut(BaseModel):
    """A page of cases."""

    total: int
    items: list[CaseOut]


IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        max_length=MAX_KEY_LENGTH,
        description="A key of the sender's choice: a retry with the same key and body gets the first answer.",
    ),
]


@router.post(
    "/reports",
    openapi_extra=granted("report", requires=("register",)),
    response_model=ReceiptOut,
    status_code=HTTPStatus.CREATED,
    summary="Report a case",
)
def post_report(
    body: ReportIn,
    caller: Caller,
    installation: CurrentInstallation,
    response: Response,
    key: IdempotencyKey = None,
) -> ReceiptOut:
    """The person, the case, an optional result and the contacts, stored in one transaction."""
    report = case_report_of(body, installation.platform.clock.now().date())
    receipt = report_case(
        installation.platform,
        caller,
        report,
        idempotency_key=key,
        request_hash=fingerprint(body.model_dump()),
    )
    if receipt.replayed:
        response.headers["Idempotent-Replayed"] = "true"
    return ReceiptOut(
        person=receipt.person, case=receipt.case, result=receipt.result, contacts=list(receipt.contacts)
    )


@router.post(
    "/results",
    openapi_extra=granted("report", requires=("register",)),
    response_model=list[LabResultOut],
    status_code=HTTPStatus.CREATED,
    summary="Report test results",
)
def post_results(
    body: LabResultIn | list[LabResultIn], caller: Caller, installation: CurrentInstallation
) -> list[LabResultOut]:
    """One result or a list of them, each with the person's identity; all stored or none."""
    today = installation.platform.clock.now().date()
    items = body if isinstance(body, list) else [body]
    where = "person" if not isinstance(body, list) else None
    named = [(item.person, where or f"{n}.person") for n, item in enumerate(items)]
    pairs = list(zip(people_details(named, today), (_result(item) for item in items), strict=True))
    receipts = report_results(installation.platform, caller, pairs)
    return [LabResultOut(person=receipt.person, result=receipt.result) for receipt in receipts]


@router.post(
    "/people/{ref}/contacts",
    openapi_extra=granted("report", requires=("register",)),
    response_model=ContactsOut,
    status_code=HTTPStatus.CREATED,
    summary="Add contacts of a person",
)
def post_contacts(
    ref: Ref, body: ContactsIn, caller: Caller, installation: CurrentInstallation
) -> ContactsOut:
    """Contacts named by the person (for instance during a tracing call), with their exposure."""
    today = installation.platform.clock.now().date()
    named = [(c.person, f"contacts.{n}.person") for n, c in enumerate(body.contacts)]
    details = people_details(named, today)
    contacts = [ContactInput(d, c.exposure.to_input()) for d, c in zip(details, body.contacts, strict=True)]
    return ContactsOut(contacts=list(add_contacts(installation.platform, caller, ref, contacts)))


@router.get(
    "/cases",
    openapi_extra=granted("list", on_person=False),
    response_model=CasesOut,
    summary="List cases (pseudonymous)",
)
def get_cases(
    *,
    caller: Caller,
    installation: CurrentInstallation,
    status: Status | None = None,
    reported_from: Annotated[IsoDate | None, Query(alias="from")] = None,
    reported_to: Annotated[IsoDate | None, Query(alias="to")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> CasesOut:
    """For surveillance: cases by status and report date, with refs and dates, never identities."""
    total, items = list_cases(
        installation.platform, caller, status=status, reported_from=reported_from, reported_to=reported_to,
        limit=limit, offset=offset,
    )  # fmt: skip
    return CasesOut(total=total, items=[CaseOut(**item.__dict__) for item in items])


def case_report_of(body: ReportIn, today: date) -> CaseReport:
    """The case report a body stands for, its identities checked (ReportInvalid names every bad one,
    located where it is, e.g. contacts.2.person.nir); shared by the API and the clinician's form."""
    named = [(body.person, "person")] + [
        (c.person, f"contacts.{n}.person") for n, c in enumerate(body.contacts)
    ]
    person, *contacts = people_details(named, today)
    case = body.case
    return CaseReport(
        person=person,
        case=CaseInput(case.status, case.onset_date, case.asymptomatic, case.hospitalised, case.notes),
        result=_result(body.result) if body.result else None,
        contacts=tuple(
            ContactInput(d, c.exposure.to_input()) for d, c in zip(contacts, body.contacts, strict=True)
        ),
    )


def _details(body: PersonIn, today: date, where: str) -> PersonDetails:
    # Identity errors inside a report are located where they are, e.g. contacts.2.person.nir.
    try:
        return person_details_of(body, today)
    except (IdentityError, IdentityErrors) as error:
        raise ReportInvalid(
            [(f"{where}.{problem.field}", str(problem)) for problem in error.errors]
        ) from None


def people_details(people: list[tuple[PersonIn, str]], today: date) -> list[PersonDetails]:
    """The checked details of each person of a request, located by `where`; ReportInvalid names every
    bad identity of the request at once, not only the first."""
    problems: list[tuple[str, str]] = []
    details = []
    for body, where in people:
        try:
            details.append(_details(body, today, where))
        except ReportInvalid as invalid:
            problems.extend(invalid.problems)
    if problems:
        raise ReportInvalid(problems)
    return details


def _result(body: ResultIn) -> ResultInput:
    return ResultInput(body.sample_date, body.result_date, body.test_type, body.value, body.loinc, body.lab)
