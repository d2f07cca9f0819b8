"""The web shell through ASGI: health, errors as problem+json, security headers, request ids, logs."""

from __future__ import annotations

import io
import json
import logging
import re
from collections.abc import Iterator
from html.parser import HTMLParser

import httpx
import pytest
from alembic import command
from fastapi import FastAPI
from pydantic import BaseModel

from serment.installation import Installation
from serment.logs import configure_logging
from serment.store.schema import alembic_config
from serment.web.edge import CONTENT_SECURITY_POLICY

pytestmark = pytest.mark.anyio
PROBLEM = "application/problem+json"
HEX_ID = re.compile(r"[0-9a-f]{32}")
# What a careless exception might say; logs and answers must not repeat it.
CRASH_MESSAGE = "Jeanne Martin, 2 rue des Lilas, NIR 2850775123456"


class Visit(BaseModel):
    """A body for the route a test adds to check input validation."""

    place_id: str
    guests: int


def _add_test_routes(app: FastAPI) -> None:
    @app.post("/api/v1/_test/visits")
    def visits(visit: Visit) -> dict[str, int]:
        return {"guests": visit.guests}

    @app.get("/api/v1/_test/crash")
    def crash() -> None:
        raise RuntimeError(CRASH_MESSAGE)


async def test_health_says_ok_with_version_and_database(client: httpx.AsyncClient) -> None:
    response = await client.get("/health")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert response.json() == {
        "status": "ok",
        "version": "0.1.0",
        "database": {"reachable": True, "schema": "current"},
    }


async def test_health_is_unavailable_when_the_schema_is_not_current(
    client: httpx.AsyncClient, installation: Installation
) -> None:
    with installation.database.engine.begin() as connection:
        command.downgrade(alembic_config(connection), "base")
    response = await client.get("/health")
    assert response.status_code == 503
    assert response.json()["status"] == "unavailable"
    assert response.json()["database"] == {"reachable": True, "schema": "empty"}


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("GET", "/health", 200),
        ("GET", "/api/v1", 200),
        ("GET", "/api/v1/openapi.json", 200),
        ("GET", "/api/v1/docs", 200),
        ("GET", "/static/api-docs.js", 200),
        ("GET", "/static/swagger-ui/swagger-ui.css", 200),
        ("GET", "/no/such/page", 404),
        ("DELETE", "/health", 405),
        ("POST", "/api/v1/_test/visits", 422),
        ("GET", "/api/v1/_test/crash", 500),
    ],
)
async def test_every_response_carries_the_security_headers(
    app: FastAPI, client: httpx.AsyncClient, method: str, path: str, status: int
) -> None:
    _add_test_routes(app)
    response = await client.request(method, path, json={} if method == "POST" else None)
    assert response.status_code == status
    headers = response.headers
    assert headers["content-security-policy"] == CONTENT_SECURITY_POLICY
    assert "frame-ancestors 'none'" in headers["content-security-policy"]
    assert "default-src 'self'" in headers["content-security-policy"]
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["referrer-policy"] == "no-referrer"
    assert headers["x-frame-options"] == "DENY"
    assert HEX_ID.fullmatch(headers["x-request-id"])
    assert "server" not in headers
    expected_cache = "public, max-age=86400" if path.startswith("/static/") else "no-store"
    assert headers["cache-control"] == expected_cache


async def test_an_unknown_address_is_a_problem_naming_it(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/v1/cases-that-do-not-exist")
    assert response.status_code == 404
    assert response.headers["content-type"] == PROBLEM
    problem = response.json()
    assert problem["type"] == "about:blank"
    assert problem["title"] == "Not Found"
    assert problem["status"] == 404
    assert problem["instance"] == "/api/v1/cases-that-do-not-exist"
    assert "/api/v1/docs" in problem["detail"]
    assert problem["request_id"] == response.headers["x-request-id"]


async def test_a_wrong_method_is_a_problem_that_names_the_right_one(
    client: httpx.AsyncClient,
) -> None:
    response = await client.put("/health")
    assert response.status_code == 405
    assert response.headers["content-type"] == PROBLEM
    assert response.headers["allow"] == "GET"
    assert response.json()["detail"] == "PUT is not accepted here; use GET"


async def test_invalid_input_is_a_problem_naming_every_field(app: FastAPI, client: httpx.AsyncClient) -> None:
    _add_test_routes(app)
    response = await client.post("/api/v1/_test/visits", json={"guests": "many"})
    assert response.status_code == 422
    assert response.headers["content-type"] == PROBLEM
    problem = response.json()
    assert problem["title"] == "Invalid input"
    locations = {error["location"]: error["message"] for error in problem["errors"]}
    assert set(locations) == {"body.place_id", "body.guests"}
    assert locations["body.place_id"] == "Field required"
    assert "valid integer" in locations["body.guests"]
    assert problem["detail"].startswith("the request has 2 invalid fields: ")


async def test_malformed_json_is_a_bad_request(app: FastAPI, client: httpx.AsyncClient) -> None:
    _add_test_routes(app)
    response = await client.post(
        "/api/v1/_test/visits",
        content=b'{"place_id": "p1", ',
        headers={"content-type": "application/json"},
    )
    assert response.status_code == 400
    assert response.headers["content-type"] == PROBLEM
    assert response.json()["detail"].startswith("the request body is not valid JSON")


async def test_a_crash_answers_500_without_revealing_what_the_error_said(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    _add_test_routes(app)
    response = await client.get("/api/v1/_test/crash")
    assert response.status_code == 500
    assert response.headers["content-type"] == PROBLEM
    assert "Jeanne" not in response.text
    assert "2850775123456" not in response.text
    assert response.json()["request_id"] == response.headers["x-request-id"]


async def test_a_well_formed_request_id_is_kept_and_a_bad_one_replaced(
    client: httpx.AsyncClient,
) -> None:
    kept = await client.get("/health", headers={"X-Request-ID": "lb-7f3a9c-0001"})
    assert kept.headers["x-request-id"] == "lb-7f3a9c-0001"
    replaced = await client.get("/health", headers={"X-Request-ID": "<script>alert(1)</script>"})
    assert HEX_ID.fullmatch(replaced.headers["x-request-id"])


async def test_the_openapi_document_describes_the_api_and_its_problems(
    client: httpx.AsyncClient,
) -> None:
    response = await client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    document = response.json()
    assert document["info"]["title"] == "Serment"
    assert {"/health", "/api/v1"} <= set(document["paths"])
    assert "/api/v1/docs" not in document["paths"]
    assert "Problem" in document["components"]["schemas"]
    api_errors = document["paths"]["/api/v1"]["get"]["responses"]["4XX"]["content"]
    assert PROBLEM in api_errors


async def test_the_api_index_says_where_the_api_is_described(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/v1")
    assert response.json() == {
        "name": "Serment",
        "version": "0.1.0",
        "openapi": "/api/v1/openapi.json",
        "docs": "/api/v1/docs",
    }


class _Assets(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []
        self.inline_scripts = 0
        self._in_script_without_src = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        for name in ("src", "href", "data-openapi-url"):
            if found.get(name):
                self.urls.append(str(found[name]))
        self._in_script_without_src = tag == "script" and "src" not in found

    def handle_data(self, data: str) -> None:
        if self._in_script_without_src and data.strip():
            self.inline_scripts += 1


async def test_the_api_docs_page_loads_everything_from_serment_itself(
    client: httpx.AsyncClient,
) -> None:
    page = await client.get("/api/v1/docs")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    parser = _Assets()
    parser.feed(page.text)
    assert parser.inline_scripts == 0, "an inline script would need 'unsafe-inline' in the CSP"
    assert len(parser.urls) >= 5
    for url in parser.urls:
        assert url.startswith("/"), f"{url} is not served by Serment"
        assert not url.startswith("//"), f"{url} names another host"
        asset = await client.get(url)
        assert asset.status_code == 200, url
    starter = (await client.get("/static/api-docs.js")).text
    assert "validatorUrl: null" in starter, "Swagger UI would send the API description to swagger.io"


@pytest.fixture
def log_stream() -> Iterator[io.StringIO]:
    """Everything logged during the test, as the JSON lines `serment serve` would write."""
    stream = io.StringIO()
    configure_logging("info", stream=stream)
    client_logger = logging.getLogger("httpx")
    client_level = client_logger.level
    client_logger.setLevel(logging.WARNING)  # the test's own client logs the URLs it requests
    yield stream
    client_logger.setLevel(client_level)
    configure_logging("warning")


async def test_logs_are_json_lines_with_the_request_id_and_never_the_query_or_body(
    app: FastAPI, client: httpx.AsyncClient, log_stream: io.StringIO
) -> None:
    _add_test_routes(app)
    canary_query = "2850775123456"
    canary_body = "Jeanne-Martin-canary"
    response = await client.get(f"/health?nir={canary_query}")
    await client.post("/api/v1/_test/visits", json={"place_id": canary_body, "guests": 3})
    await client.get("/api/v1/_test/crash")
    lines = [json.loads(line) for line in log_stream.getvalue().splitlines()]
    health_line = next(line for line in lines if line.get("path") == "/health")
    assert health_line["event"] == "request"
    assert health_line["status"] == 200
    assert health_line["request_id"] == response.headers["x-request-id"]
    assert health_line["time"].endswith("Z")
    crash_lines = [line for line in lines if line["event"] == "unhandled error"]
    assert len(crash_lines) == 1
    assert "RuntimeError (message withheld from the log)" in crash_lines[0]["exception"]
    assert "test_http.py" in crash_lines[0]["exception"]
    everything = log_stream.getvalue()
    assert "Jeanne" not in everything
    assert "2850775123456" not in everything
    assert canary_query not in everything
    assert canary_body not in everything
