"""What Serment's services say about a report or a file, in the reader's language.

The services explain each problem in an English sentence for the API (`the NIR has an invalid control
key (expected 91)`). A page shows the known sentences translated, with their figures kept, and any
other as the service wrote it: the reader always learns what is wrong, in French when we know how.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from serment.web.pages.i18n import N_


@dataclass(frozen=True)
class Message:
    """A message for a template: a msgid and its values, or (`translatable` False) a sentence to show
    as it is."""

    text: str
    params: Mapping[str, Any] = field(default_factory=dict)
    translatable: bool = True


# Each known sentence of the services (matched whole), and what a page says instead.
_KNOWN: tuple[tuple[str, str], ...] = (
    # Identities (serment.secrecy, serment.people).
    (r"the NIR has (?P<count>\d+) characters?; it needs 15: 13 and a 2-digit key",
     N_("The NIR has %(count)s characters; it needs 15: 13 and a 2-digit key.")),
    (r"the NIR may hold only digits \(and 2A or 2B as characters 6-7, for Corsica\); "
     r"character (?P<position>\d+) is not a digit",
     N_("The NIR holds only digits (and 2A or 2B as characters 6-7, for Corsica); character "
        "%(position)s is not a digit.")),
    (r"the NIR must start with 1, 2, 3, 4, 7 or 8 \(its sex digit\)",
     N_("The NIR starts with 1, 2, 3, 4, 7 or 8 (its sex digit).")),
    (r"the NIR has an invalid control key \(expected (?P<expected>\d+)\)",
     N_("The NIR's control key is wrong (it should be %(expected)s): check each digit.")),
    (r"the family name is empty", N_("Give the family name.")),
    (r"the given names are empty", N_("Give the given names.")),
    (r"the name is empty", N_("Give the name.")),
    (r"(the family name|the given names|the name) holds? (?P<character>.+), which is not a letter; .*",
     N_("%(character)s is not a letter: use letters, spaces, hyphens and apostrophes.")),
    (r"the birth date must be a date without a time of day", N_("Give the birth date without a time.")),
    (r"the birth date is in the future \(after [\d-]+\)", N_("The birth date is in the future.")),
    (r"the birth date is before 1890-01-01; check the year",
     N_("The birth date is before 1890: check the year.")),
    (r"the birth date is not a day of the calendar", N_("This day does not exist in the calendar.")),
    (r"the birth date must be written YYYY-MM-DD, as in 1990-02-01",
     N_("Write the birth date as DD/MM/YYYY or YYYY-MM-DD.")),
    (r"the sex must be F, M or X", N_("Choose the sex.")),
    (r"the phone number must have 6 to 15 digits, optionally after a \+",
     N_("A phone number has 6 to 15 digits, with a + before them if it is international.")),
    (r"the e-mail address is not of the form name@domain.tld",
     N_("An e-mail address is written name@domain.tld.")),
    # Reports (serment.reporting.rules).
    (r"[\d-]+ is in the future \(today is [\d-]+\)", N_("This date is in the future.")),
    (r"give the onset date, or set asymptomatic to true",
     N_("Give the date the symptoms began, or tick “No symptoms”.")),
    (r"an asymptomatic case has no onset date",
     N_("A case without symptoms has no onset date: clear the date, or untick “No symptoms”.")),
    (r"the result cannot come before the sample", N_("The result cannot come before the sample.")),
    (r"the exposure \([\d-]+\) is after the report \([\d-]+\)", N_("The exposure date is after today.")),
    (r"the exposure cannot end before it starts", N_("The exposure cannot end before it starts.")),
    (r"the contact is the person being reported", N_("This contact is the patient being reported.")),
    (r"a contact is the person being reported", N_("A contact is the patient being reported.")),
    (r"the same person as contacts\.(?P<index>\d+)",
     N_("This contact is the same person as contact %(number)s.")),
    (r"at most (?P<limit>[\d,]+) characters( \(got [\d,]+\))?", N_("At most %(limit)s characters.")),
    (r'the policy "(?P<policy>[^"]+)" does not allow .*',
     N_("The policy %(policy)s does not allow this information here: leave it out.")),
    # Lab files (serment.reporting.labfiles).
    (r"is empty", N_("Empty: this column is required.")),
    (r"(?P<text>.+) is not a date of the calendar", N_("%(text)s is not a day of the calendar.")),
    (r"(?P<text>.+) is not a date: write YYYY-MM-DD or DD/MM/YYYY",
     N_("%(text)s is not a date: write DD/MM/YYYY or YYYY-MM-DD.")),
    (r"give address_line, postal_code and city together, or none of them",
     N_("Give address_line, postal_code and city together, or none of them.")),
    (r"(?P<text>.+) is not one of rt-pcr, antigen, serology",
     N_("%(text)s is not a test type: write rt-pcr, antigen or serology.")),
    (r"(?P<text>.+) is not one of positive, negative, indeterminate",
     N_("%(text)s is not a result: write positive, negative or indeterminate.")),
    (r"a LOINC code is 1 to 8 digits, a dash and a check digit \(94500-6\)",
     N_("A LOINC code is 1 to 8 digits, a dash and a check digit (94500-6).")),
    (r"(?P<cells>\d+) cells, but the header names (?P<columns>\d+) columns",
     N_("This row has %(cells)s cells, but the header names %(columns)s columns.")),
    # Lab files refused whole (serment.reporting.labfiles).
    (r"unknown columns? (?P<columns>.+): only the columns listed in the import documentation are accepted, "
     r"nothing else is stored",
     N_("Unknown column(s) %(columns)s: only the columns listed on this page are accepted. Nothing was "
        "stored.")),
    (r"missing required columns?: (?P<columns>.+)", N_("Missing required column(s): %(columns)s.")),
    (r"columns? given twice: (?P<columns>.+)", N_("Column(s) given twice: %(columns)s.")),
    (r"column (?P<column>.+?): the policy .*; remove the column and send the file again",
     N_("The column %(column)s holds what the policy does not allow a result to carry: remove the column "
        "and send the file again.")),
    (r"the file is empty: a header row naming the columns is required",
     N_("The file is empty: its first row must name the columns.")),
    (r"the file is not UTF-8 text: export it as CSV UTF-8",
     N_("The file is not UTF-8 text: export it as “CSV UTF-8”.")),
    (r"the file is not a readable XLSX workbook", N_("The file is not a readable XLSX workbook.")),
    (r"the CSV file cannot be read: .*", N_("The CSV file cannot be read: check that it is a CSV file.")),
)  # fmt: skip
KNOWN = tuple((re.compile(pattern, re.DOTALL), msgid) for pattern, msgid in _KNOWN)


def told(sentence: str, contact_rows: Mapping[int, int] | None = None) -> Message:
    """`sentence` of a service as a page says it. `contact_rows` maps the contacts of a report as sent
    to the rows of the form they came from, for a message naming another contact."""
    for pattern, msgid in KNOWN:
        found = pattern.fullmatch(sentence)
        if found is None:
            continue
        params: dict[str, Any] = dict(found.groupdict())
        if "index" in params:
            index = int(params.pop("index"))
            params["number"] = (contact_rows or {}).get(index, index) + 1
        return Message(msgid, params)
    return Message(sentence[:1].upper() + sentence[1:], translatable=False)
