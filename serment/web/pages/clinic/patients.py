"""Looking up one of the clinician's patients (by NIR, or by family name and birth date) and their
summary for care. Only the clinician's own patients are found; everyone else is answered as nobody."""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated

from fastapi import Query, Request
from fastapi.responses import Response

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
_ISO = re.compile(r"\b(\d{4})-(\d{1,2})-(\d{1,2})\b")
_FRENCH = re.compile(r"\b(\d{1,2})/(\d{1,2})/(\d{4})\b")
_NIR_LIKE = re.compile(r"[\d\s.AaBb-]{13,}")
Lookup = Annotated[str, Query(max_length=200)]


@router.page(PATIENTS_PATH, purpose="care", action="read")
def patients(request: Request, viewer: CurrentViewer, q: Lookup = "") -> Response:
    """The lookup form and, for a query, the clinician's patients it finds (each read is audited)."""
    query = q.strip()
    found: list[Name] | None = None
    problem: Message | None = None
    if query:
        try:
            found = _find(request, viewer, query)
        except IdentityError as invalid:
            problem = told(str(invalid))
        except LookupError as unclear:
            problem = Message(str(unclear))
    context = {"title": N_("My patients"), "q": query, "found": found, "problem": problem, "labels": LABELS}
    return render(request, "clinic/patients.html", context, status=422 if problem else 200)


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
