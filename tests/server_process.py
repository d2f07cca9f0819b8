"""A real `serment serve` process on a free loopback port, for tests that need one, and `serment`
commands run to completion; both under the sovereignty guard (tests/sovereignty.py)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from types import TracebackType

import httpx

from tests.sovereignty import LOG_VARIABLE, refused_in

STARTUP_DEADLINE_S = 60
# `serment`, started so that the guard is installed before it runs.
GUARDED_SERMENT = [sys.executable, "-m", "tests.sovereignty"]
REPOSITORY = Path(__file__).resolve().parent.parent


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def environment(database_url: str | None = None) -> dict[str, str]:
    """This process's environment without SERMENT_* variables, with the database if given."""
    chosen = {name: value for name, value in os.environ.items() if not name.startswith("SERMENT_")}
    if database_url is not None:
        chosen["SERMENT_DATABASE_URL"] = database_url
    return chosen


def run_cli(
    *arguments: str, database_url: str | None = None, extra: dict[str, str] | None = None, timeout: int = 120
) -> subprocess.CompletedProcess[str]:
    """Run `serment` to completion (with `extra` environment variables); fail if it tried to reach
    another machine."""
    with tempfile.TemporaryDirectory() as scratch:
        log = Path(scratch) / "refused.log"
        answer = subprocess.run(
            [*GUARDED_SERMENT, *arguments],
            capture_output=True,
            text=True,
            env={**environment(database_url), **(extra or {}), LOG_VARIABLE: str(log)},
            check=False,
            timeout=timeout,
            cwd=REPOSITORY,
        )
        refused = refused_in(log)
    assert refused == [], f"serment {' '.join(arguments)} tried to leave the machine: {refused}"
    return answer


class ServerProcess:
    """`python -m serment serve` over an initialised data directory, stopped with SIGTERM on exit."""

    def __init__(
        self, data_dir: Path, database_url: str | None = None, *, extra: dict[str, str] | None = None
    ) -> None:
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self._command = [
            *GUARDED_SERMENT, "serve", "--data-dir", str(data_dir), "--port", str(self.port),
        ]  # fmt: skip
        self._scratch = tempfile.TemporaryDirectory()
        self.refused_log = Path(self._scratch.name) / "refused.log"
        self._environment = {
            **environment(database_url),
            **(extra or {}),
            LOG_VARIABLE: str(self.refused_log),
        }
        self._process: subprocess.Popen[str] | None = None
        self.stdout = ""
        self.stderr = ""
        self.returncode: int | None = None

    def __enter__(self) -> ServerProcess:
        self._process = subprocess.Popen(
            self._command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=self._environment,
            cwd=REPOSITORY,
        )  # fmt: skip
        self.first_health = self._wait_until_serving(self._process)
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None
    ) -> None:
        assert self._process is not None
        self._process.send_signal(signal.SIGTERM)
        self.stdout, self.stderr = self._process.communicate(timeout=30)
        self.returncode = self._process.returncode
        refused = refused_in(self.refused_log)
        self._scratch.cleanup()
        if kind is None:
            assert refused == [], f"the server tried to leave the machine: {refused}"

    def kill(self) -> None:
        """SIGKILL, as a crash or the kernel's out-of-memory killer would: no shutdown, no cleanup."""
        assert self._process is not None
        self._process.kill()
        self._process.wait(timeout=30)

    def _wait_until_serving(self, process: subprocess.Popen[str]) -> httpx.Response:
        deadline = time.monotonic() + STARTUP_DEADLINE_S
        while time.monotonic() < deadline:
            if process.poll() is not None:
                out, err = process.communicate()
                raise RuntimeError(f"serment serve exited with {process.returncode}:\n{out}\n{err}")
            try:
                return httpx.get(f"{self.base_url}/health?nir=2850775123456")
            except httpx.TransportError:
                time.sleep(0.1)
        process.kill()
        raise RuntimeError(f"serment serve did not answer within {STARTUP_DEADLINE_S} s")
