"""The `serment` command line. Each command parses its options, calls one function and says what
happened; exit codes are decided here and only here."""

from __future__ import annotations

import os
import socket
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, NoReturn, TypeVar

import typer
import uvicorn
from pydantic import ValidationError
from rich.console import Console

from serment import __version__
from serment.installation import InstallationError, initialise, open_installation
from serment.logs import configure_logging
from serment.settings import Settings, describe_settings_error, load_settings
from serment.web import create_app

EXIT_FAILED = 1
EXIT_BAD_SETTINGS = 2
# Files Serment writes (database, keys, logs) are readable by their owner only.
PRIVATE_UMASK = 0o077

app = typer.Typer(
    name="serment",
    help="Serment: epidemic reporting, contact tracing and a research hub that keep medical secrecy.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
out = Console(soft_wrap=True, highlight=False)
err = Console(stderr=True, soft_wrap=True, highlight=False)
T = TypeVar("T")

DataDirOption = Annotated[
    Path | None,
    typer.Option("--data-dir", help="Data directory [default: $SERMENT_DATA_DIR or ./serment-data]."),
]


def main() -> None:
    """Entry point of the `serment` console script."""
    os.umask(PRIVATE_UMASK)
    configure_logging("warning")
    app()


@app.command()
def init(
    data_dir: DataDirOption = None,
    force: Annotated[
        bool,
        typer.Option("--force", help="Erase an existing Serment data directory and start again."),
    ] = False,
) -> None:
    """Create the data directory (mode 0700) and its database."""
    settings = _settings(data_dir=data_dir)
    report = _attempt(lambda: initialise(settings, force=force))
    verb = "Replaced" if report.replaced_existing else "Created"
    out.print(f"{verb} the Serment data directory {report.data_dir} (installation {report.installation_id}).")
    out.print(f"Database: {report.database}")
    out.print(f"Next: serment serve --data-dir {report.data_dir}")


@app.command()
def serve(
    data_dir: DataDirOption = None,
    host: Annotated[str | None, typer.Option(help="Address to listen on [default: 127.0.0.1].")] = None,
    port: Annotated[int | None, typer.Option(help="TCP port to listen on [default: 8000].")] = None,
) -> None:
    """Bring the database to this version's schema and serve the web application."""
    settings = _settings(data_dir=data_dir, host=host, port=port)
    configure_logging(settings.log_level)
    listener = _attempt(lambda: _listen(settings.host, settings.port))
    with listener:
        installation = _attempt(lambda: open_installation(settings, migrate=True))
        try:
            application = create_app(settings, installation=installation)
            address = _address(settings.host, settings.port)
            out.print(f"Serment {__version__} serves {installation.data_dir} at {address}")
            out.print(f"Health: {address}/health   API docs: {address}/api/v1/docs   Stop: Ctrl+C")
            server = uvicorn.Server(
                uvicorn.Config(application, log_config=None, access_log=False, server_header=False)
            )
            server.run(sockets=[listener])
        finally:
            installation.close()


@app.command()
def version() -> None:
    """Print the version of Serment."""
    out.print(f"serment {__version__}")


def _settings(**options: Any) -> Settings:
    try:
        return load_settings(**options)
    except ValidationError as error:
        _fail(describe_settings_error(error), EXIT_BAD_SETTINGS)


def _attempt(action: Callable[[], T]) -> T:
    try:
        return action()
    except InstallationError as error:
        _fail(str(error), EXIT_FAILED)


def _listen(host: str, port: int) -> socket.socket:
    try:
        family = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)[0][0]
        return socket.create_server((host, port), family=family)
    except socket.gaierror as error:
        raise InstallationError(f"cannot listen on {host}: {error.strerror}") from None
    except OSError as error:
        reason = os.strerror(error.errno) if error.errno else str(error)
        raise InstallationError(f"cannot listen on {host}:{port}: {reason}") from None


def _address(host: str, port: int) -> str:
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


def _fail(message: str, code: int) -> NoReturn:
    err.print(f"error: {message}", markup=False)
    raise typer.Exit(code)
