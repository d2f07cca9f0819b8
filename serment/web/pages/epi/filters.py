"""The filters of the epidemiologist's pages as people type them: dates, a département, a status and a
page, checked one by one so that each problem is named next to its field and every value typed is
shown again as it was."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from serment.people.areas import is_department
from serment.web.pages.epi.wording import CASE_STATUSES, Reader
from serment.web.pages.i18n import N_

# The dashboard's range when none is given: the last eight weeks, today included.
DEFAULT_DAYS = 56
# The longest range the curve draws: beyond a year its bars are thinner than a pixel.
MOST_DAYS = 366
# Beyond this page, a list is better narrowed by its filters.
LAST_PAGE = 100_000

NOT_A_DATE = N_("Enter a date as year-month-day, such as %(example)s.")
IN_THE_FUTURE = N_("Choose a date up to today, %(today)s.")
BACKWARDS = N_("The start must be on or before the end.")
TOO_LONG = N_("Choose a range of at most %(days)s days.")
NOT_AN_AREA = N_("Enter a département code, such as 69, 2A or 974, or leave the field empty for every area.")
NOT_A_STATUS = N_("Choose a status from the list.")


@dataclass
class Filters:
    """Filters as typed (`typed`), the values they stand for, and what is wrong with them, by field
    (messages in the reader's language)."""

    typed: dict[str, str]
    start: date | None = None
    end: date | None = None
    area: str | None = None
    status: str | None = None
    page: int = 1
    errors: dict[str, str] = field(default_factory=dict)

    @property
    def valid(self) -> bool:
        """Whether every filter could be read."""
        return not self.errors


def read_filters(
    reader: Reader,
    today: date,
    *,
    start: str = "",
    end: str = "",
    area: str = "",
    status: str | None = None,
    page: str = "",
) -> Filters:
    """The filters of a list: optional report dates (`start`..`end`, each up to today), an optional
    département and status, and a page (1 when absent or not a number: pages come from links)."""
    typed = {"from": start.strip(), "to": end.strip(), "area": area.strip()}
    if status is not None:
        typed["status"] = status.strip()
    found = Filters(typed)
    found.start = _date(found, reader, "from", today)
    found.end = _date(found, reader, "to", today)
    if found.start is not None and found.end is not None and found.start > found.end:
        found.errors.setdefault("from", reader.say(BACKWARDS))
    found.area = _area(found, reader)
    if typed.get("status"):
        if typed["status"] in CASE_STATUSES:
            found.status = typed["status"]
        else:
            found.errors["status"] = reader.say(NOT_A_STATUS)
    found.page = int(page) if page.isdigit() and 1 <= int(page) <= LAST_PAGE else 1
    return found


def read_range(reader: Reader, today: date, *, start: str = "", end: str = "", area: str = "") -> Filters:
    """The dashboard's filters: a range of at most MOST_DAYS days up to today (the last DEFAULT_DAYS
    days when left empty; one date alone reaches DEFAULT_DAYS days from it) and an optional
    département."""
    found = read_filters(reader, today, start=start, end=end, area=area)
    if not found.valid:
        return found
    span = timedelta(days=DEFAULT_DAYS - 1)
    if found.start is not None and found.end is None:
        found.end = min(found.start + span, today)
    found.end = found.end or today
    found.start = found.start or found.end - span
    if (found.end - found.start).days + 1 > MOST_DAYS:
        found.errors["from"] = reader.say(TOO_LONG, days=MOST_DAYS)
    return found


def _date(found: Filters, reader: Reader, name: str, today: date) -> date | None:
    text = found.typed[name]
    if not text:
        return None
    try:
        # fromisoformat also takes 20260302 and week dates: people are asked for one form only.
        day = date.fromisoformat(text) if len(text) == len("2026-03-02") else None
    except ValueError:
        day = None
    if day is None:
        found.errors[name] = reader.say(NOT_A_DATE, example=today.isoformat())
        return None
    if day > today:
        found.errors[name] = reader.say(IN_THE_FUTURE, today=reader.date(today))
        return None
    return day


def _area(found: Filters, reader: Reader) -> str | None:
    text = found.typed["area"].upper()
    if not text:
        return None
    if not is_department(text):
        found.errors["area"] = reader.say(NOT_AN_AREA)
        return None
    return text
