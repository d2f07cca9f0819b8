"""What the tracer's pages call things, in the reader's language: the kinds, statuses and results of
tasks, settings, symptoms and quarantine places, and the call script, step by step.

The script's sentences come from `serment.tracing.scripts` with their blanks; they are listed here
again so that the catalogues hold them (a unit test checks that both lists agree). A step without
a translation is shown in English, and the page says so.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from babel.dates import format_date
from babel.support import NullTranslations

from serment.tracing.scripts import Blank, Step
from serment.web.pages.i18n import N_

KIND_LABELS = {"call": N_("First call"), "follow_up": N_("Follow-up")}
STATUS_LABELS = {
    "to_call": N_("To call"),
    "lost": N_("Lost to follow-up"),
    "reached": N_("Reached"),
    "unreachable": N_("Unreachable"),
    "refused": N_("Refused the call"),
    "wrong_number": N_("Wrong number"),
    "missed": N_("Missed"),
    "became_case": N_("Became a case"),
    "left_tiers": N_("No longer a contact"),
    "not_called": N_("No call needed"),
    # What a call left open shows after "no answer".
    "no_answer": N_("No answer"),
}
SETTING_LABELS = {
    "household": N_("Household"),
    "work": N_("Work"),
    "school": N_("School"),
    "health_care": N_("Health care"),
    "venue": N_("Venue"),
    "transport": N_("Transport"),
    "other": N_("Other"),
}
SYMPTOM_LABELS = {
    "fever": N_("Fever"),
    "cough": N_("Cough"),
    "breathlessness": N_("Breathlessness"),
    "loss_of_smell_or_taste": N_("Loss of smell or taste"),
    "other": N_("Other symptom"),
}
PLACE_LABELS = {
    "hospital": N_("Isolated in hospital"),
    "facility": N_("In a supervised facility"),
    "home": N_("At home"),
    "self_monitoring": N_("Self-monitoring"),
}
SEX_LABELS = {"F": N_("Female"), "M": N_("Male"), "X": N_("Other or unknown")}
# The queues a tracer can choose from.
SHOW_LABELS = {"open": N_("All open tasks"), "call": N_("First calls"), "follow_up": N_("Follow-ups")}

# The script's sentences and the words of its blanks (serment.tracing.scripts.TEXTS and WORDS).
SCRIPT_TEXTS = (
    N_("Check that you are speaking to the person named in this task before saying anything else."),
    N_(
        "Tell them they were in contact with someone who has the infection. Never say who: it is not "
        "yours to share, and Serment does not show it to you."
    ),
    N_(
        "Tell them they were in contact with someone who has the infection on %(date)s. Never say who: "
        "it is not yours to share, and Serment does not show it to you."
    ),
    N_(
        "Tell them they were in contact with someone who has the infection %(setting)s. Never say who: "
        "it is not yours to share, and Serment does not show it to you."
    ),
    N_(
        "Tell them they were in contact with someone who has the infection on %(date)s %(setting)s. "
        "Never say who: it is not yours to share, and Serment does not show it to you."
    ),
    N_(
        "They missed their last two follow-up calls: if you cannot reach them now, tell your team lead, "
        "who may arrange a visit."
    ),
    N_("Advise them: %(place)s until %(until)s."),
    N_("Tests are due on %(days)s: tell them where to be tested."),
    N_("Ask about symptoms (%(symptoms)s) and when they began."),
    N_("Ask whom they met closely since %(date)s, and record them as their contacts."),
    N_("Ask whom they met closely in the last days, and record them as their contacts."),
    N_("Ask whether they agree to a short follow-up call every day until their quarantine ends."),
)
SCRIPT_WORDS = (
    N_("at home"), N_("at work"), N_("at school"), N_("in a health-care setting"), N_("at a venue"),
    N_("in transport"), N_("isolated in hospital"), N_("quarantined in a supervised facility"),
    N_("quarantined at home"), N_("free to move, watching for symptoms"), N_("fever"), N_("cough"),
    N_("breathlessness"), N_("loss of smell or taste"), N_("other"),
)  # fmt: skip


@dataclass(frozen=True)
class Script:
    """A call script in the reader's language; `untranslated` when some step is shown in English."""

    steps: tuple[str, ...]
    untranslated: bool


def localised_script(steps: tuple[Step, ...], translations: NullTranslations, locale: str) -> Script:
    """`steps` in `locale`: each sentence and word translated, dates written the reader's way."""
    untranslated = False
    lines = []
    for step in steps:
        text = translations.gettext(step.text)
        untranslated |= locale != "en" and text == step.text
        values = {name: _blank(value, translations, locale) for name, value in step.values.items()}
        lines.append(text % values)
    return Script(tuple(lines), untranslated)


def _blank(value: Blank, translations: NullTranslations, locale: str) -> str:
    if isinstance(value, date):
        return format_date(value, format="long", locale=locale)
    if isinstance(value, tuple):
        return ", ".join(_blank(part, translations, locale) for part in value)
    return translations.gettext(value)
