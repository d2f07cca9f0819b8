"""A real `serment serve` process on a free loopback port, for tests that need one."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from types import TracebackType
from typing import IO

import httpx

STARTUP_DEADLINE_S = 60
CONSOLE_SCRIPT = Path(sys.executable).parent / "serment"


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
    """Run the `serment` console script to completion (with `extra` environment variables)."""
    return subprocess.run(
        [str(CONSOLE_SCRIPT), *arguments],
        capture_output=True,
        text=True,
        env={**environment(database_url), **(extra or {})},
        check=False,
        timeout=timeout,
    )


class ServerProcess:
    """`python -m serment serve` over an initialised data directory, stopped with SIGTERM on exit."""

    def __init__(self, data_dir: Path, database_url: str | None = None) -> None:
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self._command = [
            sys.executable, "-m", "serment", "serve",
            "--data-dir", str(data_dir), "--port", str(self.port),
        ]  # fmt: skip
        self._environment = environment(database_url)
        self._process: subprocess.Popen[str] | None = None
        self._drains: list[threading.Thread] = []
        self._out: list[str] = []
        self._err: list[str] = []
        self.stdout = ""
        self.stderr = ""
        self.returncode: int | None = None

    def __enter__(self) -> ServerProcess:
        self._process = subprocess.Popen(
            self._command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=self._environment
        )
        # Read both pipes as the server writes: a server logging thousands of requests would
        # otherwise fill a pipe and block on its next log line.
        assert self._process.stdout is not None
        assert self._process.stderr is not None
        self._drains = [
            threading.Thread(target=_drain, args=(self._process.stdout, self._out), daemon=True),
            threading.Thread(target=_drain, args=(self._process.stderr, self._err), daemon=True),
        ]
        for drain in self._drains:
            drain.start()
        self.first_health = self._wait_until_serving(self._process)
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None
    ) -> None:
        assert self._process is not None
        self._process.send_signal(signal.SIGTERM)
        self._process.wait(timeout=30)
        self._collect()
        self.returncode = self._process.returncode

    def kill(self) -> None:
        """SIGKILL, as a crash or the kernel's out-of-memory killer would: no shutdown, no cleanup."""
        assert self._process is not None
        self._process.kill()
        self._process.wait(timeout=30)
        self._collect()

    def _collect(self) -> None:
        for drain in self._drains:
            drain.join(timeout=30)
        self.stdout, self.stderr = "".join(self._out), "".join(self._err)

    def _wait_until_serving(self, process: subprocess.Popen[str]) -> httpx.Response:
        deadline = time.monotonic() + STARTUP_DEADLINE_S
        while time.monotonic() < deadline:
            if process.poll() is not None:
                self._collect()
                raise RuntimeError(
                    f"serment serve exited with {process.returncode}:\n{self.stdout}\n{self.stderr}"
                )
            try:
                return httpx.get(f"{self.base_url}/health?nir=2850775123456")
            except httpx.TransportError:
                time.sleep(0.1)
        process.kill()
        raise RuntimeError(f"serment serve did not answer within {STARTUP_DEADLINE_S} s")


def _drain(pipe: IO[str], into: list[str]) -> None:
    with pipe:
        into.extend(pipe)
