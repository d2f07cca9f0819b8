"""Minimisation as policy data: the fields each kind of report may carry.

The vocabulary is fixed here, in code, as the rest of the policy's: the kinds of report, their
parts, the fields each part knows and the fields no policy may withhold. A policy file only chooses,
for each part, which of the other fields it may carry; a report carrying anything else is refused
whole by the reporting services, with nothing stored.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

# The parts of each kind of report: whom it is about, and what is reported of them.
REPORT_PARTS: dict[str, tuple[str, ...]] = {
    "case": ("person", "case"),
    "result": ("person", "result"),
    "contact": ("person", "exposure"),
}
REPORT_KINDS: tuple[str, ...] = tuple(REPORT_PARTS)
FIELDS: dict[str, tuple[str, ...]] = {
    "person": (
        "nir", "family_name", "given_names", "birth_date", "sex", "address", "phone", "email", "external_ref",
    ),
    "case": ("status", "onset_date", "asymptomatic", "hospitalised", "notes"),
    "result": ("sample_date", "result_date", "test_type", "value", "loinc", "lab"),
    "exposure": ("date", "setting", "place_id", "proximity", "duration_minutes", "notes"),
}  # fmt: skip
# Fields no policy may withhold, and why: without them a report cannot be stored or means nothing.
NEEDED: dict[str, tuple[str, ...]] = {
    "person": ("family_name", "given_names", "birth_date", "sex"),
    "case": ("status", "onset_date", "asymptomatic"),
    "result": ("sample_date", "test_type", "value", "loinc"),
    "exposure": ("date", "setting"),
}
NEEDED_BECAUSE: dict[str, str] = {
    "person": "a person cannot be registered without their names, birth date and sex",
    "case": "a case needs its status and either an onset date or asymptomatic = true",
    "result": "a result needs its sample date, test type and value, and FHIR and lab files name the test "
    "by its LOINC code",
    "exposure": "an exposure needs its date and setting",
}
# How a refusal names a field and a part of a kind of report, as in "an e-mail address for a contact".
FIELD_NAMES: dict[str, str] = {
    "nir": "a NIR", "family_name": "a family name", "given_names": "given names",
    "birth_date": "a birth date", "sex": "a sex", "address": "an address", "phone": "a phone number",
    "email": "an e-mail address", "external_ref": "the sender's own reference", "status": "a status",
    "onset_date": "an onset date", "asymptomatic": "asymptomatic", "hospitalised": "a hospitalisation",
    "notes": "notes", "sample_date": "a sample date", "result_date": "a result date",
    "test_type": "a test type", "value": "a value", "loinc": "a LOINC code", "lab": "a laboratory's name",
    "date": "a date", "setting": "a setting", "place_id": "a place", "proximity": "a proximity",
    "duration_minutes": "a duration",
}  # fmt: skip
PART_NAMES: dict[tuple[str, str], str] = {
    ("case", "person"): "the person of a case",
    ("case", "case"): "a case",
    ("result", "person"): "the person of a result",
    ("result", "result"): "a result",
    ("contact", "person"): "a contact",
    ("contact", "exposure"): "a contact's exposure",
}

Rules = Mapping[str, Mapping[str, tuple[str, ...]]]
Problem = tuple[tuple[str | int, ...], str]


def refusal(policy_name: str, kind: str, part: str, field: str) -> str:
    """Why a field is refused, as in `the policy "fr-2020" does not allow an e-mail address for a
    contact`; for every door's error message."""
    return f'the policy "{policy_name}" does not allow {FIELD_NAMES[field]} for {PART_NAMES[kind, part]}'


def minimisation_problems(rules: Rules) -> Iterator[Problem]:
    """Every way `rules` (the policy's [minimisation] tables) break the vocabulary, located in TOML."""
    here: tuple[str | int, ...] = ("minimisation",)
    for kind, parts in rules.items():
        if kind not in REPORT_PARTS:
            yield (
                (*here, kind),
                f"{kind!r} is not a kind of report Serment knows; the kinds are {_listing(REPORT_KINDS)}",
            )
            continue
        yield from _kind_problems(kind, parts)
    for kind in REPORT_KINDS:
        if kind not in rules:
            yield (
                here,
                f"the {kind} report is not listed; add a [minimisation.{kind}] table with "
                f"{_listing([f'{part} = [...]' for part in REPORT_PARTS[kind]])}, the fields each may carry",
            )


def _kind_problems(kind: str, parts: Mapping[str, tuple[str, ...]]) -> Iterator[Problem]:
    known = REPORT_PARTS[kind]
    for part, fields in parts.items():
        if part not in known:
            yield (
                ("minimisation", kind, part),
                f"{part!r} is not a part of a {kind} report; its parts are {_listing(known)}",
            )
            continue
        yield from _field_problems(kind, part, fields)
    for part in known:
        if part not in parts:
            yield (
                ("minimisation", kind),
                f"the {kind} report has no list for its {part}; add {part} = [...] with the fields it "
                "may carry",
            )


def _field_problems(kind: str, part: str, fields: tuple[str, ...]) -> Iterator[Problem]:
    here = ("minimisation", kind, part)
    for position, field in enumerate(fields):
        if field not in FIELDS[part]:
            yield (
                (*here, position),
                f"{field!r} is not a {part} field Serment knows; the {part} fields are "
                f"{_listing(FIELDS[part])}",
            )
        elif field in fields[:position]:
            yield (*here, position), f"lists the field {field!r} twice; keep one"
    missing = [field for field in NEEDED[part] if field not in fields]
    if missing:
        yield (
            here,
            f"must list {_listing(missing)}, which no policy may withhold: {NEEDED_BECAUSE[part]}",
        )


def _listing(names: tuple[str, ...] | list[str]) -> str:
    return ", ".join(names[:-1]) + f" and {names[-1]}" if len(names) > 1 else "".join(names)
