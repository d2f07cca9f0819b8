"""The call script: what a tracer says and asks on a call, step by step, from the task and the
contact's quarantine plan. Pure functions; it names no one but the person called.

Each step is an English sentence with named blanks (`Step.text`, a gettext msgid) and what fills
them (`Step.values`), so that the pages can show it in the reader's language, dates in their
locale; `call_script` fills the blanks in English, for the API.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date

from serment.policy.tracing import PLACE_MEANINGS

SYMPTOMS = ("fever", "cough", "breathlessness", "loss_of_smell_or_taste", "other")
SETTING_WORDS = {
    "household": "at home",
    "work": "at work",
    "school": "at school",
    "health_care": "in a health-care setting",
    "venue": "at a venue",
    "transport": "in transport",
}
# What fills a blank: a date, several dates, or words (English, each a msgid of its own).
Blank = date | tuple[date, ...] | str | tuple[str, ...]

CHECK_IDENTITY = "Check that you are speaking to the person named in this task before saying anything else."
NEVER_WHO = " Never say who: it is not yours to share, and Serment does not show it to you."
TELL_EXPOSURE = "Tell them they were in contact with someone who has the infection." + NEVER_WHO
TELL_EXPOSURE_ON = (
    "Tell them they were in contact with someone who has the infection on %(date)s." + NEVER_WHO
)
TELL_EXPOSURE_IN = (
    "Tell them they were in contact with someone who has the infection %(setting)s." + NEVER_WHO
)
TELL_EXPOSURE_ON_IN = (
    "Tell them they were in contact with someone who has the infection on %(date)s %(setting)s." + NEVER_WHO
)
LOST_WARNING = (
    "They missed their last two follow-up calls: if you cannot reach them now, tell your team "
    "lead, who may arrange a visit."
)
ADVISE = "Advise them: %(place)s until %(until)s."
TESTS_DUE = "Tests are due on %(days)s: tell them where to be tested."
ASK_SYMPTOMS = "Ask about symptoms (%(symptoms)s) and when they began."
ASK_CONTACTS_SINCE = "Ask whom they met closely since %(date)s, and record them as their contacts."
ASK_CONTACTS_RECENTLY = "Ask whom they met closely in the last days, and record them as their contacts."
ASK_CONSENT = "Ask whether they agree to a short follow-up call every day until their quarantine ends."
# Every sentence a script may hold, for the catalogues of the pages.
TEXTS = (
    CHECK_IDENTITY, TELL_EXPOSURE, TELL_EXPOSURE_ON, TELL_EXPOSURE_IN, TELL_EXPOSURE_ON_IN, LOST_WARNING,
    ADVISE, TESTS_DUE, ASK_SYMPTOMS, ASK_CONTACTS_SINCE, ASK_CONTACTS_RECENTLY, ASK_CONSENT,
)  # fmt: skip
# Every word a blank may hold.
SYMPTOM_WORDS = {symptom: symptom.replace("_", " ") for symptom in SYMPTOMS}
WORDS = (*SETTING_WORDS.values(), *PLACE_MEANINGS.values(), *SYMPTOM_WORDS.values())


@dataclass(frozen=True)
class Plan:
    """The part of a contact's quarantine plan a call is about."""

    place: str
    until: date
    tests_due: Sequence[date]


@dataclass(frozen=True)
class Step:
    """One step of a script: `text` with its blanks (`%(name)s`), and what fills each blank."""

    text: str
    values: Mapping[str, Blank] = field(default_factory=dict)

    def english(self) -> str:
        """The step in English, dates written YYYY-MM-DD."""
        return self.text % {name: _english(value) for name, value in self.values.items()}


def script_steps(
    kind: str, *, exposure_date: date | None, setting: str | None, plan: Plan | None, lost: bool = False
) -> tuple[Step, ...]:
    """The steps of a first call (`kind` "call") or of a daily follow-up, in order."""
    steps = [Step(CHECK_IDENTITY)]
    if kind == "call":
        steps.append(_exposure_step(exposure_date, setting))
    elif lost:
        steps.append(Step(LOST_WARNING))
    if plan is not None:
        steps.append(Step(ADVISE, {"place": PLACE_MEANINGS.get(plan.place, plan.place), "until": plan.until}))
        if plan.tests_due:
            steps.append(Step(TESTS_DUE, {"days": tuple(plan.tests_due)}))
    steps.append(Step(ASK_SYMPTOMS, {"symptoms": tuple(SYMPTOM_WORDS.values())}))
    if kind == "call":
        if exposure_date is not None:
            steps.append(Step(ASK_CONTACTS_SINCE, {"date": exposure_date}))
        else:
            steps.append(Step(ASK_CONTACTS_RECENTLY))
        steps.append(Step(ASK_CONSENT))
    return tuple(steps)


def call_script(
    kind: str, *, exposure_date: date | None, setting: str | None, plan: Plan | None, lost: bool = False
) -> tuple[str, ...]:
    """The steps of a first call (`kind` "call") or of a daily follow-up, in English, in order."""
    steps = script_steps(kind, exposure_date=exposure_date, setting=setting, plan=plan, lost=lost)
    return tuple(step.english() for step in steps)


def _exposure_step(exposure_date: date | None, setting: str | None) -> Step:
    where = SETTING_WORDS.get(setting or "")
    if exposure_date is not None and where is not None:
        return Step(TELL_EXPOSURE_ON_IN, {"date": exposure_date, "setting": where})
    if exposure_date is not None:
        return Step(TELL_EXPOSURE_ON, {"date": exposure_date})
    if where is not None:
        return Step(TELL_EXPOSURE_IN, {"setting": where})
    return Step(TELL_EXPOSURE)


def _english(value: Blank) -> str:
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, tuple):
        return ", ".join(_english(part) for part in value)
    return value
