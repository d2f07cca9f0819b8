"""Languages of the pages: French and English, chosen from a cookie or `Accept-Language`.

Messages are written in English in the code and templates, marked with `_()` (or `N_()` where the
translation happens later, in a template). French lives in gettext catalogues, one `.po` file per
part of the interface under `serment/web/locale/fr/LC_MESSAGES/`, read and merged when the app
starts: there is nothing to compile and no binary file in the repository.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from functools import cache
from pathlib import Path

from babel import Locale
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations
from starlette.requests import Request

LOCALES = ("fr", "en")
DEFAULT_LOCALE = "fr"
LANGUAGE_COOKIE = "serment_lang"
CATALOGUES = Path(__file__).resolve().parent.parent / "locale"
# What each language is called in itself, for the language switch.
LANGUAGE_NAMES = {"fr": "Français", "en": "English"}


def N_(message: str) -> str:  # noqa: N802 (the gettext convention for a message translated later)
    """Mark `message` for the catalogues without translating it here."""
    return message


def catalogue_files(locale: str) -> list[Path]:
    """The `.po` files of `locale`, in a stable order."""
    return sorted((CATALOGUES / locale / "LC_MESSAGES").glob("*.po"))


@cache
def translations(locale: str) -> NullTranslations:
    """Every catalogue of `locale` merged into one set of translations (none for English)."""
    merged: NullTranslations = NullTranslations()
    for path in catalogue_files(locale):
        with path.open("rb") as source:
            catalog = read_po(source, locale=locale)
        compiled = io.BytesIO()
        write_mo(compiled, catalog)
        compiled.seek(0)
        part = Translations(compiled)
        if isinstance(merged, Translations):
            merged.merge(part)
        else:
            merged = part
    return merged


def gettext_for(request: Request) -> Callable[[str], str]:
    """The reader's gettext, for messages composed in Python (form errors, services' sentences)."""
    return translations(negotiate(request)).gettext


def negotiate(request: Request) -> str:
    """The reader's language: the one they chose (cookie), else their browser's, else French."""
    chosen = request.cookies.get(LANGUAGE_COOKIE)
    if chosen in LOCALES:
        return chosen
    wanted = _by_preference(request.headers.get("accept-language", ""))
    found = Locale.negotiate(wanted, list(LOCALES), sep="_") if wanted else None
    return found.language if found is not None and found.language in LOCALES else DEFAULT_LOCALE


def _by_preference(header: str) -> list[str]:
    """The languages of an `Accept-Language` header, most wanted first (by q, then by order)."""
    ranked: list[tuple[float, int, str]] = []
    for index, part in enumerate(header.split(",")[:20]):
        tag, _, parameters = part.strip().partition(";")
        weight = 1.0
        if parameters.strip().startswith("q="):
            try:
                weight = float(parameters.strip()[2:])
            except ValueError:
                weight = 0.0
        if tag and tag != "*" and weight > 0:
            ranked.append((-weight, index, tag.replace("-", "_")))
    return [tag for _, _, tag in sorted(ranked)]


# The roles of the policies, as people call them (msgids; templates translate them).
ROLE_LABELS = {
    "admin": N_("Administrator"),
    "clinician": N_("Clinician"),
    "lab": N_("Laboratory"),
    "tracer": N_("Tracer"),
    "epidemiologist": N_("Epidemiologist"),
    "producer": N_("Data producer"),
    "researcher": N_("Researcher"),
    "reviewer": N_("Reviewer"),
    "dpo": N_("Data protection officer"),
    "patient": N_("Patient"),
}
