"""The epidemiologist's pages over a small outbreak reported through the reporting use cases: the
dashboard's figures are those a count of every case gives and follow the filters, its curve is
well-formed SVG with one bar a day, the chain graph has one link per case leading to its summary,
filters that cannot be read come back as typed and explained, cluster alerts move as the rules allow,
and no identity ever appears."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections import Counter
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from serment.access import Platform
from serment.clock import FixedClock
from serment.installation import Installation
from serment.store.tables import AuditEventRow, CaseRow, ClusterAlertRow
from serment.web.pages.i18n import LANGUAGE_COOKIE
from tests.epi_data import Outbreak, report_outbreak
from tests.pages import Browser, Browsers

pytestmark = pytest.mark.anyio
SVG = "{http://www.w3.org/2000/svg}"
TODAY = date(2026, 3, 2)


@pytest.fixture
def outbreak(platform: Platform, clock: FixedClock) -> Outbreak:
    return report_outbreak(platform, clock)


async def _english(browsers: Browsers, role: str = "epidemiologist") -> Browser:
    browser = await browsers.signed_in(role)
    browser.http.cookies.set(LANGUAGE_COOKIE, "en")
    return browser


def _svg(html: str, css_class: str) -> ET.Element:
    """The inline SVG of `css_class` in a page, parsed as XML (it must be well-formed)."""
    found = re.search(rf'<svg [^>]*class="{css_class}".*?</svg>', html, re.DOTALL)
    assert found is not None, f"no svg.{css_class} on the page"
    return ET.fromstring(found.group(0))  # noqa: S314 - our own page, parsed to prove it well-formed


def _figures(html: str) -> list[str]:
    """The key figures of the dashboard's cards, in order."""
    return re.findall(r'<p class="figure">(?:<a [^>]*>)?([^<]+)', html)


def _curve_rows(html: str) -> list[tuple[int, int]]:
    """(by onset, by report) for each day of the table behind the curve."""
    body = html.split("<table>\n    <caption>", 1)[1].split("</tbody>", 1)[0]
    return [
        (int(onset), int(report))
        for onset, report in re.findall(r'<td class="num">(\d+)</td><td class="num">(\d+)</td></tr>', body)
    ]


def _expected_curve(
    installation: Installation, start: date, end: date, area: str | None = None
) -> list[tuple[int, int]]:
    with installation.database.read() as session:
        rows = [
            (row.onset_date, row.reported_at.date())
            for row in session.scalars(select(CaseRow).where(CaseRow.status == "confirmed"))
            if area is None or row.department == area
        ]
    onsets, reports = Counter(onset for onset, _ in rows), Counter(reported for _, reported in rows)
    days = [start + timedelta(days=n) for n in range((end - start).days + 1)]
    return [(onsets[day], reports[day]) for day in days]


async def test_the_dashboard_shows_what_a_count_of_every_case_gives(
    outbreak: Outbreak, browsers: Browsers, installation: Installation
) -> None:
    browser = await _english(browsers)

    page = await browser.get("/epi/dashboard", **{"from": "2026-02-01", "to": "2026-03-02"})

    assert page.status_code == 200, page.text[:2000]
    expected = _expected_curve(installation, date(2026, 2, 1), TODAY)
    assert _curve_rows(page.text) == expected
    # Confirmed cases by onset and by report, without onset, active chains, open alerts.
    assert _figures(page.text)[:5] == ["8", "9", "1", "1", "1"]
    svg = _svg(page.text, "chart")
    bars = [rect for rect in svg.iter(f"{SVG}rect") if rect.get("class") == "bar"]
    assert len(bars) == len(expected) == 30
    # The tallest bar is the day with the most cases by onset, and an empty day has no height.
    heights = [float(bar.get("height", "0")) for bar in bars]
    most = max(onset for onset, _ in expected)
    assert [height == max(heights) for height in heights] == [onset == most for onset, _ in expected]
    assert [height == 0 for height in heights] == [onset == 0 for onset, _ in expected]
    assert svg.find(f"{SVG}title") is not None
    assert svg.find(f"{SVG}desc") is not None
    assert "<details>" in page.text
    assert 'href="/epi/chains/' + outbreak.cases["julie"] in page.text


async def test_the_filters_change_the_figures(
    outbreak: Outbreak, browsers: Browsers, installation: Installation
) -> None:
    browser = await _english(browsers)

    paris = await browser.get("/epi/dashboard", **{"from": "2026-02-01", "to": "2026-03-02", "area": "75"})
    week = await browser.get("/epi/dashboard", **{"from": "2026-02-10", "to": "2026-02-16"})
    lyon = await browser.get("/epi/dashboard", **{"from": "2026-02-10", "to": "2026-02-20", "area": "69"})

    assert _curve_rows(paris.text) == _expected_curve(installation, date(2026, 2, 1), TODAY, "75")
    assert _figures(paris.text)[:3] == ["4", "4", "0"]
    assert _curve_rows(week.text) == _expected_curve(installation, date(2026, 2, 10), date(2026, 2, 16))
    assert len([bar for bar in _svg(week.text, "chart").iter(f"{SVG}rect") if bar.get("class") == "bar"]) == 7
    # On 16 February Anne's chain is active; in Lyon on the 20th it still is, through Bruno.
    assert _figures(week.text)[3] == "1"
    assert 'href="/epi/chains/' + outbreak.cases["anne"] + "?at=2026-02-16" in week.text
    assert _curve_rows(lyon.text) == _expected_curve(installation, date(2026, 2, 10), date(2026, 2, 20), "69")
    assert _figures(lyon.text)[:4] == ["1", "1", "0", "1"]
    assert 'value="69"' in lyon.text


async def test_filters_that_cannot_be_read_come_back_as_typed_and_explained(
    outbreak: Outbreak, browsers: Browsers
) -> None:
    browser = await _english(browsers)

    wrong = await browser.get("/epi/dashboard", **{"from": "2026-02-30", "to": "2099-01-01", "area": "Lyon"})
    backwards = await browser.get("/epi/dashboard", **{"from": "2026-02-20", "to": "2026-02-10"})
    long = await browser.get("/epi/dashboard", **{"from": "2024-01-01", "to": "2026-03-01"})

    assert wrong.status_code == 422
    for typed in ('value="2026-02-30"', 'value="2099-01-01"', 'value="Lyon"'):
        assert typed in wrong.text
    assert "3 problems to fix" in wrong.text
    assert 'id="e-from">Enter a date as year-month-day, such as 2026-03-02.' in wrong.text
    assert 'id="e-to">Choose a date up to today, Mar 2, 2026.' in wrong.text
    assert 'id="e-area">Enter a département code' in wrong.text
    assert 'class="chart"' not in wrong.text
    assert backwards.status_code == 422
    assert 'value="2026-02-20"' in backwards.text
    assert "The start must be on or before the end." in backwards.text
    assert long.status_code == 422
    assert "at most 366 days" in long.text
    cases = await browser.get("/epi/cases", status="cured", area="2C", to="yesterday")
    assert cases.status_code == 422
    assert 'value="2C"' in cases.text
    assert 'value="yesterday"' in cases.text
    assert 'id="e-status">Choose a status from the list.' in cases.text
    alerts = await browser.get("/epi/clusters", status="reopened")
    assert alerts.status_code == 422
    assert 'id="e-status">Choose a status from the list.' in alerts.text


async def test_the_case_list_follows_its_filters_and_links_each_case(
    outbreak: Outbreak, browsers: Browsers
) -> None:
    browser = await _english(browsers)

    everything = await browser.get("/epi/cases")
    paris = await browser.get("/epi/cases", status="confirmed", area="75")
    early = await browser.get("/epi/cases", **{"to": "2026-02-12"})

    assert everything.status_code == 200
    listed = re.findall(r'<a href="/epi/cases/([a-z2-7]{26})">', everything.text)
    assert sorted(listed) == sorted(outbreak.cases.values())
    paris_cases = {outbreak.cases[name] for name in ("anne", "gilles", "julie", "karim")}
    assert set(re.findall(r'<a href="/epi/cases/([a-z2-7]{26})">', paris.text)) == paris_cases
    assert "4 cases" in paris.text
    assert set(re.findall(r'<a href="/epi/cases/([a-z2-7]{26})">', early.text)) == {
        outbreak.cases[name] for name in ("anne", "bruno", "emma")
    }
    # Julie's row leads to her chain, of two cases.
    row = everything.text.split(f'/epi/cases/{outbreak.cases["julie"]}">', 1)[1].split("</tr>", 1)[0]
    assert f'href="/epi/chains/{outbreak.cases["julie"]}">2 cases</a>, generation 1' in row


async def test_the_chain_graph_has_one_link_per_case_leading_to_its_summary(
    outbreak: Outbreak, browsers: Browsers
) -> None:
    browser = await _english(browsers)
    anne = outbreak.cases["anne"]

    page = await browser.get(f"/epi/chains/{anne}", at="2026-02-20")

    assert page.status_code == 200, page.text[:2000]
    svg = _svg(page.text, "chain-graph")
    links = [link.get("href") for link in svg.iter(f"{SVG}a")]
    chain = {outbreak.cases[name] for name in ("anne", "bruno", "celine", "denis", "gilles")}
    assert sorted(links) == sorted(f"/epi/cases/{ref}" for ref in chain)
    for link in svg.iter(f"{SVG}a"):
        assert link.find(f"{SVG}title") is not None
        assert link.find(f"{SVG}circle") is not None
        assert link.get("aria-label", "").startswith("Case ")
    # Anne's links to Bruno and Céline, Bruno's to Denis, Denis's to Gilles: four arrows.
    assert len([path for path in svg.iter(f"{SVG}path") if path.get("marker-end")]) == 4
    for href in links:
        assert href is not None
        summary = await browser.get(href)
        assert summary.status_code == 200
        assert f"<code>{href.rsplit('/', 1)[1]}</code>" in summary.text
    table = page.text.split('id="h-nodes"', 1)[1].split('id="h-edges"', 1)[0]
    assert sorted(re.findall(r'<a href="/epi/cases/([a-z2-7]{26})"><code>', table)) == sorted(chain)


async def test_an_unknown_chain_or_case_is_a_page_that_says_so(
    outbreak: Outbreak, browsers: Browsers
) -> None:
    browser = await _english(browsers)

    chain = await browser.get(f"/epi/chains/{outbreak.cases['bruno']}")
    case = await browser.get("/epi/cases/" + "a" * 26)
    odd = await browser.get("/epi/cases/not-a-ref")

    assert chain.status_code == 404
    assert "A chain is named by its earliest case" in chain.text
    assert case.status_code == odd.status_code == 404
    assert "No case has the ref" in case.text


async def test_a_case_summary_is_audited_with_its_person(
    outbreak: Outbreak, browsers: Browsers, installation: Installation
) -> None:
    browser = await _english(browsers)

    page = await browser.get(f"/epi/cases/{outbreak.cases['denis']}")

    assert page.status_code == 200
    assert "974" in page.text
    assert "office-1" in page.text
    assert f'href="/epi/chains/{outbreak.cases["anne"]}"' in page.text
    with installation.database.read() as session:
        events = session.scalars(
            select(AuditEventRow).where(
                AuditEventRow.actor == "epidemiologist-web", AuditEventRow.action == "list"
            )
        ).all()
        assert [(event.subject, event.purpose, event.outcome) for event in events] == [
            (outbreak.persons["denis"], "surveillance", "allowed")
        ]


async def test_no_identity_appears_on_any_epidemiologist_page(outbreak: Outbreak, browsers: Browsers) -> None:
    browser = await _english(browsers)
    paths = [
        "/epi/dashboard", "/epi/dashboard?from=2026-02-01&area=75", "/epi/cases", "/epi/cases?area=2A",
        "/epi/clusters", f"/epi/chains/{outbreak.cases['anne']}?at=2026-02-20",
        f"/epi/chains/{outbreak.cases['julie']}", "/epi/dashboard?from=nope&area=Paris",
        *(f"/epi/cases/{ref}" for ref in outbreak.cases.values()),
    ]  # fmt: skip
    secrets = outbreak.identifiers()

    for path in paths:
        page = await browser.http.get(path, headers={"Accept": "text/html"})
        assert page.status_code in {200, 422}, path
        shown = [secret for secret in secrets if secret in page.text]
        assert shown == [], (path, shown)


async def test_a_cluster_alert_moves_as_the_rules_allow_and_a_wrong_move_is_explained(
    outbreak: Outbreak, browsers: Browsers, installation: Installation
) -> None:
    browser = await _english(browsers)
    with installation.database.read() as session:
        alert = session.scalars(select(ClusterAlertRow)).one()
        alert_id = alert.id
    path = f"/epi/clusters/{alert_id}/status"

    listed = await browser.get("/epi/clusters")
    moved = await browser.post(
        path, {"status": "investigating", "shown": "", "page": "1"}, form_of="/epi/clusters"
    )
    again = await browser.post(path, {"status": "investigating"}, form_of="/epi/clusters")
    odd = await browser.post(path, {"status": "reopened"}, form_of="/epi/clusters")
    unknown = await browser.post("/epi/clusters/9999/status", {"status": "closed"}, form_of="/epi/clusters")

    assert listed.status_code == 200
    assert "office-1" in listed.text
    assert moved.status_code == 303
    assert moved.headers["location"] == f"/epi/clusters?page=1&moved={alert_id}"
    after = await browser.get(moved.headers["location"])
    assert f"Alert {alert_id} is now “Investigating”." in after.text
    assert again.status_code == 409
    assert f'id="e-move">Alert {alert_id} cannot move to “Investigating”' in again.text
    assert odd.status_code == 422
    assert "“reopened” is not a status an alert can be moved to" in odd.text
    assert unknown.status_code == 404
    assert "No cluster alert has the id 9999." in unknown.text
    closed = await browser.post(path, {"status": "closed", "shown": "investigating"}, form_of="/epi/clusters")
    assert closed.status_code == 303
    assert closed.headers["location"] == f"/epi/clusters?status=investigating&page=1&moved={alert_id}"
    with installation.database.read() as session:
        assert session.get(ClusterAlertRow, alert_id).status == "closed"  # type: ignore[union-attr]
        moves = session.scalars(
            select(AuditEventRow.detail).where(
                AuditEventRow.action == "investigate", AuditEventRow.outcome == "ok"
            )
        ).all()
    assert len(moves) == 2


async def test_the_pages_speak_french_and_stay_closed_to_other_roles(
    outbreak: Outbreak, browsers: Browsers
) -> None:
    french = await browsers.signed_in("epidemiologist")
    page = await french.get("/epi/dashboard", **{"from": "2026-02-01", "to": "2026-03-02"})
    assert "<h1>Tableau de bord</h1>" in page.text
    assert "Courbe épidémique" in page.text
    assert "1 févr. 2026" in page.text
    assert "Alertes de cluster" in page.text
    tracer = await browsers.signed_in("tracer")
    for path in ("/epi/dashboard", "/epi/cases", "/epi/clusters", f"/epi/cases/{outbreak.cases['anne']}"):
        assert (await tracer.get(path)).status_code == 403
