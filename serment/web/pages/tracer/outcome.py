"""The outcome form of a call, without JavaScript: what the tracer typed, kept as typed whatever
happens, read into the service's `OutcomeInput`, and each problem placed next to its field.

The contact's own contacts are rows of the same form: "Add a contact" and "Remove" are submit
buttons that send everything typed and get the form back with one row more or less. Problems come
from the services (`outcome_problems`, the identity checks, the policy's minimisation) in English;
`explain` says the known ones in the reader's language and shows any other as the service wrote it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date

from serment.people import person_details
from serment.reporting import ContactInput
from serment.reporting.rules import ExposureInput
from serment.secrecy import IdentityError, IdentityErrors
from serment.tracing.outcomes import OutcomeInput
from serment.web.pages.i18n import N_

Problem = tuple[str, str]
# The fields of a contact row that identify the person, in the order of the form; the policy's
# minimisation for contacts decides which of them are offered.
PERSON_FIELDS = ("family_name", "given_names", "birth_date", "sex", "phone")
REQUIRED_PERSON_FIELDS = ("family_name", "given_names", "birth_date", "sex")
EXPOSURE_FIELDS = ("exposure_date", "setting")
MAX_ROWS = 50
ADD, RECORD, REMOVE = "add", "record", "remove:"
_ROW_KEY = re.compile(r"contact-(\d{1,3})-([a-z_]+)")
_LOCATION = re.compile(r"contacts\.(\d+)(?:\.(person|exposure)(?:\.([a-z_]+))?)?")

BAD_DATE = N_("Write the date as YYYY-MM-DD, as in 2026-03-01.")
NO_EXPOSURE_DATE = N_("Give the day they met.")
NO_SETTING = N_("Choose where they met.")
NO_RESULT = N_("Choose the result of the call.")
EMPTY_ROW = N_("Fill in this contact, or remove the row.")
FIELD_EMPTY = N_("Fill this in.")
# The services' messages, as the page says them: (pattern, msgid); named groups fill the blanks.
WORDING: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern), msgid)
    for pattern, msgid in (
        (r"is listed twice", N_("This symptom is ticked twice.")),
        (r"^must be one of", N_("Choose one of the values offered.")),
        (r"^give the symptoms whose onset",
         N_("Tick the symptoms whose onset this is, or leave the onset empty.")),
        (r"^the exposure \(.*\) is after the report", N_("The day they met cannot be after today.")),
        (r"^the birth date is in the future", N_("The birth date is in the future.")),
        (r"is in the future", N_("This date is in the future.")),
        (r"^only a contact who was reached",
         N_("Only a contact who was reached can give this: choose “Reached”, or leave it empty.")),
        (r"^say whether the contact agrees", N_("Say whether the contact agrees to a daily follow-up call.")),
        (r"^at most (?P<limit>[\d,]+) characters", N_("At most %(limit)s characters.")),
        (r"cannot end before it starts", N_("The exposure cannot end before it starts.")),
        (r"^the contact is the person being reported", N_("This is the person you are calling.")),
        (r"^the same person as contacts\.(?P<other>\d+)", N_("The same person as contact %(other)s.")),
        (r"(is|are) empty$", FIELD_EMPTY),
        (r"holds? '(?P<character>.)', which is not a letter",
         N_("“%(character)s” is not a letter: use letters, spaces, hyphens and apostrophes.")),
        (r"^the birth date is before 1890", N_("The birth date is before 1890: check the year.")),
        (r"^the birth date is not a day of the calendar", N_("This day is not in the calendar.")),
        (r"^the birth date must be", BAD_DATE),
        (r"^the sex must be", N_("Choose the sex.")),
        (r"^the phone number must have", N_("A phone number has 6 to 15 digits, optionally after a +.")),
    )
)  # fmt: skip


@dataclass
class OutcomeForm:
    """The outcome form as typed: every value a string, as the browser sent it."""

    result: str = ""
    symptoms: tuple[str, ...] = ()
    onset_date: str = ""
    consent: str = ""
    notes: str = ""
    rows: list[dict[str, str]] = field(default_factory=list)

    @classmethod
    def read(cls, form: Mapping[str, str], symptoms: Iterable[str]) -> OutcomeForm:
        """The form as sent (`symptoms` are the boxes ticked), rows in order, at most MAX_ROWS."""
        rows: dict[int, dict[str, str]] = {}
        for key, value in form.items():
            found = _ROW_KEY.fullmatch(key)
            if (
                found
                and int(found.group(1)) < MAX_ROWS
                and found.group(2) in (*PERSON_FIELDS, *EXPOSURE_FIELDS)
            ):
                rows.setdefault(int(found.group(1)), {})[found.group(2)] = value.strip()
        return cls(
            result=form.get("result", ""), symptoms=tuple(symptoms),
            onset_date=form.get("onset_date", "").strip(), consent=form.get("consent", ""),
            notes=form.get("notes", ""),
            rows=[rows[number] for number in sorted(rows)],
        )  # fmt: skip

    def edited(self, action: str) -> OutcomeForm | None:
        """The form after "Add a contact" or "Remove" (None when `action` records the outcome)."""
        if action == ADD and len(self.rows) < MAX_ROWS:
            self.rows.append({})
            return self
        if action.startswith(REMOVE) and action[len(REMOVE) :].isdigit():
            number = int(action[len(REMOVE) :])
            self.rows = [row for index, row in enumerate(self.rows) if index != number]
            return self
        return self if action == ADD else None

    def outcome(self, today: date) -> tuple[OutcomeInput, list[Problem]]:
        """The outcome for the service, and the problems reading it found (it is incomplete then)."""
        problems: list[Problem] = [] if self.result else [("result", NO_RESULT)]
        onset = _day(self.onset_date, "onset_date", problems)
        contacts = []
        for number, row in enumerate(self.rows):
            contact = _contact(row, number, today, problems)
            if contact is not None:
                contacts.append(contact)
        outcome = OutcomeInput(
            result=self.result, symptoms=self.symptoms, onset_date=onset, contacts=tuple(contacts),
            consent={"yes": True, "no": False}.get(self.consent), notes=self.notes.strip() or None,
        )  # fmt: skip
        return outcome, problems


def field_of(location: str) -> str:
    """The form field a problem's location names: `contacts.2.person.phone` is `contact-2-phone`."""
    found = _LOCATION.fullmatch(location)
    if found is None:
        return location.split(".", 1)[0]
    number, part, name = found.groups()
    if part == "exposure":
        return f"contact-{number}-" + ("setting" if name == "setting" else "exposure_date")
    if part == "person" and name in PERSON_FIELDS:
        return f"contact-{number}-{name}"
    return f"contact-{number}"


def explain(message: str, gettext: Callable[[str], str]) -> str:
    """`message` (a service's, or a msgid of this page) in the reader's language, when known."""
    for pattern, msgid in WORDING:
        found = pattern.search(message)
        if found is not None:
            values = found.groupdict()
            if "other" in values:
                values["other"] = str(int(values["other"]) + 1)
            return gettext(msgid) % values if values else gettext(msgid)
    return gettext(message)


def _contact(row: dict[str, str], number: int, today: date, problems: list[Problem]) -> ContactInput | None:
    here = f"contacts.{number}"
    if not any(row.values()):
        problems.append((here, EMPTY_ROW))
        return None
    found = len(problems)
    details = None
    try:
        details = person_details(
            nir=None, family_name=row.get("family_name", ""), given_names=row.get("given_names", ""),
            birth_date=row.get("birth_date", ""), sex=row.get("sex", ""), phone=row.get("phone") or None,
            today=today,
        )  # fmt: skip
    except (IdentityError, IdentityErrors) as error:
        problems += [(f"{here}.person.{problem.field}", problem.message) for problem in error.errors]
    day = _day(row.get("exposure_date", ""), f"{here}.exposure.date", problems, NO_EXPOSURE_DATE)
    if not row.get("setting"):
        problems.append((f"{here}.exposure.setting", NO_SETTING))
    if details is None or day is None or len(problems) > found:
        return None
    return ContactInput(details, ExposureInput(day, day, row["setting"]))


def _day(text: str, where: str, problems: list[Problem], missing: str | None = None) -> date | None:
    if not text:
        if missing is not None:
            problems.append((where, missing))
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        problems.append((where, BAD_DATE))
        return None
