"""A real `serment serve` process on a free loopback port, for tests that need one, and `serment`
commands run to completion; both under the sovereignty guard (tests/sovereignty.py)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from types import TracebackType
from typing import IO

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
        self._drains: list[threading.Thread] = []
        self._out: list[str] = []
        self._err: list[str] = []
        self.stdout = ""
        self.stderr = ""
        self.returncode: int | None = None

    def __enter__(self) -> ServerProcess:
        self._process = subprocess.Popen(
            self._command,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=self._environment,
            cwd=REPOSITORY,
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
        refused = refused_in(self.refused_log)
        self._scratch.cleanup()
        if kind is None:
            assert refused == [], f"the server tried to leave the machine: {refused}"

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


# A process that imports Serment once, then runs `serment ARGUMENTS` in a forked child for each
# `serve LOG` line it reads (answering the child's pid), and reaps a child for each `wait PID`
# (answering its exit code): a server started again is the same `serve` command, without the seconds
# that Python's imports take on a loaded machine (as a pre-loading server such as gunicorn's does).
_LAUNCHER = """
import os, sys
import tests.sovereignty
tests.sovereignty.install()  # before serment, and inherited by every server forked below
import serment.cli

def serve(log_path):
    log = os.open(log_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    sys.stdout.flush()
    child = os.fork()
    if child:
        os.close(log)
        return child
    for descriptor in (1, 2):
        os.dup2(log, descriptor)
    os.dup2(os.open(os.devnull, os.O_RDONLY), 0)
    sys.argv = ["serment", *sys.argv[1:]]
    code = 0
    try:
        serment.cli.main()
    except SystemExit as end:
        code = end.code if isinstance(end.code, int) else 1
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)

while line := sys.stdin.readline():
    command, _, value = line.strip().partition(" ")
    if command == "serve":
        print(serve(value), flush=True)
    elif command == "wait":
        print(os.waitstatus_to_exitcode(os.waitpid(int(value), 0)[1]), flush=True)
"""


class RestartedServer:
    """`serment serve` killed and started again, as often as a test likes, on one data directory and one
    port: each server is a child of a launcher that has done Python's imports once, so that a restart
    costs what opening the installation and listening cost. Each server writes its output to a log
    file of its own under `logs`."""

    def __init__(self, data_dir: Path, logs: Path, database_url: str | None = None) -> None:
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self._arguments = ["serve", "--data-dir", str(data_dir), "--port", str(self.port)]
        self._logs = logs
        self.refused_log = logs / "refused.log"
        self._environment = {**environment(database_url), LOG_VARIABLE: str(self.refused_log)}
        self.starts = 0
        self._launcher: subprocess.Popen[str] | None = None
        self._serving: int | None = None

    def start(self) -> httpx.Response:
        """Start a server and wait until it answers /health."""
        assert self._serving is None, "a server is running: kill it or stop it first"
        self.starts += 1
        self._logs.mkdir(parents=True, exist_ok=True)
        self._serving = int(self._ask(f"serve {self._logs / f'server-{self.starts:04d}.log'}"))
        deadline = time.monotonic() + STARTUP_DEADLINE_S
        while time.monotonic() < deadline:
            try:
                return httpx.get(f"{self.base_url}/health")
            except httpx.TransportError:
                time.sleep(0.02)
        raise RuntimeError(f"serment serve did not answer within {STARTUP_DEADLINE_S} s:\n{self.log()}")

    def kill(self) -> None:
        """SIGKILL the running server: no shutdown, no cleanup, as a crash or the OOM killer."""
        code = self._end(signal.SIGKILL)
        assert code == -signal.SIGKILL, f"the server had ended before it was killed ({code}):\n{self.log()}"

    def stop(self) -> int:
        """SIGTERM the running server (a graceful stop), and end the launcher; the server's exit code."""
        code = self._end(signal.SIGTERM) if self._serving is not None else 0
        if self._launcher is not None:
            assert self._launcher.stdin is not None
            assert self._launcher.stdout is not None
            self._launcher.stdin.close()
            self._launcher.wait(timeout=30)
            self._launcher.stdout.close()
            self._launcher = None
        refused = refused_in(self.refused_log)
        assert refused == [], f"a server tried to leave the machine: {refused}"
        return code

    def log(self) -> str:
        """What every server started so far wrote, in order."""
        return "".join(path.read_text(encoding="utf-8") for path in sorted(self._logs.glob("server-*.log")))

    def _end(self, how: signal.Signals) -> int:
        assert self._serving is not None
        os.kill(self._serving, how)
        code = int(self._ask(f"wait {self._serving}"))
        self._serving = None
        return code

    def _ask(self, command: str) -> str:
        if self._launcher is None:
            self._launcher = subprocess.Popen(
                [sys.executable, "-c", _LAUNCHER, *self._arguments],
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=self._environment,
                cwd=REPOSITORY,
            )  # fmt: skip
        assert self._launcher.stdin is not None
        assert self._launcher.stdout is not None
        self._launcher.stdin.write(command + "\n")
        self._launcher.stdin.flush()
        answer = self._launcher.stdout.readline()
        if not answer:
            ended = self._launcher.wait()
            raise RuntimeError(f"the launcher of serment serve ended ({ended}):\n{self.log()}")
        return answer

    def __enter__(self) -> RestartedServer:
        self.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
