"""Looking up one of the clinician's patients (by NIR, or by family name and birth date) and their
summary for care. Only the clinician's own patients are found; everyone else is answered as nobody."""

from __future__ import annotations

import re
from datetime import date

from fastapi import Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from serment.access import Refused
from serment.reporting.reporters import Name, find_own_patients
from serment.secrecy import IdentityError
from serment.tracing.care_summaries import care_summary
from serment.web.pages.clinic.forms import LABELS
from serment.web.pages.clinic.messages import Message, told
from serment.web.pages.clinic.reports import not_found
from serment.web.pages.i18n import N_
from serment.web.pages.templating import render
from serment.web.pages.viewer import CurrentViewer, Pages, installation_of

router = Pages()
PATIENTS_PATH = "/clinic/patients"
TITLES = (N_("My patients"), N_("Patient"))
NOT_A_PATIENT = N_("No patient of yours has this reference.")
EMPTY_QUERY = N_("Type a NIR, or a family name and a birth date.")
_ISO = re.compile(r"\b(\d{4})-(\d{1,2})-(\d{1,2})\b")
_FRENCH = re.compile(r"\b(\d{1,2})/(\d{1,2})/(\d{4})\b")
_NIR_LIKE = re.compile(r"[\d\s.AaBb-]{13,}")


@router.page(PATIENTS_PATH, purpose="care", action="read")
def patients(request: Request, viewer: CurrentViewer) -> Response:
    """The lookup form."""
    return _lookup_page(request, "", None, None)


@router.page(PATIENTS_PATH, purpose="care", action="read", methods=("POST",))
async def patients_found(request: Request, viewer: CurrentViewer) -> Response:
    """The clinician's patients a NIR, or a family name and a birth date, finds (each read is audited):
    one leads to their record, several are listed. The query is posted, never put in an address:
    addresses are kept in browsers' histories and proxies' logs, and identities must not be."""
    sent = (await request.form()).get("q")
    query = sent.strip()[:200] if isinstance(sent, str) else ""
    if not query:
        return _lookup_page(request, query, None, Message(EMPTY_QUERY), status=422)
    try:
        found = await run_in_threadpool(_find, request, viewer, query)
    except IdentityError as invalid:
        return _lookup_page(request, query, None, told(str(invalid)), status=422)
    except LookupError as unclear:
        return _lookup_page(request, query, None, Message(str(unclear)), status=422)
    if len(found) == 1:
        return RedirectResponse(f"{PATIENTS_PATH}/{found[0].ref}", status_code=303)
    return _lookup_page(request, query, found, None)


def _lookup_page(
    request: Request, query: str, found: list[Name] | None, problem: Message | None, *, status: int = 200
) -> Response:
    context = {"title": N_("My patients"), "q": query, "found": found, "problem": problem, "labels": LABELS}
    return render(request, "clinic/patients.html", context, status=status)


@router.page(PATIENTS_PATH + "/{ref}", purpose="care", action="read")
def patient(request: Request, viewer: CurrentViewer, ref: str) -> Response:
    """A patient's identity, cases, results, tier and quarantine plan, for their clinician."""
    try:
        summary = care_summary(installation_of(request).platform, viewer.request(), ref[:26])
    except Refused as refused:
        if refused.status != 404:
            raise
        return not_found(request, NOT_A_PATIENT)
    context = {"title": N_("Patient"), "summary": summary, "tier": summary.quarantine, "labels": LABELS}
    return render(request, "clinic/patient.html", context)


def _find(request: Request, viewer: CurrentViewer, query: str) -> list[Name]:
    """The patients a query names: a NIR, or a family name with a birth date (YYYY-MM-DD or DD/MM/YYYY).
    Raises LookupError (with a msgid) for a query that is neither."""
    platform = installation_of(request).platform
    born, family = _birth_date(query)
    if born is not None:
        if not family:
            raise LookupError(N_("Give the family name with the birth date."))
        return find_own_patients(platform, viewer.request(), family_name=family, birth_date=born)
    if _NIR_LIKE.fullmatch(query):
        return find_own_patients(platform, viewer.request(), nir=query)
    raise LookupError(N_("Type a NIR, or a family name and a birth date (for example: Durand 12/05/1985)."))


def _birth_date(query: str) -> tuple[date | None, str]:
    """The date written in the query, if any, and the rest of it (the family name)."""
    for pattern, order in ((_ISO, (0, 1, 2)), (_FRENCH, (2, 1, 0))):
        found = pattern.search(query)
        if found is None:
            continue
        parts = [int(found.group(i + 1)) for i in order]
        rest = (query[: found.start()] + " " + query[found.end() :]).replace(",", " ")
        try:
            return date(parts[0], parts[1], parts[2]), " ".join(rest.split())
        except ValueError:
            raise LookupError(N_("This birth date does not exist in the calendar.")) from None
    return None, query
