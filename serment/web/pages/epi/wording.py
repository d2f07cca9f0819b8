"""What the epidemiologist's pages call things: readable labels for the values the data holds
(statuses, settings, quarantine places, alert statuses), and messages written in Python, translated
for the reader."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from babel.dates import format_date
from fastapi import Request

from serment.web.pages.i18n import N_, negotiate, translations

SURVEILLANCE = "surveillance"

CASE_STATUSES = {
    "suspected": N_("Suspected"),
    "probable": N_("Probable"),
    "confirmed": N_("Confirmed"),
}
SETTINGS = {
    "household": N_("Household"),
    "work": N_("Work"),
    "school": N_("School"),
    "health_care": N_("Health care"),
    "venue": N_("Venue"),
    "transport": N_("Transport"),
    "other": N_("Other"),
}
PLACES = {
    "hospital": N_("Hospital"),
    "facility": N_("Quarantine facility"),
    "home": N_("At home"),
    "self_monitoring": N_("Self-monitoring"),
}
ALERT_STATUSES = {
    "new": N_("New"),
    "investigating": N_("Investigating"),
    "closed": N_("Closed"),
}
# How each alert status looks: the stylesheet's status colours.
ALERT_TONES = {"new": "status-bad", "investigating": "status-warn", "closed": "status-ok"}
# Where an alert may move from each status, and the button that moves it there.
ALERT_MOVES = {
    "new": (("investigating", N_("Start investigating")), ("closed", N_("Close the alert"))),
    "investigating": (("closed", N_("Close the alert")),),
}
# Colours of the settings in the chain graph, distinct for colour-blind readers (Okabe and Ito's
# palette, darkened to keep 3:1 against white).
SETTING_COLOURS = {
    "household": "#b35900",
    "work": "#0b5f9e",
    "school": "#007a5a",
    "health_care": "#a3336e",
    "venue": "#6b5b00",
    "transport": "#5b3a99",
    "other": "#4a5563",
}


@dataclass(frozen=True)
class Reader:
    """The reader's language, for messages composed in Python."""

    locale: str

    def say(self, message: str, **values: object) -> str:
        """`message` (a msgid) in the reader's language, with `values` put in its placeholders."""
        translated = translations(self.locale).gettext(message)
        return translated % values if values else translated

    def date(self, day: date) -> str:
        """`day` written as the reader writes dates."""
        return format_date(day, format="medium", locale=self.locale)


def reader_of(request: Request) -> Reader:
    """Who reads this request's page."""
    return Reader(negotiate(request))


def label(labels: dict[str, str], value: str | None) -> str:
    """The msgid labelling `value` in `labels`, or the value itself when it has none."""
    if value is None:
        return "—"
    return labels.get(value, value)


# The labels every template of these pages may need, by the names the templates use.
LABELS = {
    "status_labels": CASE_STATUSES,
    "setting_labels": SETTINGS,
    "place_labels": PLACES,
    "alert_labels": ALERT_STATUSES,
    "alert_tones": ALERT_TONES,
}
