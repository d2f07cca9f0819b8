"""The laboratory's pages: a results file uploaded from a form (streamed into the encrypted spool, never
to disk in clear), imported all or nothing or the good rows, and its report naming every bad row by its
line and reasons; a file imported twice stores nothing again; the past imports are the laboratory's."""

from __future__ import annotations

import asyncio
import html
import re
import threading

import httpx
import pytest
from sqlalchemy import func, select
from starlette.formparsers import MultiPartParser

from serment.installation import UPLOADS_DIR, Installation
from serment.reporting import FileRefused
from serment.secrecy import Spool
from serment.store.tables import ImportRow, ResultRow, UserRow
from serment.web.pages.i18n import LANGUAGE_COOKIE
from serment.web.pages.lab import imports as lab_imports
from serment.web.pages.lab import jobs as lab_jobs
from tests.pages import HTML, Browser, Browsers, csrf_of
from tests.people_data import Synthetic, people

pytestmark = pytest.mark.anyio
PEOPLE = people(6, seed=909)
HEADER = "nir;nom;prénom;date_naissance;sexe;date_prelevement;type_test;resultat;sample_id"
# The lines (the header is line 1) of the bad rows of BAD, and the column each is bad in.
BAD_LINES = {3: "nir", 5: "sample_date", 6: "value"}


def _row(person: Synthetic, number: int, **changes: str) -> str:
    cells = {
        "nir": person.nir, "nom": person.family_name, "prenom": person.given_names,
        "naissance": "/".join(reversed(person.birth_date.split("-"))), "sexe": person.sex,
        "prelevement": "27/02/2026", "type": "PCR", "resultat": "positif" if number % 2 else "négatif",
        "sample": f"S-{number}",
    }  # fmt: skip
    return ";".join((cells | changes).values())


def _csv(rows: list[str]) -> bytes:
    return ("\r\n".join([HEADER, *rows]) + "\r\n").encode()


GOOD = _csv([_row(person, n) for n, person in enumerate(PEOPLE)])
BAD = _csv(
    [
        _row(PEOPLE[0], 0),
        _row(PEOPLE[1], 1, nir=PEOPLE[1].nir[:-2] + "00"),
        _row(PEOPLE[2], 2),
        _row(PEOPLE[3], 3, prelevement="2099-01-01"),
        _row(PEOPLE[4], 4, resultat="douteux"),
        _row(PEOPLE[5], 5),
    ]
)


async def _lab(browsers: Browsers, name: str | None = None) -> Browser:
    lab = await browsers.signed_in("lab", name=name)
    lab.http.cookies.set(LANGUAGE_COOKIE, "en")
    return lab


async def _upload(
    lab: Browser, content: bytes, *, partial: bool = False, name: str = "results.csv"
) -> httpx.Response:
    data = {"partial": "on"} if partial else {}
    return await lab.post("/lab/imports", data, files={"file": (name, content, "text/csv")})


async def _finished(lab: Browser, answer: httpx.Response) -> httpx.Response:
    """The report an upload led to, once its import has ended (its page refreshes itself until then)."""
    assert answer.status_code == 303, answer.text[:1000]
    for _ in range(200):
        page = await lab.get(answer.headers["location"])
        if 'http-equiv="refresh"' not in page.text:
            return page
        await asyncio.sleep(0.05)
    raise AssertionError("the import did not end")


def _count(installation: Installation, table: type[ResultRow] | type[ImportRow]) -> int:
    with installation.database.read() as session:
        return session.scalar(select(func.count()).select_from(table)) or 0


def _bad_rows(page: str) -> dict[int, list[tuple[str, str]]]:
    rows: dict[int, list[tuple[str, str]]] = {}
    text = html.unescape(page)
    pattern = r'<tr><td class="line num">(\d+)</td><td><code>([^<]+)</code></td><td>([^<]+)</td></tr>'
    for line, column, message in re.findall(pattern, text):
        rows.setdefault(int(line), []).append((column, message))
    return rows


async def test_the_upload_page_shows_the_form_the_columns_and_no_import_yet(browsers: Browsers) -> None:
    lab = await _lab(browsers)

    page = await lab.get("/lab/imports")

    assert page.status_code == 200
    assert 'enctype="multipart/form-data"' in page.text
    assert 'type="file"' in page.text
    assert "<code>date_prelevement</code>" in page.text
    assert "No file has been imported yet." in page.text
    assert 'href="/clinic/report"' not in page.text  # a laboratory's navigation: its imports


async def test_a_file_of_good_rows_is_imported_and_listed(
    browsers: Browsers, installation: Installation
) -> None:
    lab = await _lab(browsers)

    report = await _finished(lab, await _upload(lab, GOOD))

    assert report.status_code == 200
    assert "6 of 6 rows stored." in report.text
    assert _count(installation, ResultRow) == 6
    listed = await lab.get("/lab/imports")
    with installation.database.read() as session:
        stored = session.scalars(select(ImportRow)).one()
    assert f'href="/lab/imports/{stored.id}"' in listed.text
    # A colleague of the same laboratory sees the counts; the detail stays with the sender.
    colleague = await _lab(browsers, "lab-colleague")
    counts = await colleague.get(f"/lab/imports/{stored.id}")
    assert counts.status_code == 200
    assert "is shown only to the account that sent the file" in counts.text
    assert not list(installation.data_dir.joinpath(UPLOADS_DIR).glob("*")), "the spool was discarded"


async def test_all_or_nothing_a_file_with_bad_rows_stores_nothing_and_names_each_bad_row(
    browsers: Browsers, installation: Installation
) -> None:
    lab = await _lab(browsers)

    report = await _finished(lab, await _upload(lab, BAD))

    assert "Nothing was stored: 3 rows of 6 are bad." in report.text
    assert "all or nothing" in report.text
    bad = _bad_rows(report.text)
    assert {line: [column for column, _ in problems] for line, problems in bad.items()} == {
        line: [column] for line, column in BAD_LINES.items()
    }
    assert "control key is wrong" in bad[3][0][1]
    assert "'douteux' is not a result" in bad[6][0][1]
    assert _count(installation, ResultRow) == 0
    assert _count(installation, ImportRow) == 0


async def test_with_partial_the_good_rows_are_stored_and_the_bad_ones_listed_and_a_resend_stores_nothing(
    browsers: Browsers, installation: Installation
) -> None:
    lab = await _lab(browsers)

    report = await _finished(lab, await _upload(lab, BAD, partial=True))

    assert "3 of 6 rows stored." in report.text
    assert "You chose to store the good rows" in report.text
    assert set(_bad_rows(report.text)) == set(BAD_LINES)
    assert _count(installation, ResultRow) == 3
    again = await _finished(lab, await _upload(lab, BAD, partial=True, name="again.csv"))
    assert "was already imported on" in again.text
    assert _count(installation, ResultRow) == 3


async def test_a_file_the_import_cannot_read_is_refused_with_its_reason_in_french(browsers: Browsers) -> None:
    lab = await browsers.signed_in("lab")
    lab.http.cookies.set(LANGUAGE_COOKIE, "fr")

    report = await _finished(lab, await _upload(lab, b"nom;couleur\r\nDurand;bleu\r\n"))

    assert "Colonne(s) inconnue(s) 'couleur'" in html.unescape(report.text)


async def test_many_bad_rows_are_listed_page_by_page(browsers: Browsers) -> None:
    lab = await _lab(browsers)
    rows = [_row(PEOPLE[n % 6], n, resultat="douteux") for n in range(120)]

    first = await _finished(lab, await _upload(lab, _csv(rows)))
    location = re.search(r'href="(/lab/imports/[a-z2-7]{26})\?page=2"', first.text)
    assert location is not None
    third = await lab.get(location.group(1), page="3")

    assert sorted(_bad_rows(first.text)) == list(range(2, 52))
    assert sorted(_bad_rows(third.text)) == list(range(102, 122))
    assert 'rel="next"' not in third.text


async def test_an_upload_without_a_file_or_without_its_csrf_token_is_refused(
    browsers: Browsers, installation: Installation
) -> None:
    lab = await _lab(browsers)

    missing = await lab.post(
        "/lab/imports", {"partial": "on"}, files={"file": ("", b"", "application/octet-stream")}
    )
    page = await lab.get("/lab/imports")
    forged = await lab.http.post(
        "/lab/imports", data={"csrf": "x" * 43}, files={"file": ("a.csv", GOOD, "text/csv")}, headers=HTML
    )

    assert missing.status_code == 422
    assert "Choose the file to import" in missing.text
    assert 'id="f-partial" name="partial" value="on" checked' in missing.text
    assert csrf_of(page.text)
    assert forged.status_code == 403
    assert _count(installation, ResultRow) == 0
    assert not list(installation.data_dir.joinpath(UPLOADS_DIR).glob("*")), "the refused upload left nothing"


async def test_a_role_that_may_not_import_is_refused_before_its_file_is_read(
    browsers: Browsers, installation: Installation, monkeypatch: pytest.MonkeyPatch
) -> None:
    tracer = await browsers.signed_in("tracer")
    token = csrf_of((await tracer.get("/lab/imports")).text)  # its refusal page has the session's forms
    spooled: list[object] = []
    monkeypatch.setattr(Spool, "create", classmethod(lambda cls, directory: spooled.append(directory)))

    refused = await tracer.http.post(
        "/lab/imports", data={"csrf": token}, files={"file": ("a.csv", GOOD, "text/csv")}, headers=HTML
    )
    anonymous = await (await browsers.anonymous()).http.post(
        "/lab/imports", files={"file": ("a.csv", GOOD, "text/csv")}, headers=HTML
    )

    assert refused.status_code == 403
    assert anonymous.status_code == 303
    assert anonymous.headers["location"].startswith("/sign-in")
    assert spooled == [], "nothing of the file was read"
    assert _count(installation, ResultRow) == 0


async def test_another_laboratorys_import_is_not_found(
    browsers: Browsers, installation: Installation
) -> None:
    lab = await _lab(browsers)
    await _finished(lab, await _upload(lab, GOOD))
    with installation.database.read() as session:
        stored = session.scalars(select(ImportRow)).one()
    browsers.account("lab", name="lab-elsewhere")
    with installation.database.write() as session:
        # Browsers give every account of a role one organisation: this one works elsewhere.
        session.scalars(
            select(UserRow).where(UserRow.name == "lab-elsewhere")
        ).one().organisation = "Other Lab"
    other = await _lab(browsers, "lab-elsewhere")

    answer = await other.get(f"/lab/imports/{stored.id}")

    assert answer.status_code == 404
    assert stored.id not in (await other.get("/lab/imports")).text


async def test_an_uploaded_file_is_on_disk_only_encrypted_while_it_is_imported(
    browsers: Browsers, installation: Installation, monkeypatch: pytest.MonkeyPatch
) -> None:
    lab = await _lab(browsers)
    # Over 1 MiB: Starlette's own form parser would have rolled it to a temporary file in clear.
    rows = [_row(PEOPLE[n % 6], n, sample=f"S-{n:07d}") for n in range(20_000)]
    content = _csv(rows)
    assert len(content) > 1024 * 1024
    release, seen = threading.Event(), []

    def blocked(*arguments: object, **options: object) -> object:
        seen.extend(path.read_bytes() for path in (installation.data_dir / UPLOADS_DIR).glob("*"))
        release.wait(10)
        raise FileRefused("stopped by the test")

    def no_starlette_parsing(*arguments: object, **options: object) -> object:
        raise AssertionError("the upload went through Starlette's form parser")

    monkeypatch.setattr(lab_jobs, "import_results", blocked)
    monkeypatch.setattr(MultiPartParser, "parse", no_starlette_parsing)
    monkeypatch.setattr(lab_imports, "WAIT_SECONDS", 0.0)

    answer = await _upload(lab, content)
    release.set()
    await _finished(lab, answer)

    assert len(seen) == 1
    assert len(seen[0]) > len(content)  # the spool: the file, chunk by chunk, with nonces and tags
    for person in PEOPLE:
        for identifier in (person.nir, person.family_name):
            assert identifier.encode() not in seen[0]
    assert not list((installation.data_dir / UPLOADS_DIR).glob("*"))
