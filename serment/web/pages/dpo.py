"""The data-protection officer's pages: the audit log searched, its chain verified, people's
oppositions registered and withdrawn, the unusual-access report and one person's access history.

Every page serves the purpose `audit`. None shows medical data or an identity: people appear by their
ref and users by their account name, as the audit log holds them. Each page reads through a guarded
use case, so that the officer's own searches are in the log too.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import date, datetime, time, timedelta
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import Form, Query, Request
from fastapi.responses import RedirectResponse, Response

from serment.access import NoSuchPerson, Refused
from serment.access.oversight import (
    access_history,
    last_verification,
    record_verification,
    search_audit,
)
from serment.access.unusual import MAX_PERIOD_DAYS, READ_ACTIONS, WORKDAY_END, WORKDAY_START, unusual_accesses
from serment.audit import AuditQuery
from serment.audit.events import OUTCOMES
from serment.people import OppositionError, register_opposition, withdraw_opposition
from serment.people.opposition_requests import STATES, list_opposition_requests
from serment.policy import PURPOSES
from serment.web.pages import nav
from serment.web.pages.i18n import N_, gettext_for
from serment.web.pages.oversight import (
    CHANNEL_LABELS,
    LABELS,
    OFFICER_CHANNELS,
    OUTCOME_LABELS,
    PAGE_SIZE,
    PURPOSE_LABELS,
    link,
    offset_of,
    options,
    page_number,
)
from serment.web.pages.templating import render
from serment.web.pages.viewer import CurrentViewer, Pages, installation_of

router = Pages()
AUDIT = "audit"
REF = re.compile(r"[a-z2-7]{26}")
# The period the unusual-access report covers when none is asked for: the last seven days.
DEFAULT_DAYS = 7
Text = Annotated[str, Query(max_length=200)]
FromDay = Annotated[str, Query(alias="from", max_length=200)]
ToDay = Annotated[str, Query(alias="to", max_length=200)]
FormText = Annotated[str, Form(max_length=200)]

nav.declare(
    nav.NavItem("/dpo/audit", N_("Audit log"), AUDIT, "audit", order=10),
    nav.NavItem("/dpo/verify", N_("Chain verification"), AUDIT, "audit", order=11),
    nav.NavItem("/dpo/oppositions", N_("Oppositions"), AUDIT, "oppose", order=12),
    nav.NavItem("/dpo/unusual", N_("Unusual access"), AUDIT, "audit", order=13),
)

BAD_REF = N_("A person ref is 26 characters: lower-case letters a to z and digits 2 to 7.")
BAD_DATE = N_("Give a date as year-month-day, for example 2026-03-02.")
REVERSED = N_("The period ends before it starts.")
TOO_LONG = N_("The report covers at most %(days)s days at a time.")
PICK_PURPOSE = N_("Choose a purpose from the list.")
PICK_OUTCOME = N_("Choose an outcome from the list.")
PICK_STATE = N_("Choose a state from the list.")
PICK_CHANNEL = N_("Choose how the opposition reached you.")
NOT_OPPOSABLE = N_("This purpose cannot be opposed under the installation's policy.")
NO_SUCH_PERSON = N_("No person has this ref.")
EXPIRED = N_(
    "This person's identity has expired under the retention policy: there is nothing left to oppose."
)
NOTHING_TO_WITHDRAW = N_("This person has no active opposition to this purpose.")
DONE = {
    "registered": N_("The opposition is registered."),
    "already": N_("This person already opposed this purpose: nothing changed."),
    "withdrawn": N_("The opposition is withdrawn."),
}
STATE_LABELS = {"active": N_("Active"), "withdrawn": N_("Withdrawn")}
TITLES = (
    N_("Audit log"), N_("Chain verification"), N_("Oppositions"), N_("Unusual access"), N_("Access history"),
)  # fmt: skip

Errors = dict[str, str]


def _page(request: Request, template: str, context: Mapping[str, Any], status: int = 200) -> Response:
    return render(request, template, {"labels": LABELS, **context}, status=status)


def _zone(request: Request) -> str:
    return str(request.app.state.settings.timezone)


def _day(text: str, field: str, errors: Errors, gettext: Callable[[str], str]) -> date | None:
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        errors[field] = gettext(BAD_DATE)
        return None


def _start_of(day: date, zone: str) -> datetime:
    return datetime.combine(day, time(0), ZoneInfo(zone))


@router.page("/dpo/audit", purpose=AUDIT, action="audit")
def audit_page(
    request: Request,
    viewer: CurrentViewer,
    *,
    actor: Text = "",
    person: Text = "",
    purpose: Text = "",
    action: Text = "",
    outcome: Text = "",
    since: FromDay = "",
    until: ToDay = "",
    page: Text = "1",
    upto: Text = "",
) -> Response:
    """The audit log searched by actor, person ref, purpose, action, outcome and dates, newest first.
    Its pages hold still while the log grows: they show the events up to the newest of the first
    page (`upto`), whose own search is one more event."""
    gettext = gettext_for(request)
    values = {
        "actor": actor.strip(), "person": person.strip(), "purpose": purpose, "action": action.strip(),
        "outcome": outcome, "from": since.strip(), "to": until.strip(),
    }  # fmt: skip
    errors: Errors = {}
    if values["person"] and not REF.fullmatch(values["person"]):
        errors["person"] = gettext(BAD_REF)
    if purpose and purpose not in PURPOSES:
        errors["purpose"] = gettext(PICK_PURPOSE)
    if outcome and outcome not in OUTCOMES:
        errors["outcome"] = gettext(PICK_OUTCOME)
    first = _day(values["from"], "from", errors, gettext)
    last = _day(values["to"], "to", errors, gettext)
    if first is not None and last is not None and last < first:
        errors["to"] = gettext(REVERSED)
    number = page_number(page)
    context: dict[str, Any] = {
        "title": N_("Audit log"), "values": values, "errors": errors, "events": [], "has_next": False,
        "page": number, "base": link("/dpo/audit", **values),
        "purpose_options": options(gettext, PURPOSES, PURPOSE_LABELS, N_("Any purpose")),
        "outcome_options": options(gettext, sorted(OUTCOMES), OUTCOME_LABELS, N_("Any outcome")),
    }  # fmt: skip
    if errors:
        return _page(request, "dpo/audit.html", context, status=422)
    zone = _zone(request)
    query = AuditQuery(
        actor=values["actor"] or None, subject=values["person"] or None, purpose=purpose or None,
        action=values["action"] or None, outcome=outcome or None,
        since=_start_of(first, zone) if first else None,
        until=_start_of(last + timedelta(days=1), zone) if last else None,
        through=int(upto) if upto.isdigit() else None,
    )  # fmt: skip
    platform = installation_of(request).platform
    events = search_audit(platform, viewer.request(), query, limit=PAGE_SIZE + 1, offset=offset_of(number))
    through = query.through if query.through is not None else events[0].seq if events else None
    base = link("/dpo/audit", **values, upto=str(through) if through is not None else "")
    context.update(events=events[:PAGE_SIZE], has_next=len(events) > PAGE_SIZE, base=base)
    return _page(request, "dpo/audit.html", context)


@router.page("/dpo/verify", purpose=AUDIT, action="audit")
def verification_page(request: Request, viewer: CurrentViewer) -> Response:
    """The last verification of the audit chain, and a button to verify it again now."""
    last = last_verification(installation_of(request).platform, viewer.request())
    return _page(request, "dpo/verify.html", {"title": N_("Chain verification"), "last": last})


@router.page("/dpo/verify", purpose=AUDIT, action="audit", methods=("POST",))
def verify_now(request: Request, viewer: CurrentViewer) -> Response:
    """Walk the whole chain now; the page then shows what was found and how long it took."""
    record_verification(installation_of(request).platform, viewer.request())
    return RedirectResponse("/dpo/verify", status_code=303)


@router.page("/dpo/oppositions", purpose=AUDIT, action="oppose")
def oppositions_page(
    request: Request,
    viewer: CurrentViewer,
    *,
    ref: Text = "",
    state: Text = "",
    page: Text = "1",
    done: Text = "",
) -> Response:
    """Everyone's oppositions, newest first, filtered by person ref and state; with the form that
    registers one on someone's behalf."""
    form = {"person": ref.strip() if REF.fullmatch(ref.strip()) else "", "purpose": "", "channel": ""}
    filters = {"ref": ref.strip(), "state": state}
    return _oppositions(request, viewer, filters=filters, form=form, page=page, done=done)


@router.page("/dpo/oppositions", purpose=AUDIT, action="oppose", methods=("POST",))
def register_for_someone(
    request: Request,
    viewer: CurrentViewer,
    person: FormText = "",
    purpose: FormText = "",
    channel: FormText = "",
) -> Response:
    """Register the opposition a person sent by letter, by telephone or in person."""
    gettext = gettext_for(request)
    platform = installation_of(request).platform
    form = {"person": person.strip(), "purpose": purpose, "channel": channel}
    errors: Errors = {}
    if not REF.fullmatch(form["person"]):
        errors["person"] = gettext(BAD_REF)
    if purpose not in platform.policy.opposable_purposes():
        errors["purpose"] = gettext(NOT_OPPOSABLE if purpose in PURPOSES else PICK_PURPOSE)
    if channel not in OFFICER_CHANNELS:
        errors["channel"] = gettext(PICK_CHANNEL)
    if not errors:
        try:
            _, created = register_opposition(platform, viewer.request(), form["person"], purpose, channel)
        except Refused as refusal:
            errors["person"] = gettext(_refusal_message(refusal))
        else:
            done = "registered" if created else "already"
            return RedirectResponse(link("/dpo/oppositions", ref=form["person"], done=done), status_code=303)
    filters = {"ref": "", "state": ""}
    return _oppositions(request, viewer, filters=filters, form=form, errors=errors, status=422)


@router.page("/dpo/oppositions/withdraw", purpose=AUDIT, action="oppose", methods=("POST",))
def withdraw_for_someone(
    request: Request, viewer: CurrentViewer, person: FormText = "", purpose: FormText = ""
) -> Response:
    """Withdraw a person's opposition at their request."""
    gettext = gettext_for(request)
    platform = installation_of(request).platform
    errors: Errors = {}
    if not REF.fullmatch(person):
        errors["withdraw"] = gettext(BAD_REF)
    else:
        try:
            withdraw_opposition(platform, viewer.request(), person, purpose)
        except Refused as refusal:
            errors["withdraw"] = gettext(_refusal_message(refusal))
        except OppositionError:
            errors["withdraw"] = gettext(NOTHING_TO_WITHDRAW)
        else:
            return RedirectResponse(link("/dpo/oppositions", ref=person, done="withdrawn"), status_code=303)
    form = {"person": "", "purpose": "", "channel": ""}
    filters = {"ref": person, "state": ""}
    return _oppositions(request, viewer, filters=filters, form=form, errors=errors, status=422)


def _refusal_message(refusal: Refused) -> str:
    if refusal.status == 404:
        return NO_SUCH_PERSON
    if refusal.status == 410:
        return EXPIRED
    return refusal.reason


def _oppositions(
    request: Request,
    viewer: CurrentViewer,
    *,
    filters: dict[str, str],
    form: dict[str, str],
    errors: Errors | None = None,
    page: str = "1",
    done: str = "",
    status: int = 200,
) -> Response:
    gettext = gettext_for(request)
    filter_errors: Errors = {}
    if filters["ref"] and not REF.fullmatch(filters["ref"]):
        filter_errors["ref"] = gettext(BAD_REF)
    if filters["state"] and filters["state"] not in STATES:
        filter_errors["state"] = gettext(PICK_STATE)
    number = page_number(page)
    platform = installation_of(request).platform
    items: list[Any] = []
    if not filter_errors:
        items = list_opposition_requests(
            platform, viewer.request(), ref=filters["ref"] or None,
            state=filters["state"] or None,  # type: ignore[arg-type]
            limit=PAGE_SIZE + 1, offset=offset_of(number),
        )  # fmt: skip
    context = {
        "title": N_("Oppositions"), "filters": filters, "filter_errors": filter_errors, "form": form,
        "errors": errors or {}, "items": items[:PAGE_SIZE], "has_next": len(items) > PAGE_SIZE,
        "page": number,
        "base": link("/dpo/oppositions", **filters), "done": DONE.get(done),
        "state_options": options(gettext, STATES, STATE_LABELS, N_("Any state")),
        "purpose_options": options(
            gettext, platform.policy.opposable_purposes(), PURPOSE_LABELS, N_("Choose a purpose")
        ),
        "channel_options": options(gettext, OFFICER_CHANNELS, CHANNEL_LABELS, N_("Choose a channel")),
    }  # fmt: skip
    return _page(request, "dpo/oppositions.html", context, status=422 if filter_errors else status)


@router.page("/dpo/unusual", purpose=AUDIT, action="audit")
def unusual_page(
    request: Request, viewer: CurrentViewer, since: FromDay = "", until: ToDay = "", page: Text = "1"
) -> Response:
    """Each user's accesses over a period against what their work explains, most unusual first."""
    gettext = gettext_for(request)
    platform = installation_of(request).platform
    zone = _zone(request)
    today = platform.clock.now().astimezone(ZoneInfo(zone)).date()
    values = {"from": since.strip(), "to": until.strip()}
    errors: Errors = {}
    first = _day(values["from"], "from", errors, gettext) or today - timedelta(days=DEFAULT_DAYS - 1)
    last = _day(values["to"], "to", errors, gettext) or today
    if not errors and last < first:
        errors["to"] = gettext(REVERSED)
    elif not errors and (last - first).days + 1 > MAX_PERIOD_DAYS:
        errors["to"] = gettext(TOO_LONG) % {"days": MAX_PERIOD_DAYS}
    number = page_number(page)
    context: dict[str, Any] = {
        "title": N_("Unusual access"), "values": values, "errors": errors, "first": first, "last": last,
        "rows": [], "has_next": False, "page": number, "base": link("/dpo/unusual", **values),
        "read_actions": READ_ACTIONS, "workday_start": WORKDAY_START, "workday_end": WORKDAY_END,
        "max_days": MAX_PERIOD_DAYS,
    }  # fmt: skip
    if errors:
        return _page(request, "dpo/unusual.html", context, status=422)
    rows = unusual_accesses(
        platform, viewer.request(), first, last, zone, limit=PAGE_SIZE + 1, offset=offset_of(number)
    )
    context.update(rows=rows[:PAGE_SIZE], has_next=len(rows) > PAGE_SIZE)
    return _page(request, "dpo/unusual.html", context)


@router.page("/dpo/people/{ref}/accesses", purpose=AUDIT, action="history")
def person_accesses(request: Request, viewer: CurrentViewer, ref: str, page: Text = "1") -> Response:
    """One person's access history: what the person sees on their own page, for a complaint."""
    if not REF.fullmatch(ref):
        raise NoSuchPerson(ref[:26])
    number = page_number(page)
    platform = installation_of(request).platform
    total, records = access_history(
        platform, viewer.request(), ref, limit=PAGE_SIZE, offset=offset_of(number)
    )
    context = {
        "title": N_("Access history"), "ref": ref, "total": total, "records": records, "page": number,
        "has_next": offset_of(number) + len(records) < total, "base": f"/dpo/people/{ref}/accesses",
    }  # fmt: skip
    return _page(request, "dpo/accesses.html", context)
