"""`serment init` then `serment serve` as real processes, read over real HTTP."""

from __future__ import annotations

import json
import os
import signal
import socket
import stat
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

pytestmark = pytest.mark.subprocess
STARTUP_DEADLINE_S = 60
CANARY = "2850775123456"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _environment(database_url: str | None) -> dict[str, str]:
    environment = {name: value for name, value in os.environ.items() if not name.startswith("SERMENT_")}
    if database_url is not None:
        environment["SERMENT_DATABASE_URL"] = database_url
    return environment


def _wait_for_health(base: str, server: subprocess.Popen[str]) -> httpx.Response:
    deadline = time.monotonic() + STARTUP_DEADLINE_S
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail(f"serment serve exited with {server.returncode}: {server.communicate()}")
        try:
            return httpx.get(f"{base}/health?nir={CANARY}")
        except httpx.TransportError:
            time.sleep(0.1)
    pytest.fail(f"serment serve did not answer within {STARTUP_DEADLINE_S} s")


def test_init_then_serve_answers_health_and_stops_cleanly(tmp_path: Path, database_url: str | None) -> None:
    data_dir = tmp_path / "data"
    environment = _environment(database_url)
    console_script = Path(sys.executable).parent / "serment"
    init = subprocess.run(
        [str(console_script), "init", "--data-dir", str(data_dir)],
        capture_output=True,
        text=True,
        env=environment,
        check=False,
        timeout=120,
    )
    assert init.returncode == 0, init.stderr
    assert "Next: serment serve" in init.stdout

    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "serment",
            "serve",
            "--data-dir",
            str(data_dir),
            "--port",
            str(port),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=environment,
    )
    try:
        health = _wait_for_health(base, server)
        assert health.status_code == 200
        assert health.json()["status"] == "ok"
        assert health.json()["database"] == {"reachable": True, "schema": "current"}
        docs = httpx.get(f"{base}/api/v1/docs")
        assert docs.status_code == 200
        assert "default-src 'self'" in docs.headers["content-security-policy"]
        assert httpx.get(f"{base}/api/v1/openapi.json").json()["info"]["title"] == "Serment"
    finally:
        server.send_signal(signal.SIGTERM)
        stdout, stderr = server.communicate(timeout=30)
    # Uvicorn shuts down gracefully, then re-raises SIGTERM so that the parent sees it.
    assert server.returncode in {0, -signal.SIGTERM}, stderr
    assert f"at {base}" in stdout

    records = [json.loads(line) for line in stderr.splitlines()]
    assert "Application shutdown complete." in [record["event"] for record in records]
    requests = [record for record in records if record["event"] == "request"]
    assert [record["path"] for record in requests] == [
        "/health",
        "/api/v1/docs",
        "/api/v1/openapi.json",
    ]
    assert requests[0]["request_id"] == health.headers["x-request-id"]
    assert CANARY not in stderr, "a query string reached the log"
    if database_url is None:
        for path in data_dir.iterdir():
            assert stat.S_IMODE(path.stat().st_mode) & 0o077 == 0, f"{path.name} is readable by others"
