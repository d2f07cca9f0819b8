"""Promise 8: no outbound connection. The guard that every test, server and CLI of the suite runs
under (tests/sovereignty.py) must itself refuse and record a connection, a datagram or a name
lookup that would leave the machine, and let loopback through; otherwise the suites' silence would
prove nothing."""

from __future__ import annotations

import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests import sovereignty
from tests.server_process import REPOSITORY, run_cli
from tests.sovereignty import LOG_VARIABLE, SovereigntyViolation, refused_in, stays_here

# TEST-NET-1 (RFC 5737): documentation addresses that no network routes.
ELSEWHERE = ("192.0.2.1", 443)


@pytest.fixture
def forgiven() -> Iterator[None]:
    """Takes back what the test itself made the guard refuse, so that the suite's own check passes."""
    before = len(sovereignty.REFUSED)
    yield
    del sovereignty.REFUSED[before:]


def test_loopback_names_and_addresses_stay_here() -> None:
    assert all(
        stays_here(host) for host in ["127.0.0.1", "::1", "[::1]", "localhost", "127.8.9.1", None, b"::1"]
    )
    assert not any(
        stays_here(host) for host in ["192.0.2.1", "10.0.0.1", "example.org", "2001:db8::1", "0x7f"]
    )


@pytest.mark.usefixtures("forgiven")
def test_a_connection_elsewhere_is_refused_and_recorded() -> None:
    before = len(sovereignty.REFUSED)
    with pytest.raises(SovereigntyViolation), socket.create_connection(ELSEWHERE, timeout=1):
        pass
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp, pytest.raises(SovereigntyViolation):
        udp.sendto(b"x", ELSEWHERE)
    with pytest.raises(SovereigntyViolation):
        socket.getaddrinfo("example.org", 443)
    assert len(sovereignty.REFUSED) - before == 3


def test_loopback_connections_go_through() -> None:
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        with socket.create_connection(server.getsockname(), timeout=1):
            pass


def test_a_child_process_under_the_guard_records_what_it_refused(tmp_path: Path) -> None:
    log = tmp_path / "refused.log"
    code = (
        "import socket, tests.sovereignty as guard; guard.install()\n"
        "try:\n    socket.create_connection(('192.0.2.1', 443), timeout=1)\n"
        "except ConnectionRefusedError:\n    pass\n"
    )
    subprocess.run(
        [sys.executable, "-c", code], env={LOG_VARIABLE: str(log)}, cwd=REPOSITORY, check=True, timeout=60
    )
    assert len(refused_in(log)) == 1
    assert "192.0.2.1" in refused_in(log)[0]


@pytest.mark.subprocess
def test_serment_started_by_the_tests_runs_under_the_guard(tmp_path: Path) -> None:
    # Told to listen on a name elsewhere, `serment serve` looks it up: the guard in the child refuses
    # the lookup and run_cli, reading the child's record, fails. Without the guard the lookup would
    # fail or bind nowhere, and no record would exist.
    data_dir = tmp_path / "data"
    assert run_cli("init", "--data-dir", str(data_dir)).returncode == 0
    with pytest.raises(AssertionError, match="tried to leave the machine"):
        run_cli("serve", "--data-dir", str(data_dir), "--host", "example.org", "--port", "8000", timeout=60)
