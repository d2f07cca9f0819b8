"""Laboratory files (CSV or XLSX) read one row at a time: the header mapped to Serment's columns,
each row turned into a person and a result, or into the problems that keep it out.

Pure: no database, no clock. See docs/imports.md for the column mapping.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
import zipfile
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import BinaryIO

from openpyxl import load_workbook  # type: ignore[import-untyped]  # no stubs in the venv
from openpyxl.utils.exceptions import InvalidFileException  # type: ignore[import-untyped]

from serment.people import Address, PersonDetails, person_details
from serment.policy import Policy, refusal
from serment.reporting.minimisation import withheld
from serment.reporting.rules import ResultInput, check_result
from serment.secrecy import IdentityError, IdentityErrors, Spool

# Serment's columns, each with the header names accepted for it (compared without case or accents).
COLUMNS: Mapping[str, tuple[str, ...]] = {
    "nir": ("nir", "numero_securite_sociale", "nss"),
    "family_name": ("family_name", "nom", "nom_naissance", "nom_de_naissance"),
    "given_names": ("given_names", "prenom", "prenoms"),
    "birth_date": ("birth_date", "date_naissance", "date_de_naissance", "ddn"),
    "sex": ("sex", "sexe"),
    "postal_code": ("postal_code", "code_postal", "cp"),
    "city": ("city", "ville", "commune"),
    "address_line": ("address_line", "adresse"),
    "phone": ("phone", "telephone", "tel"),
    "email": ("email", "e_mail", "courriel", "mail"),
    "sample_date": ("sample_date", "date_prelevement", "date_de_prelevement"),
    "result_date": ("result_date", "date_resultat", "date_de_resultat", "date_validation"),
    "test_type": ("test_type", "type_test", "type_de_test", "technique"),
    "value": ("value", "resultat", "result"),
    "loinc": ("loinc", "code_loinc"),
    "lab": ("lab", "laboratoire", "labo"),
    "sample_id": ("sample_id", "id_prelevement", "numero_prelevement", "num_prelevement"),
}
REQUIRED = ("family_name", "given_names", "birth_date", "sex", "sample_date", "test_type", "value")
# The field of a result report each column fills, for minimisation: a column whose field the policy
# withholds refuses the file. sample_id fills none: it is kept only as a keyed hash, to refuse a
# sample sent twice.
COLUMN_FIELDS: Mapping[str, tuple[str, str]] = {
    "nir": ("person", "nir"), "family_name": ("person", "family_name"),
    "given_names": ("person", "given_names"), "birth_date": ("person", "birth_date"),
    "sex": ("person", "sex"), "postal_code": ("person", "address"), "city": ("person", "address"),
    "address_line": ("person", "address"), "phone": ("person", "phone"), "email": ("person", "email"),
    "sample_date": ("result", "sample_date"), "result_date": ("result", "result_date"),
    "test_type": ("result", "test_type"), "value": ("result", "value"), "loinc": ("result", "loinc"),
    "lab": ("result", "lab"),
}  # fmt: skip
ADDRESS = ("address_line", "postal_code", "city")
TEST_TYPE_SYNONYMS = {
    "rt-pcr": "rt-pcr", "pcr": "rt-pcr", "rtpcr": "rt-pcr", "rt pcr": "rt-pcr",
    "antigen": "antigen", "antigenique": "antigen", "tag": "antigen", "test antigenique": "antigen",
    "serology": "serology", "serologie": "serology", "serologique": "serology",
}  # fmt: skip
VALUE_SYNONYMS = {
    "positive": "positive", "positif": "positive", "positive(s)": "positive", "p": "positive",
    "pos": "positive",
    "negative": "negative", "negatif": "negative", "n": "negative", "neg": "negative",
    "indeterminate": "indeterminate", "indetermine": "indeterminate", "i": "indeterminate",
    "ininterpretable": "indeterminate",
}  # fmt: skip
# Longest text accepted per column, as the JSON API accepts (its PersonIn and ResultIn).
MAX_LENGTHS = {
    "nir": 32, "family_name": 200, "given_names": 200, "postal_code": 16, "city": 100, "address_line": 200,
    "phone": 32, "email": 320, "loinc": 16, "lab": 128, "sample_id": 64,
}  # fmt: skip
_LOINC = re.compile(r"\d{1,8}-\d")
_FRENCH_DATE = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})")
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
XLSX_MAGIC = b"PK\x03\x04"

Cell = str | int | float | date | datetime | None
# A lab file: one at the server's terminal (the command line), or an upload waiting in its spool.
LabFile = Path | Spool
# The key under which `read_rows` hands over a problem of the whole row (too many cells).
ROW = "row"
Problem = tuple[str, str]


class FileRefused(ValueError):
    """The file as a whole cannot be read: not UTF-8, not a spreadsheet, a bad header row."""


@dataclass(frozen=True)
class LabRow:
    """One good row: the person, the result, and the lab's own id of the sample."""

    line: int
    person: PersonDetails
    result: ResultInput
    sample_id: str | None


@dataclass(frozen=True)
class BadRow:
    """One row kept out, with every problem as (column, message)."""

    line: int
    problems: tuple[Problem, ...]


def fold(text: str) -> str:
    """Lower case without accents, surrounding spaces or inner runs of space: for comparing labels."""
    decomposed = unicodedata.normalize("NFKD", text.strip().lower())
    return " ".join("".join(c for c in decomposed if not unicodedata.combining(c)).split())


_ALIASES = {fold(alias): column for column, aliases in COLUMNS.items() for alias in aliases}


def map_header(cells: Sequence[Cell], policy: Policy) -> list[str]:
    """Serment's column for each header cell, or FileRefused naming unknown, repeated or missing ones,
    or the first column holding a field `policy` does not allow a result report to carry."""
    names = ["" if cell is None else str(cell) for cell in cells]
    while names and not names[-1].strip():
        names.pop()  # spreadsheets often carry empty trailing cells
    columns: list[str] = []
    unknown = []
    for name in names:
        key = fold(name).replace(" ", "_").replace("-", "_")
        column = _ALIASES.get(key) or _ALIASES.get(fold(name))
        if column is None:
            unknown.append(name.strip() or "(empty)")
        else:
            columns.append(column)
            _refuse_withheld(policy, name.strip(), column)
    if unknown:
        raise FileRefused(
            f"unknown column{'s' if len(unknown) > 1 else ''} {', '.join(repr(u) for u in unknown)}: "
            "only the columns listed in the import documentation are accepted, nothing else is stored"
        )
    repeated = sorted({c for c in columns if columns.count(c) > 1})
    if repeated:
        raise FileRefused(f"column{'s' if len(repeated) > 1 else ''} given twice: {', '.join(repeated)}")
    missing = [c for c in REQUIRED if c not in columns]
    if missing:
        raise FileRefused(f"missing required column{'s' if len(missing) > 1 else ''}: {', '.join(missing)}")
    return columns


def _refuse_withheld(policy: Policy, name: str, column: str) -> None:
    if column not in COLUMN_FIELDS:
        return
    part, field = COLUMN_FIELDS[column]
    if withheld(policy, "result", part, [field]):
        named = f"'{name}'" if fold(name) == column else f"'{name}' ('{column}')"
        raise FileRefused(
            f"column {named}: {refusal(policy.name, 'result', part, field)}; remove the column and send "
            "the file again"
        )


def parse_date(cell: Cell) -> date:
    """A date from YYYY-MM-DD, DD/MM/YYYY or a spreadsheet date; ValueError saying what is expected."""
    if isinstance(cell, datetime):
        return cell.date()
    if isinstance(cell, date):
        return cell
    text = text_of(cell) or ""
    french = _FRENCH_DATE.fullmatch(text)
    try:
        if french:
            day, month, year = (int(part) for part in french.groups())
            return date(year, month, day)
        if _ISO_DATE.fullmatch(text):
            return date.fromisoformat(text)
    except ValueError:
        raise ValueError(f"{text} is not a date of the calendar") from None
    raise ValueError(f"{text!r} is not a date: write YYYY-MM-DD or DD/MM/YYYY")


def text_of(cell: Cell) -> str | None:
    """A cell as trimmed text (numbers without a decimal part, dates as YYYY-MM-DD), None if empty."""
    if cell is None:
        return None
    if isinstance(cell, float) and cell.is_integer():
        cell = int(cell)
    if isinstance(cell, datetime):
        cell = cell.date()
    text = cell.isoformat() if isinstance(cell, date) else str(cell).strip()
    return text or None


def parse_row(line: int, cells: Mapping[str, Cell], today: date) -> LabRow | BadRow:
    """The person and result of one row, checked as the JSON API checks them, or every problem."""
    if ROW in cells:
        return BadRow(line, ((ROW, str(cells[ROW])),))
    problems: list[Problem] = []
    text = {column: text_of(cells.get(column)) for column in COLUMNS}
    for column, longest in MAX_LENGTHS.items():
        value = text[column]
        if value is not None and len(value) > longest:
            problems.append((column, f"at most {longest} characters"))
            text[column] = None
    for column in REQUIRED:
        if text[column] is None:
            problems.append((column, "is empty"))
    dates: dict[str, date | None] = {}
    for column in ("birth_date", "sample_date", "result_date"):
        try:
            dates[column] = parse_date(cells.get(column)) if text[column] is not None else None
        except ValueError as error:
            problems.append((column, str(error)))
            dates[column] = None
    person = _person(text, dates.get("birth_date"), today, problems)
    result = _result(text, dates, today, problems)
    if text["loinc"] is not None and not _LOINC.fullmatch(text["loinc"]):
        problems.append(("loinc", "a LOINC code is 1 to 8 digits, a dash and a check digit (94500-6)"))
    if problems or person is None or result is None:
        return BadRow(line, tuple(problems))
    return LabRow(line, person, result, text["sample_id"])


def _person(
    text: Mapping[str, str | None], birth: date | None, today: date, problems: list[Problem]
) -> PersonDetails | None:
    given = [column for column in ADDRESS if text[column] is not None]
    address = None
    if len(given) == len(ADDRESS):
        line, postal_code, city = (text[column] or "" for column in ADDRESS)
        address = Address(line=line, postal_code=postal_code, city=city)
    elif given:
        missing = [column for column in ADDRESS if text[column] is None]
        problems.append((missing[0], "give address_line, postal_code and city together, or none of them"))
    if birth is None or text["family_name"] is None or text["given_names"] is None or text["sex"] is None:
        return None
    try:
        return person_details(
            nir=text["nir"],
            family_name=text["family_name"],
            given_names=text["given_names"],
            birth_date=birth.isoformat(),
            sex=text["sex"].upper(),
            address=address,
            phone=text["phone"],
            email=text["email"],
            today=today,
        )
    except (IdentityError, IdentityErrors) as error:
        problems.extend((problem.field, str(problem)) for problem in error.errors)
        return None


def _result(
    text: Mapping[str, str | None], dates: Mapping[str, date | None], today: date, problems: list[Problem]
) -> ResultInput | None:
    test_type = TEST_TYPE_SYNONYMS.get(fold(text["test_type"] or ""))
    value = VALUE_SYNONYMS.get(fold(text["value"] or ""))
    if text["test_type"] is not None and test_type is None:
        problems.append(("test_type", f"{text['test_type']!r} is not one of rt-pcr, antigen, serology"))
    if text["value"] is not None and value is None:
        problems.append(("value", f"{text['value']!r} is not one of positive, negative, indeterminate"))
    sample = dates.get("sample_date")
    if test_type is None or value is None or sample is None:
        return None
    result = ResultInput(sample, dates.get("result_date"), test_type, value, text["loinc"], text["lab"])
    found = check_result(result, today, "result")
    problems.extend((where.removeprefix("result."), what) for where, what in found)
    return None if found else result


@dataclass(frozen=True)
class Position:
    """How far reading has gone: rows read, and `done` of `total` (bytes for CSV, rows for XLSX)."""

    rows: int
    done: int
    total: int | None


def open_lab_file(file: LabFile) -> BinaryIO:
    """The bytes of `file` from its start, as a seekable stream (decrypted as read, for a spool)."""
    return file.open("rb") if isinstance(file, Path) else file.open()


def lab_file_size(file: LabFile) -> int:
    """How many bytes `file` holds (in clear, for a spool)."""
    return file.stat().st_size if isinstance(file, Path) else file.size


def read_rows(
    file: LabFile, policy: Policy, progress: Callable[[Position], None] | None = None, every: int = 1000
) -> Iterator[tuple[int, dict[str, Cell]]]:
    """Each data row of the file as (line, {column: cell}), the header being line 1; one row at a
    time, never the whole file. Raises FileRefused for a file that cannot be read at all, or whose
    header names a column `policy` does not allow."""
    with open_lab_file(file) as head:
        spreadsheet = head.read(len(XLSX_MAGIC)) == XLSX_MAGIC
    rows = _xlsx_rows(file) if spreadsheet else _csv_rows(file)
    header = next(rows, None)
    if header is None or not any(text_of(cell) for cell in header[0]):
        raise FileRefused("the file is empty: a header row naming the columns is required")
    columns = map_header(header[0], policy)
    width = len(columns)
    count, done, total = 0, 0, header[2]
    for line, (cells, done, total) in enumerate(rows, start=2):
        if all(cell is None or (isinstance(cell, str) and not cell.strip()) for cell in cells):
            continue
        count += 1
        if progress is not None and count % every == 0:
            progress(Position(count, done, total))
        extra = [cell for cell in cells[width:] if cell not in (None, "")]
        if extra:
            yield line, {ROW: f"{width + len(extra)} cells, but the header names {width} columns"}
            continue
        yield line, dict(zip(columns, cells, strict=False))
    if progress is not None:
        progress(Position(count, total or done, total or done))


def _csv_rows(file: LabFile) -> Iterator[tuple[list[Cell], int, int | None]]:
    total = lab_file_size(file)
    with open_lab_file(file) as raw:
        stream = io.TextIOWrapper(raw, encoding="utf-8-sig", newline="")
        try:
            first = stream.readline()
            delimiter = ";" if first.count(";") > first.count(",") else ","
            for cells in csv.reader(_chain(first, stream), delimiter=delimiter):
                yield list(cells), raw.tell(), total
        except UnicodeDecodeError:
            raise FileRefused("the file is not UTF-8 text: export it as CSV UTF-8") from None
        except csv.Error as error:
            raise FileRefused(f"the CSV file cannot be read: {error}") from None


def _chain(first: str, rest: Iterator[str]) -> Iterator[str]:
    yield first
    yield from rest


def _xlsx_rows(file: LabFile) -> Iterator[tuple[list[Cell], int, int | None]]:
    # A file object, not a name: uploads have no .xlsx suffix, which openpyxl would refuse. The
    # workbook is a zip read by seeking, which a spool's stream allows one chunk at a time.
    with open_lab_file(file) as raw:
        try:
            book = load_workbook(raw, read_only=True, data_only=True)
        except (zipfile.BadZipFile, InvalidFileException, KeyError, OSError, ValueError):
            raise FileRefused("the file is not a readable XLSX workbook") from None
        try:
            sheet = book.worksheets[0]
            total = sheet.max_row
            for done, values in enumerate(sheet.iter_rows(values_only=True), start=1):
                yield [_cell(value) for value in values], done, total
        finally:
            book.close()


def _cell(value: object) -> Cell:
    if value is None or isinstance(value, str | int | float | date | datetime):
        return value
    return str(value)
