"""Promise 8 under test: nothing leaves the machine. An audit hook (PEP 578) sees every socket
connection, datagram and name lookup a Python process attempts, refuses any that would reach a
non-loopback address, and records it, so that a test fails even when the code under test swallowed
the refusal. The test process installs it at start (tests/conftest.py); every server and CLI the tests
start runs under it too, by being started as `python -m tests.sovereignty <serment arguments>`,
and writes what it refused to the file named by SOVEREIGNTY_LOG, which the tests then read.
The browser has its own guard (tests/e2e/conftest.py): every request it makes is checked the same way.
"""

from __future__ import annotations

import ipaddress
import os
import socket
import sys
from pathlib import Path
from typing import Any

LOG_VARIABLE = "SOVEREIGNTY_LOG"
LOOPBACK_NAMES = {"localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback"}
# Every refusal of this process since it started; the tests' fixture fails a test that added one.
REFUSED: list[str] = []
_installed = False


class SovereigntyViolation(ConnectionRefusedError):
    """A connection to a non-loopback address, refused by the tests' guard."""


def stays_here(host: object) -> bool:
    """Whether `host` (a name, an address, bytes or None) names this machine."""
    if host is None:
        return True
    if isinstance(host, bytes):
        host = host.decode("ascii", "replace")
    if not isinstance(host, str):
        return False
    name = host.strip("[]").split("%")[0].lower()
    if name in LOOPBACK_NAMES or name == "":
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def _destination(event: str, args: tuple[Any, ...]) -> tuple[object, str] | None:
    """The host an audited socket event would reach and how to describe it, or None when it reaches no
    network peer (a Unix socket, a socketpair)."""
    if event == "socket.getaddrinfo":
        return args[0], f"name lookup of {args[0]!r}"
    if event in {"socket.connect", "socket.sendto", "socket.sendmsg"}:
        sock, address = args[0], args[-1]
        if getattr(sock, "family", None) not in {socket.AF_INET, socket.AF_INET6}:
            return None
        if isinstance(address, tuple) and address:
            return address[0], f"{event} to {address!r}"
        return None
    return None


def _hook(event: str, args: tuple[Any, ...]) -> None:
    if not event.startswith("socket."):
        return
    found = _destination(event, args)
    if found is None or stays_here(found[0]):
        return
    message = f"refused {found[1]} (pid {os.getpid()})"
    REFUSED.append(message)
    log = os.environ.get(LOG_VARIABLE)
    if log:
        with Path(log).open("a", encoding="utf-8") as stream:
            stream.write(message + "\n")
    raise SovereigntyViolation(message)


def install() -> None:
    """Install the guard in this process (once: an audit hook cannot be removed)."""
    global _installed  # noqa: PLW0603 (one hook per process, whoever asks first)
    if not _installed:
        sys.addaudithook(_hook)
        _installed = True


def refused_in(log: Path) -> list[str]:
    """What the processes writing to `log` refused, one line each."""
    return log.read_text(encoding="utf-8").splitlines() if log.exists() else []


def main() -> None:
    """`python -m tests.sovereignty ARGS`: the `serment` command with ARGS, under the guard."""
    install()
    from serment.cli import main as serment  # noqa: PLC0415 (after the hook, so that it sees every import)

    sys.argv = ["serment", *sys.argv[1:]]
    serment()


if __name__ == "__main__":
    main()
