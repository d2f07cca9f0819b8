"""`serment init` then `serment serve` as real processes, read over real HTTP."""

from __future__ import annotations

import json
import signal
import stat
from pathlib import Path

import httpx
import pytest

from tests.server_process import ServerProcess, run_cli

pytestmark = pytest.mark.subprocess


def test_init_then_serve_answers_health_and_stops_cleanly(tmp_path: Path, database_url: str | None) -> None:
    data_dir = tmp_path / "data"
    init = run_cli("init", "--data-dir", str(data_dir), database_url=database_url)
    assert init.returncode == 0, init.stderr
    assert "Next: serment serve" in init.stdout

    with ServerProcess(data_dir, database_url) as server:
        health = server.first_health
        assert health.status_code == 200
        assert health.json()["status"] == "ok"
        assert health.json()["database"] == {"reachable": True, "schema": "current"}
        docs = httpx.get(f"{server.base_url}/api/v1/docs")
        assert docs.status_code == 200
        assert "default-src 'self'" in docs.headers["content-security-policy"]
        assert httpx.get(f"{server.base_url}/api/v1/openapi.json").json()["info"]["title"] == "Serment"

    # Uvicorn shuts down gracefully, then re-raises SIGTERM so that the parent sees it.
    assert server.returncode in {0, -signal.SIGTERM}, server.stderr
    assert f"at {server.base_url}" in server.stdout
    records = [json.loads(line) for line in server.stderr.splitlines()]
    assert "Application shutdown complete." in [record["event"] for record in records]
    requests = [record for record in records if record["event"] == "request"]
    assert [record["path"] for record in requests] == ["/health", "/api/v1/docs", "/api/v1/openapi.json"]
    assert requests[0]["request_id"] == health.headers["x-request-id"]
    assert "2850775123456" not in server.stderr, "a query string reached the log"
    if database_url is None:
        for path in data_dir.iterdir():
            assert stat.S_IMODE(path.stat().st_mode) & 0o077 == 0, f"{path.name} is readable by others"
