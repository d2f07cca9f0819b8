"""The case report form: its fields (those the policy lets a report carry), the values as typed, its
contact rows, the body of the reporting API it becomes, and each problem put back next to its field.

Field names are the places of the API's JSON body (`person.birth_date`, `contacts.0.exposure.date`),
so that a problem the reporting service names lands on the field that caused it.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from pydantic_core import ErrorDetails
from starlette.datastructures import FormData

from serment.policy import Policy
from serment.web.pages.clinic.messages import Message, told
from serment.web.pages.i18n import N_

MAX_ROWS = 50
ROWS_FIELD = "contact_rows"
KEY_FIELD = "idempotency_key"
CHECKED = ("on", "true", "1")
_FRENCH_DATE = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})")
_KEY = re.compile(r"[A-Za-z0-9_-]{16,64}")

SEXES = (("F", N_("Female")), ("M", N_("Male")), ("X", N_("Other or not stated")))
STATUSES = (("confirmed", N_("Confirmed")), ("probable", N_("Probable")), ("suspected", N_("Suspected")))
TEST_TYPES = (("rt-pcr", N_("RT-PCR")), ("antigen", N_("Antigen test")), ("serology", N_("Serology")))
VALUES = (("positive", N_("Positive")), ("negative", N_("Negative")), ("indeterminate", N_("Indeterminate")))
SETTINGS = (
    ("household", N_("Household")), ("work", N_("Work")), ("school", N_("School")),
    ("health_care", N_("Health care")), ("venue", N_("Venue (bar, shop, event)")),
    ("transport", N_("Transport")), ("other", N_("Other")),
)  # fmt: skip
PLACES = (
    ("hospital", N_("In hospital")), ("facility", N_("In a quarantine facility")), ("home", N_("At home")),
    ("self_monitoring", N_("Free to move, watching for symptoms")),
)  # fmt: skip
# The words shown for the values the pages display, by kind (msgids; templates translate them).
LABELS = {
    "sex": dict(SEXES), "status": dict(STATUSES), "test_type": dict(TEST_TYPES), "value": dict(VALUES),
    "setting": dict(SETTINGS), "place": dict(PLACES),
}  # fmt: skip


@dataclass(frozen=True)
class Field:
    """One field of the form: its key under its part, label, kind (text, date, tel, email, select,
    checkbox, textarea), options of a select, whether a report must hold it, and the field of the
    policy's minimisation that decides whether it is shown (None: always)."""

    key: str
    label: str
    kind: str = "text"
    options: tuple[tuple[str, str], ...] = ()
    required: bool = False
    policy: str | None = None
    hint: str | None = None


PATIENT = (
    Field("nir", N_("NIR (social security number)"), policy="nir",
          hint=N_("If known: 15 characters, spaces allowed.")),
    Field("family_name", N_("Family name"), required=True),
    Field("given_names", N_("Given names"), required=True),
    Field("birth_date", N_("Birth date"), "date", required=True),
    Field("sex", N_("Sex"), "select", SEXES, required=True),
    Field("phone", N_("Phone"), "tel", policy="phone"),
    Field("email", N_("E-mail"), "email", policy="email"),
    Field("address.line", N_("Address"), policy="address"),
    Field("address.postal_code", N_("Postal code"), policy="address"),
    Field("address.city", N_("City"), policy="address"),
)  # fmt: skip
CASE = (
    Field("status", N_("Status"), "select", STATUSES, required=True),
    Field("onset_date", N_("Date the symptoms began"), "date"),
    Field("asymptomatic", N_("No symptoms"), "checkbox"),
    Field("hospitalised", N_("In hospital"), "checkbox"),
    Field("notes", N_("Notes"), "textarea", policy="notes",
          hint=N_("What no field can say, in at most 1,000 characters; kept sealed like the identity.")),
)  # fmt: skip
RESULT = (
    Field("test_type", N_("Test"), "select", TEST_TYPES),
    Field("value", N_("Result"), "select", VALUES),
    Field("sample_date", N_("Sample date"), "date"),
    Field("result_date", N_("Result date"), "date"),
)
CONTACT = (
    Field("person.family_name", N_("Family name"), required=True),
    Field("person.given_names", N_("Given names"), required=True),
    Field("person.birth_date", N_("Birth date"), "date", required=True),
    Field("person.sex", N_("Sex"), "select", SEXES, required=True),
    Field("person.phone", N_("Phone"), "tel", policy="phone"),
    Field("person.address.line", N_("Address"), policy="address"),
    Field("person.address.postal_code", N_("Postal code"), policy="address"),
    Field("person.address.city", N_("City"), policy="address"),
    Field("exposure.date", N_("Exposure date"), "date", required=True),
    Field("exposure.setting", N_("Where"), "select", SETTINGS, required=True),
)
DATE_KEYS = frozenset(f.key for f in (*PATIENT, *CASE, *RESULT, *CONTACT) if f.kind == "date")


@dataclass(frozen=True)
class Fields:
    """The fields a policy lets this form show, part by part."""

    patient: tuple[Field, ...]
    case: tuple[Field, ...]
    result: tuple[Field, ...]
    contact: tuple[Field, ...]

    @classmethod
    def of(cls, policy: Policy) -> Fields:
        """The fields of the form under `policy`'s minimisation of case reports."""

        def allowed(fields: Iterable[Field], kind: str, part: str) -> tuple[Field, ...]:
            carried = policy.may_carry(kind, part)
            return tuple(f for f in fields if f.policy is None or f.policy in carried)

        contact_person = allowed((f for f in CONTACT if f.key.startswith("person.")), "contact", "person")
        return cls(
            patient=allowed(PATIENT, "case", "person"),
            case=allowed(CASE, "case", "case"),
            result=RESULT,
            contact=(*contact_person, *(f for f in CONTACT if f.key.startswith("exposure."))),
        )

    def names(self, rows: int) -> list[str]:
        """Every field name of the form with `rows` contact rows."""
        return [
            *(f"person.{f.key}" for f in self.patient),
            *(f"case.{f.key}" for f in self.case),
            *(f"result.{f.key}" for f in self.result),
            *(f"contacts.{row}.{f.key}" for row in range(rows) for f in self.contact),
        ]

    def label(self, name: str) -> tuple[str, int | None]:
        """The label of the field `name`, and its contact row (from 0) when it is in one."""
        part, _, key = name.partition(".")
        if part == "contacts":
            row, _, key = key.partition(".")
            return _label_of(self.contact, key, N_("Contact")), int(row)
        fields = {"person": self.patient, "case": self.case, "result": self.result}.get(part, ())
        return _label_of(fields, key, N_("Report")), None


def _label_of(fields: Iterable[Field], key: str, default: str) -> str:
    return next((f.label for f in fields if f.key == key), default)


@dataclass
class ReportForm:
    """What the clinician typed, kept whole through every round trip: values by field name, the
    number of contact rows, and the idempotency key that makes a second submission replay the first."""

    fields: Fields
    values: dict[str, str]
    rows: int = 1
    key: str = field(default_factory=lambda: secrets.token_urlsafe(24))

    @classmethod
    def blank(cls, policy: Policy) -> ReportForm:
        """An empty form with one contact row."""
        return cls(Fields.of(policy), {})

    @classmethod
    def sent(cls, form: FormData, policy: Policy) -> ReportForm:
        """The form as posted: only its own fields, each as typed."""
        rows = _int(form.get(ROWS_FIELD), default=0, low=0, high=MAX_ROWS)
        fields = Fields.of(policy)
        values = {}
        for name in fields.names(rows):
            value = form.get(name)
            if isinstance(value, str):
                values[name] = value
        key = form.get(KEY_FIELD)
        made = cls(fields, values, rows)
        if isinstance(key, str) and _KEY.fullmatch(key):
            made.key = key
        return made

    def add_row(self) -> int:
        """One more empty contact row (up to MAX_ROWS); its index."""
        self.rows = min(self.rows + 1, MAX_ROWS)
        return self.rows - 1

    def remove_row(self, row: int) -> None:
        """Remove contact row `row`, moving the rows after it up, their values with them."""
        if not 0 <= row < self.rows:
            return
        moved: dict[str, str] = {}
        for name, value in self.values.items():
            if not name.startswith("contacts."):
                moved[name] = value
                continue
            _, index, rest = name.split(".", 2)
            number = int(index)
            if number != row:
                moved[f"contacts.{number - 1 if number > row else number}.{rest}"] = value
        self.values = moved
        self.rows -= 1

    def new_key(self) -> None:
        """A fresh idempotency key, for a form that must be sent as a new report."""
        self.key = secrets.token_urlsafe(24)

    def body(self) -> tuple[dict[str, Any], list[int]]:
        """The JSON body of `POST /api/v1/reports` this form stands for, and the form row of each contact
        it sends. Blank fields are left out (so a required one is reported missing), rows left wholly
        blank are not sent, and dates typed DD/MM/YYYY are sent as YYYY-MM-DD."""
        person = self._part("person.", self.fields.patient)
        case: dict[str, Any] = self._part("case.", self.fields.case)
        for flag in ("asymptomatic", "hospitalised"):
            case[flag] = self.values.get(f"case.{flag}", "").lower() in CHECKED
        result = self._part("result.", self.fields.result)
        contacts, rows = [], []
        for row in range(self.rows):
            contact = self._part(f"contacts.{row}.", self.fields.contact)
            if contact:
                contacts.append(contact)
                rows.append(row)
        body: dict[str, Any] = {"person": person, "case": case, "contacts": contacts}
        if result:
            body["result"] = result
        return body, rows

    def _part(self, prefix: str, fields: Sequence[Field]) -> dict[str, Any]:
        part: dict[str, Any] = {}
        for spec in fields:
            if spec.kind == "checkbox":
                continue
            text = self.values.get(prefix + spec.key, "").strip()
            if text:
                _put(part, spec.key.split("."), _iso(text) if spec.key in DATE_KEYS else text)
        return part


@dataclass(frozen=True)
class Problem:
    """A problem of the form: the field it belongs to (None: the whole form), its message, and the label
    and contact row the summary names it by."""

    field: str | None
    message: Message
    label: str | None = None
    row: int | None = None


def located(form: ReportForm, problems: Iterable[tuple[str, Message]]) -> list[Problem]:
    """Problems found at places of the API's body (`contacts.0.exposure.date_from`), each on the form's
    field for that place (the form row of the contact sent, the field a date range is typed in)."""
    found = []
    shown = set(form.fields.names(form.rows))
    for where, message in problems:
        name = _field_name(where, shown)
        label, row = form.fields.label(name) if name is not None else (None, None)
        found.append(Problem(name, message, label, row))
    return found


def from_validation(errors: Sequence[ErrorDetails], rows: Sequence[int]) -> list[tuple[str, Message]]:
    """Pydantic's errors of the API's models, as places of the form and messages a page can say."""
    located_errors = []
    for error in errors:
        parts = [str(part) for part in error["loc"]]
        if parts[:1] == ["contacts"] and len(parts) > 1 and parts[1].isdigit():
            parts[1] = str(rows[int(parts[1])]) if int(parts[1]) < len(rows) else parts[1]
        if parts[-1:] == ["exposure"]:
            parts.append("date")  # the check that needs a date (or a range) of the exposure
        located_errors.append((".".join(parts), _validation_message(error)))
    return located_errors


def from_service(problems: Iterable[tuple[str, str]], rows: Sequence[int]) -> list[tuple[str, Message]]:
    """The reporting service's problems (places in the report as sent), at places of the form."""
    sent_rows = dict(enumerate(rows))
    found = []
    for where, sentence in problems:
        parts = where.split(".")
        if parts[0] == "contacts" and len(parts) > 1 and parts[1].isdigit():
            parts[1] = str(sent_rows.get(int(parts[1]), int(parts[1])))
        found.append((".".join(parts), told(sentence, sent_rows)))
    return found


def _validation_message(error: ErrorDetails) -> Message:
    kind = error["type"]
    if kind in {"missing", "string_too_short"}:
        return Message(N_("Required."))
    if kind == "string_too_long":
        return Message(
            N_("At most %(limit)s characters."), {"limit": (error.get("ctx") or {}).get("max_length")}
        )
    if kind == "literal_error":
        return Message(N_("Choose one of the options."))
    if "date" in kind or (kind == "string_pattern_mismatch" and error["loc"][-1:] == ("birth_date",)):
        return Message(N_("Not a date: write DD/MM/YYYY or YYYY-MM-DD."))
    if kind == "value_error" and error["loc"][-1:] == ("exposure",):
        return Message(N_("Give the date of the exposure."))
    return Message(N_("This value is not accepted."))


def _field_name(where: str, shown: set[str]) -> str | None:
    """The form field for a place of the API's body: itself, a date range's single date field, the
    first field of an address or a contact, or None (the whole form)."""
    candidates = [
        where,
        where.replace("exposure.date_from", "exposure.date").replace("exposure.date_to", "exposure.date"),
    ]
    candidates += [f"{where}.line", f"{where}.family_name", f"{where}.person.family_name"]
    return next((name for name in candidates if name in shown), None)


def _put(target: dict[str, Any], path: list[str], value: str) -> None:
    for key in path[:-1]:
        target = target.setdefault(key, {})
    target[path[-1]] = value


def _iso(text: str) -> str:
    """A date typed DD/MM/YYYY written YYYY-MM-DD (even a day the calendar lacks, which the checks
    then name as such); any other text as it is."""
    found = _FRENCH_DATE.fullmatch(text)
    if found is None:
        return text
    day, month, year = (int(part) for part in found.groups())
    return f"{year:04d}-{month:02d}-{day:02d}"


def _int(value: object, *, default: int, low: int, high: int) -> int:
    try:
        number = int(value) if isinstance(value, str) else default
    except ValueError:
        number = default
    return max(low, min(high, number))
