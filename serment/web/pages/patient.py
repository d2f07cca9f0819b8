"""The patient's pages: my record, who accessed it, my oppositions, and my data to download as FHIR.

Every page serves the purpose `self`, which reaches only the person the patient account is linked
to: the guard refuses any other. An account linked to nobody sees a page saying so.
"""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import Form, Query, Request
from fastapi.responses import RedirectResponse, Response

from serment.access.oversight import access_history
from serment.people import OppositionError, list_oppositions, register_opposition, withdraw_opposition
from serment.reporting.fhir import everything_bundle, export_person
from serment.tracing.own_records import own_record
from serment.web.pages import nav
from serment.web.pages.i18n import N_, gettext_for
from serment.web.pages.oversight import (
    LABELS,
    PAGE_SIZE,
    PURPOSE_LABELS,
    link,
    offset_of,
    options,
    page_number,
)
from serment.web.pages.templating import render
from serment.web.pages.viewer import CurrentViewer, Pages, Viewer, installation_of

router = Pages()
SELF = "self"
Text = Annotated[str, Query(max_length=200)]

nav.declare(
    nav.NavItem("/me", N_("My record"), SELF, "read", order=10),
    nav.NavItem("/me/accesses", N_("Who accessed my data"), SELF, "history", order=11),
    nav.NavItem("/me/oppositions", N_("My oppositions"), SELF, "oppose", order=12),
)

# How people call what the record holds (msgids, translated in the templates).
TEST_LABELS = {
    "rt-pcr": N_("PCR test"),
    "antigen": N_("Antigen test"),
    "serology": N_("Blood test (serology)"),
}
VALUE_LABELS = {"positive": N_("Positive"), "negative": N_("Negative"), "indeterminate": N_("Inconclusive")}
CASE_LABELS = {"confirmed": N_("Confirmed"), "probable": N_("Probable"), "suspected": N_("Suspected")}
# Where a plan says to stay, as the end of "Stay ...".
PLACE_LABELS = {
    "home": N_("at home"), "hospital": N_("in hospital"), "facility": N_("in a quarantine facility"),
    "self_monitoring": N_("free to go out, watching for symptoms"),
}  # fmt: skip
SEX_LABELS = {"F": N_("Female"), "M": N_("Male"), "X": N_("Other")}
PATIENT_LABELS = {
    **LABELS,
    "tests": TEST_LABELS,
    "values": VALUE_LABELS,
    "cases": CASE_LABELS,
    "places": PLACE_LABELS,
    "sexes": SEX_LABELS,
}
PICK_PURPOSE = N_("Choose a purpose you can oppose.")
DONE = {
    "registered": N_("Your opposition is registered: from now on, your data is not used for this purpose."),
    "already": N_("You already oppose this purpose: nothing changed."),
    "withdrawn": N_("Your opposition is withdrawn: your data may be used for this purpose again."),
}
NOTHING_TO_WITHDRAW = N_("You have no active opposition to this purpose.")
TITLES = (N_("My record"), N_("Who accessed my data"), N_("My oppositions"), N_("No record linked"))
FHIR_JSON = "application/fhir+json"


def _page(request: Request, template: str, context: dict[str, Any], status: int = 200) -> Response:
    return render(request, template, {"labels": PATIENT_LABELS, **context}, status=status)


def _unlinked(request: Request) -> Response:
    return _page(request, "patient/unlinked.html", {"title": N_("No record linked")})


@router.page("/me", purpose=SELF, action="read")
def my_record(request: Request, viewer: CurrentViewer) -> Response:
    """My identity, results, cases and current tier with its quarantine plan, in plain words."""
    ref = viewer.actor.person_ref
    if ref is None:
        return _unlinked(request)
    platform = installation_of(request).platform
    mine = own_record(platform, viewer.request(), ref)
    return _page(request, "patient/record.html", {"title": N_("My record"), "mine": mine})


@router.page("/me/accesses", purpose=SELF, action="history")
def my_accesses(request: Request, viewer: CurrentViewer, page: Text = "1") -> Response:
    """Who accessed my record, when, in which role and organisation, and why; newest first."""
    ref = viewer.actor.person_ref
    if ref is None:
        return _unlinked(request)
    number = page_number(page)
    platform = installation_of(request).platform
    offset = offset_of(number)
    total, records = access_history(platform, viewer.request(), ref, limit=PAGE_SIZE, offset=offset)
    context = {
        "title": N_("Who accessed my data"), "total": total, "records": records, "page": number,
        "has_next": offset + len(records) < total, "base": "/me/accesses",
    }  # fmt: skip
    return _page(request, "patient/accesses.html", context)


@router.page("/me/oppositions", purpose=SELF, action="oppose")
def my_oppositions(request: Request, viewer: CurrentViewer, done: Text = "") -> Response:
    """My oppositions, what opposing means, and the form to register or withdraw one."""
    ref = viewer.actor.person_ref
    if ref is None:
        return _unlinked(request)
    return _oppositions(request, viewer, ref, purpose="", errors={}, done=done)


@router.page("/me/oppositions", purpose=SELF, action="oppose", methods=("POST",))
def oppose(
    request: Request, viewer: CurrentViewer, purpose: Annotated[str, Form(max_length=32)] = ""
) -> Response:
    """Register my opposition to a purpose (through the web page)."""
    ref = viewer.actor.person_ref
    if ref is None:
        return _unlinked(request)
    platform = installation_of(request).platform
    if purpose not in platform.policy.opposable_purposes():
        errors = {"purpose": gettext_for(request)(PICK_PURPOSE)}
        return _oppositions(request, viewer, ref, purpose=purpose, errors=errors, status=422)
    _, created = register_opposition(platform, viewer.request(), ref, purpose, "web")
    return RedirectResponse(link("/me/oppositions", done="registered" if created else "already"), 303)


@router.page("/me/oppositions/{purpose}/withdraw", purpose=SELF, action="oppose", methods=("POST",))
def withdraw(request: Request, viewer: CurrentViewer, purpose: str) -> Response:
    """Withdraw my opposition to `purpose`."""
    ref = viewer.actor.person_ref
    if ref is None:
        return _unlinked(request)
    try:
        withdraw_opposition(installation_of(request).platform, viewer.request(), ref, purpose[:32])
    except OppositionError:
        errors = {"withdraw": gettext_for(request)(NOTHING_TO_WITHDRAW)}
        return _oppositions(request, viewer, ref, purpose="", errors=errors, status=422)
    return RedirectResponse(link("/me/oppositions", done="withdrawn"), status_code=303)


def _oppositions(
    request: Request,
    viewer: Viewer,
    ref: str,
    *,
    purpose: str,
    errors: dict[str, str],
    done: str = "",
    status: int = 200,
) -> Response:
    gettext = gettext_for(request)
    platform = installation_of(request).platform
    mine = list_oppositions(platform, viewer.request(), ref)
    active = {item.purpose for item in mine if item.withdrawn_at is None}
    free = [code for code in platform.policy.opposable_purposes() if code not in active]
    context = {
        "title": N_("My oppositions"), "oppositions": list(reversed(mine)), "purpose": purpose,
        "errors": errors, "done": DONE.get(done), "free": free,
        "purpose_options": options(gettext, free, PURPOSE_LABELS, N_("Choose a purpose")),
        "opposable": platform.policy.opposable_purposes(),
    }  # fmt: skip
    return _page(request, "patient/oppositions.html", context, status=status)


@router.page("/me/export.json", purpose=SELF, action="export")
def my_export(request: Request, viewer: CurrentViewer) -> Response:
    """Everything Serment holds on me as a FHIR R4 Bundle (JSON), downloaded as a file."""
    ref = viewer.actor.person_ref
    if ref is None:
        return _unlinked(request)
    platform = installation_of(request).platform
    bundle = everything_bundle(export_person(platform, viewer.request(), ref))
    day = platform.clock.now().date().isoformat()
    return Response(
        json.dumps(bundle, ensure_ascii=False, indent=2),
        media_type=FHIR_JSON,
        headers={"Content-Disposition": f'attachment; filename="serment-my-data-{day}.json"'},
    )
