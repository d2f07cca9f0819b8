"""Reading lab files: the header mapped to Serment's columns (French aliases too), dates in both
formats, the synonyms of test types and values, and each bad cell named by its column."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from openpyxl import Workbook  # type: ignore[import-untyped]

from serment.policy import FIELDS, REPORT_PARTS, load_policy
from serment.reporting.labfiles import (
    BadRow,
    FileRefused,
    LabRow,
    Position,
    map_header,
    parse_date,
    parse_row,
    read_rows,
)
from serment.secrecy import Spool
from serment.secrecy.spool import CHUNK
from tests.people_data import people

TODAY = date(2026, 3, 2)
FR = load_policy("fr-2020")
# A policy letting results carry every field, to read every column Serment knows.
EVERY_FIELD = FR.model_copy(
    update={
        "minimisation": {kind: {part: FIELDS[part] for part in parts} for kind, parts in REPORT_PARTS.items()}
    }
)
PERSON = people(1, seed=5)[0]
ROW = {
    "nir": PERSON.nir,
    "family_name": PERSON.family_name,
    "given_names": PERSON.given_names,
    "birth_date": PERSON.birth_date,
    "sex": PERSON.sex,
    "sample_date": "2026-02-27",
    "result_date": "2026-02-28",
    "test_type": "rt-pcr",
    "value": "positive",
}


@pytest.mark.parametrize(
    ("header", "columns"),
    [
        (
            ["NIR", "Nom", "Prénom", "Date_Naissance", "Sexe"],
            ["nir", "family_name", "given_names", "birth_date", "sex"],
        ),
        (["date prélèvement", "Date-Résultat", "RÉSULTAT"], ["sample_date", "result_date", "value"]),
        (
            ["type_test", "laboratoire", "code_postal", "ville", "adresse"],
            ["test_type", "lab", "postal_code", "city", "address_line"],
        ),
        (["téléphone", "courriel", "sample_id", "loinc"], ["phone", "email", "sample_id", "loinc"]),
    ],
)
def test_header_names_map_to_columns_whatever_their_case_or_accents(
    header: list[str], columns: list[str]
) -> None:
    required = ["family_name", "given_names", "birth_date", "sex", "sample_date", "test_type", "value"]
    extra = [column for column in required if column not in columns]
    assert map_header([*header, *extra], EVERY_FIELD)[: len(columns)] == columns


@pytest.mark.parametrize(
    ("header", "message"),
    [
        ([*ROW, "diagnostic"], "unknown column 'diagnostic'"),
        ([*ROW, "notes", "mutuelle"], "unknown columns 'notes', 'mutuelle'"),
        ([c for c in ROW if c != "value"], "missing required column: value"),
        ([c for c in ROW if c not in ("sex", "sample_date")], "missing required columns: sex, sample_date"),
        ([*ROW, "nom"], "column given twice: family_name"),
    ],
)
def test_a_header_with_unknown_repeated_or_missing_columns_is_refused_naming_them(
    header: list[str], message: str
) -> None:
    with pytest.raises(FileRefused, match=message):
        map_header(header, FR)


@pytest.mark.parametrize(
    ("header", "message"),
    [
        ("courriel", "column 'courriel' ('email'): the policy \"fr-2020\" does not allow an e-mail address "
         "for the person of a result; remove the column and send the file again"),
        ("email", "column 'email': the policy \"fr-2020\" does not allow an e-mail address for the person "
         "of a result; remove the column and send the file again"),
    ],
)  # fmt: skip
def test_a_column_the_policy_withholds_refuses_the_whole_file_naming_it(header: str, message: str) -> None:
    with pytest.raises(FileRefused) as refused:
        map_header([*ROW, header], FR)
    assert str(refused.value) == message
    assert map_header([*ROW, header], EVERY_FIELD)[-1] == "email"


def test_trailing_empty_header_cells_are_ignored() -> None:
    assert map_header([*ROW, None, ""], FR) == list(ROW)


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("2026-02-27", date(2026, 2, 27)),
        ("27/02/2026", date(2026, 2, 27)),
        ("7/2/2026", date(2026, 2, 7)),
        (datetime(2026, 2, 27, 10, 5, tzinfo=UTC), date(2026, 2, 27)),
        (date(2026, 2, 27), date(2026, 2, 27)),
    ],
)
def test_dates_are_read_in_iso_and_french_formats(cell: str | date, expected: date) -> None:
    assert parse_date(cell) == expected


@pytest.mark.parametrize(
    ("cell", "message"),
    [("31/02/2026", "not a date of the calendar"), ("27.02.2026", "write YYYY-MM-DD or DD/MM/YYYY")],
)
def test_impossible_or_unknown_dates_are_refused(cell: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_date(cell)


@pytest.mark.parametrize(
    ("test_type", "value", "expected"),
    [
        ("PCR", "positif", ("rt-pcr", "positive")),
        ("RT-PCR", "Négatif", ("rt-pcr", "negative")),
        ("TAG", "P", ("antigen", "positive")),
        ("antigénique", "N", ("antigen", "negative")),
        ("Sérologie", "indéterminé", ("serology", "indeterminate")),
        ("serology", "indeterminate", ("serology", "indeterminate")),
    ],
)
def test_test_types_and_values_accept_the_labs_synonyms(
    test_type: str, value: str, expected: tuple[str, str]
) -> None:
    parsed = parse_row(2, {**ROW, "test_type": test_type, "value": value}, TODAY)
    assert isinstance(parsed, LabRow)
    assert (parsed.result.test_type, parsed.result.value) == expected


def test_a_good_row_gives_the_person_and_the_result() -> None:
    cells = {**ROW, "birth_date": "/".join(reversed(PERSON.birth_date.split("-"))), "sample_id": " S-1 "}
    parsed = parse_row(2, {**cells, "postal_code": 69003, "city": "Lyon", "address_line": "1 rue A"}, TODAY)
    assert isinstance(parsed, LabRow)
    assert parsed.person.identity.nir == PERSON.nir
    assert parsed.person.address is not None
    assert parsed.person.address.postal_code == "69003"
    assert (parsed.result.sample_date, parsed.sample_id) == (date(2026, 2, 27), "S-1")


@pytest.mark.parametrize(
    ("changes", "problems"),
    [
        ({"nir": PERSON.nir[:-2] + "00"}, [("nir", "the NIR has an invalid control key (expected")]),
        (
            {"sample_date": "2026-03-09", "result_date": ""},
            [("sample_date", "2026-03-09 is in the future (today is 2026-03-02)")],
        ),
        ({"result_date": "2026-02-20"}, [("result_date", "the result cannot come before the sample")]),
        ({"value": "douteux"}, [("value", "'douteux' is not one of positive, negative, indeterminate")]),
        ({"test_type": "culture"}, [("test_type", "'culture' is not one of rt-pcr, antigen, serology")]),
        ({"family_name": " ", "loinc": "abc"}, [("family_name", "is empty"), ("loinc", "a LOINC code is")]),
        ({"city": "Lyon"}, [("address_line", "give address_line, postal_code and city together")]),
        ({"sample_id": "x" * 65}, [("sample_id", "at most 64 characters")]),
    ],
)
def test_a_bad_row_names_each_problem_by_its_column(
    changes: dict[str, str], problems: list[tuple[str, str]]
) -> None:
    parsed = parse_row(7, {**ROW, **changes}, TODAY)
    assert isinstance(parsed, BadRow)
    assert parsed.line == 7
    assert len(parsed.problems) == len(problems)
    for (column, message), (found_column, found_message) in zip(problems, parsed.problems, strict=True):
        assert found_column == column
        assert found_message.startswith(message)


def _csv(tmp_path: Path, text: str, encoding: str = "utf-8") -> Path:
    path = tmp_path / "results.csv"
    path.write_bytes(text.encode(encoding))
    return path


def test_csv_rows_come_with_their_spreadsheet_line_numbers_and_either_separator(tmp_path: Path) -> None:
    text = "\ufeffNom;Prénom;date_naissance;sexe;date_prelevement;type_test;resultat\r\n"
    text += "A;B;01/02/1990;F;2026-02-27;PCR;positif\r\n\r\n;;;;;;\r\nC;D;1990-02-01;M;2026-02-27;TAG;N\r\n"
    lines = [(line, cells["family_name"]) for line, cells in read_rows(_csv(tmp_path, text), FR)]
    assert lines == [(2, "A"), (5, "C")]


def test_a_row_with_more_cells_than_the_header_is_a_bad_row(tmp_path: Path) -> None:
    text = ",".join(ROW) + "\n" + ",".join(str(v) for v in ROW.values()) + ",surplus\n"
    [(line, cells)] = list(read_rows(_csv(tmp_path, text), FR))
    parsed = parse_row(line, cells, TODAY)
    assert isinstance(parsed, BadRow)
    assert parsed.problems == (("row", "10 cells, but the header names 9 columns"),)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "the file is empty"),
        ("nom,prénom\n".encode("latin-1"), "not UTF-8"),
        (b"PK\x03\x04junk", "not a readable XLSX"),
    ],
)
def test_unreadable_files_are_refused_whole(tmp_path: Path, content: bytes, message: str) -> None:
    path = tmp_path / "file"
    path.write_bytes(content)
    with pytest.raises(FileRefused, match=message):
        list(read_rows(path, FR))


def test_xlsx_rows_are_read_from_the_first_sheet_with_native_dates_and_numbers(tmp_path: Path) -> None:
    book = Workbook()
    sheet = book.active
    sheet.append([*ROW, "code_postal", "ville", "adresse"])
    sheet.append([*(ROW[c] for c in ROW if c != "sample_date"), None, None, None])
    sheet.append([int(PERSON.nir), *list(ROW.values())[1:], 69003, "Lyon", "1 rue A"])
    sheet.cell(row=3, column=6, value=datetime(2026, 2, 27, tzinfo=UTC).replace(tzinfo=None))
    book.save(tmp_path / "results.xlsx")
    rows = list(read_rows(tmp_path / "results.xlsx", FR))
    assert [line for line, _ in rows] == [2, 3]
    assert isinstance(parse_row(*rows[0], TODAY), BadRow)
    good = parse_row(*rows[1], TODAY)
    assert isinstance(good, LabRow)
    assert good.person.identity.nir == PERSON.nir
    assert good.person.address is not None
    assert good.person.address.postal_code == "69003"


def _workbook(path: Path, rows: int) -> Path:
    book = Workbook()
    sheet = book.active
    sheet.append(list(ROW))
    for number in range(rows):
        sheet.append([*list(ROW.values())[:-1], "positive" if number % 2 else "negative"])
    book.save(path)
    return path


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_a_file_reads_the_same_from_an_upload_spool_as_from_its_path(tmp_path: Path, kind: str) -> None:
    if kind == "csv":
        text = (
            ",".join(ROW) + "\n" + "".join(f"{','.join(str(v) for v in ROW.values())}\n" for _ in range(3000))
        )
        path = _csv(tmp_path, text)
    else:
        # Big enough that the zip spans several spool chunks, so that openpyxl seeks across them.
        path = _workbook(tmp_path / "results.xlsx", 3000)
    content = path.read_bytes()
    assert len(content) > CHUNK
    moves: list[Position] = []
    with Spool.create(tmp_path / "uploads") as spool:
        for start in range(0, len(content), 10_000):
            spool.write(content[start : start + 10_000])
        spool.finish()
        assert list(read_rows(spool, FR, moves.append)) == list(read_rows(path, FR))
    assert moves[-1] == Position(3000, moves[-1].total, moves[-1].total)
    assert moves[-1].total == (len(content) if kind == "csv" else 3001)
