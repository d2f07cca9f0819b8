"""The command line in-process: what each command prints, and one clear line for each user error."""

from __future__ import annotations

import asyncio
import socket
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from serment.cli import _listen, app


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture
def busy_port() -> Iterator[int]:
    with socket.socket() as held:
        held.bind(("127.0.0.1", 0))
        held.listen()
        yield held.getsockname()[1]


def _one_line_error(stderr: str) -> str:
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    assert lines[0].startswith("error: ")
    assert "Traceback" not in stderr
    return lines[0]


def test_init_creates_the_data_directory_and_names_the_next_step(runner: CliRunner, tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    result = runner.invoke(app, ["init", "--data-dir", str(data_dir)])
    assert result.exit_code == 0, result.output
    assert f"Created the Serment data directory {data_dir}" in result.stdout
    assert f"Next: serment serve --data-dir {data_dir}" in result.stdout
    assert stat.S_IMODE(data_dir.stat().st_mode) == 0o700
    assert (data_dir / "serment.db").is_file()


def test_init_reads_the_data_directory_from_the_environment(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SERMENT_DATA_DIR", str(tmp_path / "from-env"))
    result = runner.invoke(app, ["init"])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "from-env" / ".serment").is_file()


def test_init_refuses_to_overwrite_unless_forced(runner: CliRunner, tmp_path: Path) -> None:
    data_dir = str(tmp_path / "data")
    assert runner.invoke(app, ["init", "--data-dir", data_dir]).exit_code == 0
    refused = runner.invoke(app, ["init", "--data-dir", data_dir])
    assert refused.exit_code == 1
    assert "already exists and is not empty; pass --force" in _one_line_error(refused.stderr)
    forced = runner.invoke(app, ["init", "--data-dir", data_dir, "--force"])
    assert forced.exit_code == 0
    assert forced.stdout.startswith("Replaced the Serment data directory")


def test_init_says_in_one_line_when_the_directory_cannot_be_written(
    runner: CliRunner, tmp_path: Path
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("", encoding="utf-8")
    result = runner.invoke(app, ["init", "--data-dir", str(blocker / "data")])
    assert result.exit_code == 1
    assert "cannot create the data directory" in _one_line_error(result.stderr)


@pytest.mark.parametrize(
    ("arguments", "expected"),
    [
        (
            ["serve", "--port", "99999"],
            "setting port (SERMENT_PORT): 99999 is out of range (1-65535)",
        ),
        (["serve", "--port", "0"], "setting port (SERMENT_PORT): 0 is out of range (1-65535)"),
    ],
)
def test_serve_refuses_an_impossible_port_in_one_line(
    runner: CliRunner, arguments: list[str], expected: str
) -> None:
    result = runner.invoke(app, arguments)
    assert result.exit_code == 2
    assert _one_line_error(result.stderr) == f"error: {expected}"


def test_serve_refuses_a_directory_that_was_never_initialised(runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(app, ["serve", "--data-dir", str(tmp_path / "nothing"), "--port", "8000"])
    assert result.exit_code == 1
    assert "is not a Serment data directory; create it with `serment init" in _one_line_error(result.stderr)


def test_serve_says_when_the_port_is_taken(runner: CliRunner, tmp_path: Path, busy_port: int) -> None:
    data_dir = str(tmp_path / "data")
    assert runner.invoke(app, ["init", "--data-dir", data_dir]).exit_code == 0
    result = runner.invoke(app, ["serve", "--data-dir", data_dir, "--port", str(busy_port)])
    assert result.exit_code == 1
    assert (
        _one_line_error(result.stderr)
        == f"error: cannot listen on 127.0.0.1:{busy_port}: Address already in use"
    )


def test_a_bad_environment_variable_is_named(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SERMENT_DATABASE_URL", "oracle://db/x")
    result = runner.invoke(app, ["init", "--data-dir", str(tmp_path / "data")])
    assert result.exit_code == 2
    assert "SERMENT_DATABASE_URL" in _one_line_error(result.stderr)
    assert not (tmp_path / "data").exists()


def test_version_prints_the_version(runner: CliRunner) -> None:
    result = runner.invoke(app, ["version"])
    assert result.exit_code == 0
    assert result.stdout == "serment 0.1.0\n"


def test_served_connections_send_small_writes_at_once() -> None:
    # Without TCP_NODELAY on each connection, a response written in two parts waits for the
    # client's delayed ACK: about 40 ms more for every request.
    options = []

    class Probe(asyncio.Protocol):
        def connection_made(self, transport: asyncio.BaseTransport) -> None:
            connection = transport.get_extra_info("socket")
            options.append(connection.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
            transport.close()

    async def accept_one() -> None:
        server = await asyncio.get_running_loop().create_server(Probe, sock=_listen("127.0.0.1", 0))
        async with server:
            port = server.sockets[0].getsockname()[1]
            _, writer = await asyncio.open_connection("127.0.0.1", port)
            while not options:
                await asyncio.sleep(0.01)
            writer.close()

    asyncio.run(asyncio.wait_for(accept_one(), timeout=10))
    assert options == [1]
