"""The call script: what a tracer says and asks on a call, step by step, from the task and the
contact's quarantine plan. Pure functions; it names no one but the person called."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
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


@dataclass(frozen=True)
class Plan:
    """The part of a contact's quarantine plan a call is about."""

    place: str
    until: date
    tests_due: Sequence[date]


def call_script(
    kind: str, *, exposure_date: date | None, setting: str | None, plan: Plan | None, lost: bool = False
) -> tuple[str, ...]:
    """The steps of a first call (`kind` "call") or of a daily follow-up, in order."""
    steps = ["Check that you are speaking to the person named in this task before saying anything else."]
    if kind == "call":
        when = f" on {exposure_date.isoformat()}" if exposure_date is not None else ""
        where = f" {SETTING_WORDS[setting]}" if setting in SETTING_WORDS else ""
        steps.append(
            f"Tell them they were in contact with someone who has the infection{when}{where}. Never say who: "
            "it is not yours to share, and Serment does not show it to you."
        )
    elif lost:
        steps.append(
            "They missed their last two follow-up calls: if you cannot reach them now, tell your team "
            "lead, who may arrange a visit."
        )
    if plan is not None:
        steps.append(
            f"Advise them: {PLACE_MEANINGS.get(plan.place, plan.place)} until {plan.until.isoformat()}."
        )
        if plan.tests_due:
            days = ", ".join(day.isoformat() for day in plan.tests_due)
            steps.append(f"Tests are due on {days}: tell them where to be tested.")
    steps.append(
        f"Ask about symptoms ({', '.join(s.replace('_', ' ') for s in SYMPTOMS)}) and when they began."
    )
    if kind == "call":
        since = f" since {exposure_date.isoformat()}" if exposure_date is not None else " in the last days"
        steps.append(f"Ask whom they met closely{since}, and record them as their contacts.")
        steps.append(
            "Ask whether they agree to a short follow-up call every day until their quarantine ends."
        )
    return tuple(steps)
