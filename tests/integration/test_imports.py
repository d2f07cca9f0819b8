"""Lab file imports: CSV (either separator, with or without BOM) and XLSX, all rows or none (or the
good ones with partial), each file once and each sample once, over HTTP and the command line."""

from __future__ import annotations

import io
from dataclasses import replace
from pathlib import Path

import httpx
import pytest
from openpyxl import Workbook  # type: ignore[import-untyped]
from sqlalchemy import func, select
from typer.testing import CliRunner

from serment.access import Platform, Request, operator
from serment.access.oversight import verify_audit
from serment.cli import app as cli
from serment.installation import Installation, announce_start
from serment.policy import load_policy
from serment.reporting import (
    AlreadyImported,
    FileRefused,
    ImportInvalid,
    actor_named,
    import_results,
    imports,
)
from serment.settings import Settings
from serment.store.tables import AuditEventRow, ImportRow, PersonRow, ResultRow
from serment.web import create_app
from serment.web.edge import MAX_BODY_BYTES, MAX_IMPORT_BYTES, body_limit
from tests.conftest import Accounts
from tests.people_data import Synthetic, people

PEOPLE = people(10, seed=77)
COLUMNS = ["nir", "nom", "prénom", "date_naissance", "sexe", "date_prelevement", "date_resultat",
           "type_test", "resultat", "laboratoire", "sample_id"]  # fmt: skip
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# Lines (the header is line 1) of the three bad rows of BAD_ROWS, and why each is bad.
BAD_LINES = {3: "nir", 7: "sample_date", 9: "value"}


def _row(person: Synthetic, number: int) -> list[str]:
    day, month, year = reversed(person.birth_date.split("-"))
    return [person.nir, person.family_name, person.given_names, f"{day}/{month}/{year}", person.sex,
            "2026-02-27", "2026-02-28", "PCR", "positif" if number % 2 else "négatif", "Biogroup Lyon",
            f"S-{number}"]  # fmt: skip


def _good_rows() -> list[list[str]]:
    return [_row(person, number) for number, person in enumerate(PEOPLE)]


def _bad_rows() -> list[list[str]]:
    rows = _good_rows()
    rows[1][0] = rows[1][0][:-2] + "00"  # line 3: a wrong NIR key
    rows[5][5] = "2099-03-09"  # line 7: sampled in the future
    rows[5][6] = ""
    rows[7][8] = "douteux"  # line 9: no such value
    return rows


def _csv(
    rows: list[list[str]], *, separator: str = ",", bom: bool = False, header: list[str] = COLUMNS
) -> bytes:
    lines = [separator.join(header), *(separator.join(row) for row in rows)]
    return ("\ufeff" if bom else "").encode() + ("\r\n".join(lines) + "\r\n").encode()


def _xlsx(rows: list[list[str]]) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.append(COLUMNS)
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _file(tmp_path: Path, content: bytes, name: str = "results.csv") -> Path:
    path = tmp_path / name
    path.write_bytes(content)
    return path


def _lab(platform: Platform, accounts: Accounts) -> Request:
    accounts.token("lab")
    return Request(actor_named(platform, "lab-1"), purpose="care")


def _count(installation: Installation, table: type[ResultRow] | type[PersonRow] | type[ImportRow]) -> int:
    with installation.database.read() as session:
        return session.scalar(select(func.count()).select_from(table)) or 0


@pytest.mark.parametrize(
    "content",
    [_csv(_good_rows()), _csv(_good_rows(), separator=";", bom=True), _xlsx(_good_rows())],
    ids=["csv-comma", "csv-semicolon-bom", "xlsx"],
)
def test_a_good_file_stores_every_row_and_keeps_the_audit_chain_intact(
    installation: Installation, platform: Platform, accounts: Accounts, tmp_path: Path, content: bytes
) -> None:
    report = import_results(platform, _lab(platform, accounts), _file(tmp_path, content))
    assert (report.rows, report.stored, report.refused, report.duplicates, report.errors) == (
        10,
        10,
        0,
        0,
        (),
    )
    assert (_count(installation, ResultRow), _count(installation, PersonRow)) == (10, 10)
    with installation.database.read() as session:
        results = session.scalars(select(ResultRow)).all()
        actions = session.scalars(select(AuditEventRow.action).where(AuditEventRow.actor == "lab-1")).all()
        recorded = session.get(ImportRow, report.import_id)
    assert {(r.test_type, r.lab, r.reported_by) for r in results} == {("rt-pcr", "Biogroup Lyon", "lab-1")}
    assert sorted({r.value for r in results}) == ["negative", "positive"]
    # One register and one report per row, and one of each for the import as a whole.
    assert sorted(actions) == ["register"] * 11 + ["report"] * 11
    assert recorded is not None
    assert (recorded.rows, recorded.stored, recorded.actor) == (10, 10, "lab-1")
    assert verify_audit(platform, operator(role="dpo", purpose="audit")).intact


def test_rows_stored_in_several_batches_keep_one_intact_audit_chain(
    installation: Installation,
    platform: Platform,
    accounts: Accounts,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(imports, "BATCH_ROWS", 3)
    report = import_results(platform, _lab(platform, accounts), _file(tmp_path, _csv(_good_rows())))
    assert report.stored == 10
    assert _count(installation, ResultRow) == 10
    verification = verify_audit(platform, operator(role="dpo", purpose="audit"))
    assert verification.intact, verification.summary()


def test_bad_rows_store_nothing_and_are_each_named_by_line_and_reason(
    installation: Installation, platform: Platform, accounts: Accounts, tmp_path: Path
) -> None:
    with pytest.raises(ImportInvalid) as raised:
        import_results(platform, _lab(platform, accounts), _file(tmp_path, _csv(_bad_rows())))
    report = raised.value.report
    assert (report.rows, report.stored, report.refused, report.import_id) == (10, 0, 3, None)
    assert {error.line: error.location for error in report.errors} == BAD_LINES
    assert str(report.errors[0]).startswith("line 3: nir: the NIR has an invalid control key (expected ")
    assert "nothing was stored: 3 of 10 rows are invalid" in str(raised.value)
    assert (
        _count(installation, ResultRow),
        _count(installation, PersonRow),
        _count(installation, ImportRow),
    ) == (0, 0, 0)


def test_partial_stores_the_good_rows_and_reports_the_bad(
    installation: Installation, platform: Platform, accounts: Accounts, tmp_path: Path
) -> None:
    report = import_results(
        platform, _lab(platform, accounts), _file(tmp_path, _csv(_bad_rows())), partial=True
    )
    assert (report.rows, report.stored, report.refused) == (10, 7, 3)
    assert sorted({error.line for error in report.errors}) == sorted(BAD_LINES)
    assert _count(installation, ResultRow) == 7


def test_the_same_file_twice_stores_nothing_the_second_time(
    installation: Installation, platform: Platform, accounts: Accounts, tmp_path: Path
) -> None:
    lab = _lab(platform, accounts)
    path = _file(tmp_path, _csv(_good_rows()))
    import_results(platform, lab, path)
    with pytest.raises(
        AlreadyImported, match=r"already imported on 2026-03-02 at 08:30 UTC; nothing was stored"
    ):
        import_results(platform, lab, path)
    assert _count(installation, ResultRow) == 10


def test_a_sample_already_stored_is_not_stored_again_from_another_file(
    installation: Installation, platform: Platform, accounts: Accounts, tmp_path: Path
) -> None:
    lab = _lab(platform, accounts)
    import_results(platform, lab, _file(tmp_path, _csv(_good_rows()[:4]), "first.csv"))
    again = _good_rows()[2:6]
    report = import_results(platform, lab, _file(tmp_path, _csv([*again, again[-1]]), "second.csv"))
    assert (report.rows, report.stored, report.duplicates) == (5, 2, 3)
    assert _count(installation, ResultRow) == 6


@pytest.mark.parametrize(
    ("header", "message"),
    [([*COLUMNS, "mutuelle"], "unknown column 'mutuelle'"), (COLUMNS[:8], "missing required column: value")],
)
def test_a_file_with_an_unknown_or_missing_column_is_refused_naming_it(
    installation: Installation,
    platform: Platform,
    accounts: Accounts,
    tmp_path: Path,
    header: list[str],
    message: str,
) -> None:
    rows = [row + ["x"] * (len(header) - len(row)) for row in _good_rows()]
    with pytest.raises(FileRefused, match=message):
        import_results(platform, _lab(platform, accounts), _file(tmp_path, _csv(rows, header=header)))
    assert _count(installation, ResultRow) == 0


@pytest.mark.anyio
async def test_http_refuses_a_file_whose_column_the_policy_withholds_even_with_partial(
    client: httpx.AsyncClient, accounts: Accounts, installation: Installation
) -> None:
    rows = [[*row, person.email] for row, person in zip(_good_rows(), PEOPLE, strict=True)]
    content = _csv(rows, header=[*COLUMNS, "Courriel"])
    headers = {**accounts.headers("lab"), "Content-Type": "text/csv"}
    for query in ("", "?partial=true"):
        response = await client.post(f"/api/v1/imports{query}", content=content, headers=headers)
        assert response.status_code == 422, response.text
        assert (response.json()["title"], response.json()["detail"]) == (
            "File refused",
            "column 'Courriel' ('email'): the policy \"fr-2020\" does not allow an e-mail address for the "
            "person of a result; remove the column and send the file again",
        )
    assert (_count(installation, ResultRow), _count(installation, PersonRow)) == (0, 0)


def test_a_nir_column_refuses_the_file_under_a_policy_that_withholds_the_nir(
    installation: Installation, platform: Platform, accounts: Accounts, tmp_path: Path
) -> None:
    vietnam = replace(platform, policy=load_policy("vn-2020"))
    with pytest.raises(FileRefused, match=r"^column 'nir': the policy \"vn-2020\" does not allow a NIR for"):
        import_results(vietnam, _lab(platform, accounts), _file(tmp_path, _csv(_good_rows())))
    without_nir = _csv([row[1:] for row in _good_rows()], header=COLUMNS[1:])
    report = import_results(vietnam, _lab(platform, accounts), _file(tmp_path, without_nir, "no-nir.csv"))
    assert report.stored == 10


@pytest.mark.anyio
async def test_http_answers_201_then_200_for_the_same_file(
    client: httpx.AsyncClient, accounts: Accounts
) -> None:
    headers = {**accounts.headers("lab"), "Content-Type": XLSX}
    content = _xlsx(_good_rows())  # once: a workbook records when it was written
    first = await client.post("/api/v1/imports", content=content, headers=headers)
    assert first.status_code == 201, first.text
    body = first.json()
    assert (body["rows"], body["stored"], body["refused"], body["errors"]) == (10, 10, 0, [])
    again = await client.post("/api/v1/imports", content=content, headers=headers)
    assert again.status_code == 200, again.text
    assert again.json()["import"] == body["import"]
    assert again.json()["already_imported"].startswith("2026-03-02T08:30")


@pytest.mark.anyio
async def test_http_answers_422_naming_bad_rows_or_stores_the_good_ones_with_partial(
    client: httpx.AsyncClient, accounts: Accounts, installation: Installation
) -> None:
    headers = {**accounts.headers("clinician"), "Content-Type": "text/csv; charset=utf-8"}
    refused = await client.post("/api/v1/imports", content=_csv(_bad_rows()), headers=headers)
    assert refused.status_code == 422, refused.text
    assert refused.headers["content-type"] == "application/problem+json"
    assert {e["line"]: e["location"] for e in refused.json()["errors"]} == BAD_LINES
    assert _count(installation, ResultRow) == 0
    partial = await client.post("/api/v1/imports?partial=true", content=_csv(_bad_rows()), headers=headers)
    assert partial.status_code == 201, partial.text
    assert (partial.json()["stored"], partial.json()["refused"]) == (7, 3)


@pytest.mark.anyio
async def test_http_refuses_other_roles_unknown_media_and_bad_headers(
    client: httpx.AsyncClient, accounts: Accounts, installation: Installation
) -> None:
    csv_headers = {"Content-Type": "text/csv"}
    tracer = await client.post(
        "/api/v1/imports", content=_csv(_good_rows()), headers={**accounts.headers("tracer"), **csv_headers}
    )
    assert tracer.status_code == 403, tracer.text
    epidemiologist = await client.post(
        "/api/v1/imports",
        content=b"[]",
        headers={**accounts.headers("epidemiologist"), "Content-Type": "application/json"},
    )
    assert epidemiologist.status_code == 403, epidemiologist.text
    lab = accounts.headers("lab")
    json_body = await client.post(
        "/api/v1/imports", content=b"[]", headers={**lab, "Content-Type": "application/json"}
    )
    assert json_body.status_code == 415
    unknown = await client.post(
        "/api/v1/imports",
        content=_csv(_good_rows(), header=[*COLUMNS[:-1], "mutuelle"]),
        headers={**lab, **csv_headers},
    )
    assert unknown.status_code == 422
    assert "unknown column 'mutuelle'" in unknown.json()["detail"]
    assert _count(installation, ResultRow) == 0
    assert not list((installation.data_dir / "uploads").iterdir())


@pytest.mark.anyio
async def test_only_imports_may_send_more_than_2_mib(client: httpx.AsyncClient, accounts: Accounts) -> None:
    big = b"x" * (2 * 1024 * 1024 + 1)
    results = await client.post(
        "/api/v1/results",
        content=big,
        headers={**accounts.headers("lab"), "Content-Type": "application/json"},
    )
    assert results.status_code == 413
    imported = await client.post(
        "/api/v1/imports", content=big, headers={**accounts.headers("lab"), "Content-Type": "text/csv"}
    )
    assert imported.status_code == 422  # read whole, then refused for its header, not its size


@pytest.mark.parametrize(
    ("method", "path", "limit"),
    [
        ("POST", "/api/v1/imports", MAX_IMPORT_BYTES),
        ("GET", "/api/v1/imports", MAX_BODY_BYTES),
        ("POST", "/api/v1/importsx", MAX_BODY_BYTES),
        ("POST", "/api/v1/results", MAX_BODY_BYTES),
    ],
)
def test_the_body_limit_depends_on_the_route(method: str, path: str, limit: int) -> None:
    assert body_limit(method, path) == limit
    assert MAX_IMPORT_BYTES == 200 * 1024 * 1024


def test_the_openapi_document_describes_both_media_types(installation: Installation) -> None:
    document = create_app(Settings(data_dir=installation.data_dir), installation=installation).openapi()
    body = document["paths"]["/api/v1/imports"]["post"]["requestBody"]
    assert set(body["content"]) == {"text/csv", XLSX}


@pytest.fixture
def cli_installation(tmp_path: Path) -> Path:
    runner = CliRunner()
    data_dir = tmp_path / "cli-data"
    assert runner.invoke(cli, ["init", "--data-dir", str(data_dir)]).exit_code == 0
    added = runner.invoke(
        cli, ["user", "add", "biolab", "--role", "lab", "--org", "Biolab", "--data-dir", str(data_dir)]
    )
    assert added.exit_code == 0, added.output
    return data_dir


def test_cli_imports_a_file_then_refuses_it_again_in_one_line(cli_installation: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    path = _file(tmp_path, _csv(_good_rows()))
    arguments = ["report", "import", str(path), "--as", "biolab", "--data-dir", str(cli_installation)]
    first = runner.invoke(cli, arguments)
    assert first.exit_code == 0, first.output
    assert "Import " in first.stdout
    again = runner.invoke(cli, arguments)
    assert again.exit_code == 1
    assert again.stderr.count("\n") == 1
    assert again.stderr.startswith("error: ")
    assert "already imported on" in again.stderr


def test_cli_exits_1_with_the_bad_lines_unless_partial(cli_installation: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    path = _file(tmp_path, _csv(_bad_rows()))
    arguments = ["report", "import", str(path), "--as", "biolab", "--data-dir", str(cli_installation)]
    refused = runner.invoke(cli, arguments)
    assert refused.exit_code == 1
    assert "line 3: nir: the NIR has an invalid control key" in refused.stdout
    assert "line 9: value: 'douteux'" in refused.stdout
    assert refused.stderr.startswith("error: ")
    assert "nothing was stored" in refused.stderr
    partial = runner.invoke(cli, [*arguments, "--partial"])
    assert partial.exit_code == 0, partial.output
    assert "line 7: sample_date" in partial.stdout


@pytest.mark.parametrize(
    ("account", "message"),
    [("nobody", "error: no enabled account is named nobody"), ("biolab", "error: ")],
)
def test_cli_says_in_one_line_when_the_account_or_file_is_wrong(
    cli_installation: Path, tmp_path: Path, account: str, message: str
) -> None:
    path = _file(tmp_path, b"diagnostic\nX\n") if account == "biolab" else _file(tmp_path, _csv(_good_rows()))
    result = CliRunner().invoke(
        cli, ["report", "import", str(path), "--as", account, "--data-dir", str(cli_installation)]
    )
    assert result.exit_code == 1
    assert result.stderr.startswith(message)
    assert result.stderr.count("\n") == 1


def test_an_upload_left_by_a_crash_is_removed_when_serving_starts(installation: Installation) -> None:
    uploads = installation.data_dir / "uploads"
    uploads.mkdir(mode=0o700, exist_ok=True)
    leftover = uploads / "tmpabc.upload"
    leftover.write_text("nir,family_name\n185057800608441,Durand\n", encoding="utf-8")
    announce_start(installation)
    assert not leftover.exists()
