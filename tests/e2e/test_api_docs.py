"""The API docs page in a real browser: it renders, breaks no CSP rule and talks to no one else."""

from __future__ import annotations

from playwright.sync_api import ConsoleMessage, Page

from tests.e2e.conftest import Sovereignty, is_loopback, screenshot
from tests.server_process import ServerProcess


def test_the_api_docs_page_renders_from_serment_alone(
    server: ServerProcess, page: Page, sovereignty: Sovereignty
) -> None:
    errors: list[str] = []

    def collect(message: ConsoleMessage) -> None:
        if message.type == "error":
            errors.append(message.text)

    page.on("console", collect)
    page.goto(f"{server.base_url}/api/v1/docs", wait_until="networkidle")
    page.locator(".opblock").first.wait_for()
    assert page.title() == "Serment API"
    paths = page.locator(".opblock-summary-path").all_inner_texts()
    assert {"/health", "/api/v1", "/api/v1/people"} <= set(paths)
    screenshot(page, "api-docs")

    page.locator(".opblock-summary", has_text="/health").first.click()
    page.get_by_role("button", name="Try it out").click()
    page.get_by_role("button", name="Execute").click()
    page.locator(".live-responses-table tbody .response-col_status").first.wait_for()
    assert "200" in page.locator(".live-responses-table tbody .response-col_status").first.inner_text()

    assert errors == []
    assert f"{server.base_url}/api/v1/openapi.json" in sovereignty.requested
    assert f"{server.base_url}/static/swagger-ui/swagger-ui-bundle.js" in sovereignty.requested
    assert all(is_loopback(url) for url in sovereignty.requested)


def test_the_guard_would_notice_a_request_leaving_the_machine() -> None:
    assert is_loopback("http://127.0.0.1:8000/health")
    assert is_loopback("http://[::1]:8000/health")
    assert is_loopback("data:image/png;base64,AAAA")
    assert not is_loopback("https://assets.example.net/swagger-ui/swagger-ui.css")
    assert not is_loopback("https://validator.swagger.io/validator")
    assert not is_loopback("http://10.0.0.5/")
