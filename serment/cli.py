"""The `serment` command line. Each command parses its options, calls one function and says what
happened; exit codes are decided here and only here."""

from __future__ import annotations

import json
import os
import socket
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Annotated, Any, NoReturn, TypeVar

import typer
import uvicorn
from pydantic import ValidationError
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from serment import __version__
from serment.access import Actor, Platform, Refused, Request, operator
from serment.access.accounts import AccountError, add_user, create_token, link_patient
from serment.access.oversight import export_audit, verify_audit
from serment.demo import demo_logins, demo_password, ensure_accounts, link_demo_patient, load_outbreak
from serment.installation import (
    DailyUpkeep,
    Installation,
    InstallationError,
    announce_start,
    back_up_installation,
    initialise,
    open_installation,
    purge_installation,
    restore_installation,
    rotate_keys,
)
from serment.logs import configure_logging
from serment.policy import PolicyError, load_policy, render_tables
from serment.reporting import (
    IMPORT_PURPOSE,
    AlreadyImported,
    FileRefused,
    ImportInvalid,
    ImportReport,
    Position,
    actor_named,
    import_results,
)
from serment.settings import Settings, describe_settings_error, load_settings
from serment.tracing.teams import TeamError, add_team, list_teams
from serment.tracing.tier_lists import TracingDateInvalid, list_tiers, recompute_tiers, tiers_csv
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
policy_app = typer.Typer(
    help="Show or check the policy: roles, purposes, grants, retention.", no_args_is_help=True
)
user_app = typer.Typer(help="Accounts.", no_args_is_help=True)
token_app = typer.Typer(help="API tokens.", no_args_is_help=True)
keys_app = typer.Typer(help="The key store.", no_args_is_help=True)
audit_app = typer.Typer(help="The hash-chained audit log.", no_args_is_help=True)
report_app = typer.Typer(help="Reports from laboratories and clinicians.", no_args_is_help=True)
app.add_typer(policy_app, name="policy")
app.add_typer(user_app, name="user")
app.add_typer(token_app, name="token")
app.add_typer(keys_app, name="keys")
app.add_typer(audit_app, name="audit")
tracing_app = typer.Typer(help="Tracing: tiers, tasks, teams and clusters.", no_args_is_help=True)
team_app = typer.Typer(help="Teams of tracers and the regions they cover.", no_args_is_help=True)
app.add_typer(report_app, name="report")
app.add_typer(tracing_app, name="tracing")
tracing_app.add_typer(team_app, name="team")
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
def demo(  # noqa: PLR0917 (Typer maps each parameter to an option)
    data_dir: DataDirOption = None,
    host: Annotated[str | None, typer.Option(help="Address to listen on [default: 127.0.0.1].")] = None,
    port: Annotated[int | None, typer.Option(help="TCP port to listen on [default: 8000].")] = None,
    people: Annotated[int, typer.Option(min=0, help="People in the synthetic population.")] = 20_000,
    days: Annotated[int, typer.Option(min=1, help="Days of outbreak, ending today.")] = 60,
    seed: Annotated[int, typer.Option(help="Seed of the population and the outbreak.")] = 2020,
    no_serve: Annotated[bool, typer.Option("--no-serve", help="Load, print the logins, and stop.")] = False,
) -> None:
    """Load a synthetic French outbreak into a demo installation (once), print the logins, serve."""
    settings = _settings(data_dir=data_dir, host=host, port=port)
    fresh = not (settings.data_dir / ".serment").is_file()
    if fresh:
        report = _attempt(lambda: initialise(settings))
        out.print(f"Created the demo data directory {report.data_dir}.")
    password = demo_password(settings.demo_password.get_secret_value() if settings.demo_password else None)
    with _installation(data_dir) as installation:
        platform = installation.platform
        actors = _attempt(lambda: ensure_accounts(platform, password))
        if fresh:
            _load_demo(installation, actors, people=people, days=days, seed=seed)
        logins = demo_logins(platform)
    address = _address(settings.host, settings.port)
    table = Table(title=f"Demo accounts at {address}")
    for column in ("role", "account", "password"):
        table.add_column(column, no_wrap=True)
    for login in logins:
        table.add_row(
            login.role, login.account, password if fresh or settings.demo_password else "(as set before)"
        )
    out.print(table)
    out.print("API tokens, valid one day (paste into a shell):")
    for login in logins:
        out.print(f"export {login.variable}={login.token}", markup=False)
    out.print(
        f'Try: curl -H "Authorization: Bearer $SERMENT_TOKEN_EPIDEMIOLOGIST" {address}/api/v1/cases',
        markup=False,
    )
    out.print(
        f'     curl -H "Authorization: Bearer $SERMENT_TOKEN_TRACER" {address}/api/v1/tracing/tasks',
        markup=False,
    )
    if not no_serve:
        serve(data_dir=data_dir, host=host, port=port)


def _load_demo(
    installation: Installation, actors: dict[str, Actor], *, people: int, days: int, seed: int
) -> None:
    platform = installation.platform
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=out,
    ) as bar:
        task = bar.add_task(f"Synthetic outbreak: {people:,} people, {days} days", total=None)
        loaded = load_outbreak(
            platform, clinician=actors["clinician"], lab=actors["lab"], people=people, days=days, seed=seed,
            # Reports are stamped from 08:00 on their day: ending today would date some in the future.
            end=installation.clock.now().date() - timedelta(days=1),
            progress=lambda done, total: bar.update(task, completed=done, total=total),
        )  # fmt: skip
    if loaded.first_case_person is not None:
        link_demo_patient(platform, loaded.first_case_person)
    out.print(
        f"Loaded {loaded.case_reports:,} case reports with {loaded.contacts:,} contacts and "
        f"{loaded.results:,} results ({loaded.summary.get('infected', 0):,} people infected); "
        f"{loaded.refused} refused."
    )
    for reason in loaded.reasons:
        out.print(f"  refused: {reason}", markup=False)


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
            announce_start(installation)
            upkeep = DailyUpkeep(installation)
            upkeep.start()
            application = create_app(settings, installation=installation)
            address = _address(settings.host, settings.port)
            out.print(f"Serment {__version__} serves {installation.data_dir} at {address}")
            out.print(f"Health: {address}/health   API docs: {address}/api/v1/docs   Stop: Ctrl+C")
            server = uvicorn.Server(
                uvicorn.Config(application, log_config=None, access_log=False, server_header=False)
            )
            server.run(sockets=[listener])
            upkeep.stop()
        finally:
            installation.close()


@app.command()
def version() -> None:
    """Print the version of Serment."""
    out.print(f"serment {__version__}")


@policy_app.command("show")
def policy_show(
    policy: Annotated[
        str | None, typer.Option(help="A preset or a TOML file [default: $SERMENT_POLICY].")
    ] = None,
) -> None:
    """Render the policy in force as tables."""
    settings = _settings(policy=policy)
    loaded = _attempt(lambda: load_policy(settings.policy))
    out.print(f"[bold]{loaded.name}[/bold]: {loaded.description}", markup=True)
    for table in render_tables(loaded):
        out.print(table)


@policy_app.command("check")
def policy_check(file: Annotated[Path, typer.Argument(help="The policy TOML file to check.")]) -> None:
    """Validate a policy file; exit 0 if Serment would load it, 1 with the reason if not."""
    loaded = _attempt(lambda: load_policy(str(file)))
    out.print(f"{file}: the policy {loaded.name} is valid ({len(loaded.grants)} grants).")


@user_app.command("add")
def user_add(
    name: Annotated[str, typer.Argument(help="Account name (not a patient's identity).")],
    role: Annotated[str, typer.Option("--role", help="One of the policy's roles.")],
    org: Annotated[str | None, typer.Option("--org", help="Organisation.")] = None,
    data_dir: DataDirOption = None,
) -> None:
    """Create an account and print its initial password, once."""
    with _installation(data_dir) as installation:
        new = _attempt(
            lambda: add_user(installation.platform, operator(), name=name, role=role, organisation=org)
        )
    out.print(
        f"Created the account {new.name} (role {new.role}"
        + (f", {new.organisation})." if new.organisation else ").")
    )
    out.print(f"Initial password (shown once): {new.password}")


@user_app.command("link")
def user_link(
    name: Annotated[str, typer.Argument(help="A patient account.")],
    person: Annotated[str, typer.Option("--person", help="The person's ref.")],
    data_dir: DataDirOption = None,
) -> None:
    """Link a patient account to its person, so that it reaches that record only."""
    with _installation(data_dir) as installation:
        _attempt(lambda: link_patient(installation.platform, operator(), name=name, person_ref=person))
    out.print(f"The account {name} now reaches the person {person}.")


@token_app.command("create")
def token_create(
    name: Annotated[str, typer.Argument(help="The account the token acts for.")],
    days: Annotated[int, typer.Option(help="Days until it expires.")] = 30,
    data_dir: DataDirOption = None,
) -> None:
    """Create an API token and print it, once: only its hash is kept."""
    with _installation(data_dir) as installation:
        issued = _attempt(lambda: create_token(installation.platform, operator(), name=name, days=days))
    out.print(f"Token for {issued.account}, valid until {issued.expires_at:%Y-%m-%d %H:%M} UTC (shown once):")
    out.print(issued.token)


@keys_app.command("rotate")
def keys_rotate(data_dir: DataDirOption = None) -> None:
    """Create a new key-encryption key and re-wrap every key under it; no data is re-encrypted."""
    with _installation(data_dir) as installation:
        report = _attempt(lambda: rotate_keys(installation))
    out.print(
        f"Key-encryption key v{report.old_version} replaced by v{report.new_version}; "
        f"{report.rewrapped} keys re-wrapped, no data re-encrypted."
    )


@keys_app.command("status")
def keys_status(data_dir: DataDirOption = None) -> None:
    """Show the key-encryption key version, live epoch keys and destroyed ones."""
    with _installation(data_dir) as installation:
        keys = installation.keys
        out.print(f"Key-encryption key: v{keys.kek_version()}")
        out.print(f"Live epoch keys: {len(keys.epochs())}")
        for epoch in keys.epochs():
            out.print(f"  {epoch.category} {epoch.month} (wrapped by v{epoch.kek_version})")
        out.print(f"Destroyed epoch keys: {len(keys.tombstones())}")
        for tomb in keys.tombstones():
            out.print(f"  {tomb.category} {tomb.month} destroyed {tomb.destroyed_at:%Y-%m-%d}")


@audit_app.command("verify")
def audit_verify(data_dir: DataDirOption = None) -> None:
    """Check the whole audit chain: exit 0 if intact, 1 naming the first broken event."""
    with _installation(data_dir) as installation:
        result = verify_audit(installation.platform, operator(role="dpo", purpose="audit"))
    if result.intact:
        out.print(result.summary())
        return
    _fail(result.summary(), EXIT_FAILED)


@app.command()
def purge(
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Say what would be destroyed; destroy nothing.")
    ] = False,
    at: Annotated[str | None, typer.Option(help="Purge as of this date (YYYY-MM-DD) [default: now].")] = None,
    data_dir: DataDirOption = None,
) -> None:
    """Destroy expired epoch keys (here and in this installation's backups) and empty expired rows."""
    when = _date(at, "--at") if at else None
    with _installation(data_dir) as installation:
        report = _attempt(lambda: purge_installation(installation, when, dry_run=dry_run))
    verb = "Would destroy" if report.dry_run else "Destroyed"
    out.print(
        f"{verb} {len(report.epochs)} epoch keys as of {report.at:%Y-%m-%d}: "
        f"{report.expired_people} identities "
        f"expired, {report.audit_events} audit events past retention."
    )
    for category, month in report.epochs:
        out.print(f"  {category} {month}")


@app.command()
def backup(
    directory: Annotated[Path, typer.Argument(help="A new or empty directory for the backup.")],
    data_dir: DataDirOption = None,
) -> None:
    """Write an encrypted snapshot of the database and, separately, of the key store."""
    settings = _settings(data_dir=data_dir)
    with _installation(data_dir) as installation:
        report = _attempt(lambda: back_up_installation(installation, settings, directory))
    out.print(
        f"Backed up to {report.directory}: database ({report.database_bytes:,} bytes) and "
        f"{report.epoch_keys} epoch keys, encrypted."
    )


@app.command()
def restore(
    directory: Annotated[Path, typer.Argument(help="A backup directory written by `serment backup`.")],
    data_dir: DataDirOption = None,
) -> None:
    """Replace the database and keys with a backup's. Stop `serment serve` first."""
    settings = _settings(data_dir=data_dir)
    report = _attempt(lambda: restore_installation(settings, directory))
    out.print(f"Restored the backup of {report.created_at}: {report.epoch_keys} epoch keys.")
    if report.still_destroyed:
        out.print(f"{report.still_destroyed} of them were destroyed since and stay destroyed.")


@audit_app.command("export")
def audit_export(
    since: Annotated[str | None, typer.Option(help="Only events at or after this date (YYYY-MM-DD).")] = None,
    data_dir: DataDirOption = None,
) -> None:
    """Write the audit events as JSON lines on standard output, for anchoring elsewhere."""
    start = _date(since, "--since") if since else None
    with _installation(data_dir) as installation:
        for event in export_audit(installation.platform, operator(role="dpo", purpose="audit"), start):
            sys.stdout.write(json.dumps(event, ensure_ascii=False, default=str) + "\n")


@report_app.command("import")
def report_import(
    file: Annotated[Path, typer.Argument(help="A CSV (UTF-8) or XLSX lab file; see docs/imports.md.")],
    as_account: Annotated[
        str, typer.Option("--as", help="The lab (or clinician) account importing, whose role is checked.")
    ],
    partial: Annotated[
        bool, typer.Option("--partial", help="Store the good rows and report the bad ones.")
    ] = False,
    data_dir: DataDirOption = None,
) -> None:
    """Import the results of a lab file: all rows or none, each file and each sample once."""
    if not file.is_file():
        _fail(f"{file}: no such file", EXIT_FAILED)
    with _installation(data_dir) as installation:
        platform = installation.platform
        request = Request(_attempt(lambda: actor_named(platform, as_account)), purpose=IMPORT_PURPOSE)
        outcome = _import_with_progress(platform, request, file, partial=partial)
    if isinstance(outcome, ImportInvalid):
        _print_import(outcome.report)
    if isinstance(outcome, Exception):
        _fail(f"{file}: {outcome}", EXIT_FAILED)
    _print_import(outcome)


def _import_with_progress(
    platform: Platform, request: Request, file: Path, *, partial: bool
) -> ImportReport | Exception:
    # The failure is returned, not raised, so that it is said once the bar has gone.
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[rows]:,} rows"),
        console=err,
        transient=True,
        disable=not err.is_terminal,  # a bar in a log file is noise
    ) as bar:
        task = bar.add_task(f"Checking {file.name}", total=None, rows=0)

        def moved(position: Position) -> None:
            bar.update(task, completed=position.done, total=position.total, rows=position.rows)

        try:
            return import_results(platform, request, file, partial=partial, progress=moved)
        except (AlreadyImported, FileRefused, ImportInvalid, Refused) as failure:
            return failure


def _print_import(report: ImportReport, shown: int = 20) -> None:
    table = Table(title="Import")
    for column in ("rows", "stored", "refused", "duplicates"):
        table.add_column(column, justify="right")
    table.add_row(*(f"{n:,}" for n in (report.rows, report.stored, report.refused, report.duplicates)))
    out.print(table)
    if report.import_id:
        out.print(f"Import {report.import_id}.")
    for error in report.errors[:shown]:
        out.print(f"  {error}", markup=False)
    hidden = len(report.errors) - shown + report.more_errors
    if hidden > 0:
        out.print(f"  and {hidden:,} more problems")


@tracing_app.command("recompute")
def tracing_recompute(
    at: Annotated[str | None, typer.Option(help="Compute for this date (YYYY-MM-DD) [today].")] = None,
    data_dir: DataDirOption = None,
) -> None:
    """Recompute every tier and quarantine plan from scratch and store them: run it once a day (reports
    keep them current in between), or after changing the policy."""
    when = _date(at, "--at").date() if at else None
    with _installation(data_dir) as installation:
        report = _attempt(lambda: recompute_tiers(installation.platform, _surveillance(), when))
        names = [tier.name for tier in installation.policy.tracing.tiers]
    counts = ", ".join(f"{name} {count:,}" for name, count in zip(names, report.by_tier, strict=True))
    out.print(f"Tiers at {report.at:%Y-%m-%d}: {counts}.")
    out.print(f"{report.changed:,} standings changed, {report.removed:,} people left the tiers.")


@tracing_app.command("export")
def tracing_export(
    at: Annotated[str | None, typer.Option(help="The date (YYYY-MM-DD) [default: today].")] = None,
    format: Annotated[str, typer.Option(help="csv: ref,external_ref,tier,place,quarantine_until.")] = "csv",
    data_dir: DataDirOption = None,
) -> None:
    """Write everyone's tier and quarantine at a date on standard output, as CSV."""
    if format != "csv":
        _fail(f"--format {format}: the export is written as csv", EXIT_BAD_SETTINGS)
    when = _date(at, "--at").date() if at else None
    with _installation(data_dir) as installation:
        tiers = _attempt(lambda: list_tiers(installation.platform, _surveillance(), when))
    sys.stdout.write(tiers_csv(tiers))


def _surveillance() -> Request:
    # Tiers are pseudonymous lists: the operator works on them as an epidemiologist would.
    return operator(role="epidemiologist", purpose="surveillance")


@team_app.command("add")
def team_add(
    name: Annotated[
        str, typer.Argument(help="The team's name: its tracers' accounts have it as organisation.")
    ],
    regions: Annotated[
        str, typer.Option("--regions", help="Départements it covers (75,92,2A) or * for any.")
    ],
    data_dir: DataDirOption = None,
) -> None:
    """Create a team of tracers covering some regions."""
    with _installation(data_dir) as installation:
        team = _attempt(lambda: add_team(installation.platform, operator(), name, regions.split(",")))
    out.print(f"Created the team {team.name}, covering {', '.join(team.regions)}.", markup=False)
    out.print(f"Its tracers are the accounts of role tracer with organisation {team.name!r}.", markup=False)


@team_app.command("list")
def team_list(data_dir: DataDirOption = None) -> None:
    """Show each team, its tracers and open tasks, and the open tasks no tracer has."""
    with _installation(data_dir) as installation:
        teams = _attempt(lambda: list_teams(installation.platform, operator()))
    table = Table(title="Tracing teams")
    for column in ("team", "regions", "tracers", "open tasks", "unassigned"):
        table.add_column(column)
    for team in teams.teams:
        tracers = ", ".join(team.tracers) or "(none)"
        table.add_row(team.name, ",".join(team.regions), tracers, str(team.open_tasks), str(team.unassigned))
    out.print(table)
    for region, count in sorted(teams.uncovered.items(), key=lambda item: item[0] or ""):
        where = f"region {region}" if region is not None else "no known region"
        out.print(f"{count:,} open tasks ({where}) have no team: add one covering it, or *.", markup=False)


@contextmanager
def _installation(data_dir: Path | None) -> Iterator[Installation]:
    settings = _settings(data_dir=data_dir)
    installation = _attempt(lambda: open_installation(settings))
    try:
        yield installation
    finally:
        installation.close()


def _date(value: str, option: str) -> datetime:
    try:
        return datetime.combine(date.fromisoformat(value), time(), tzinfo=UTC)
    except ValueError:
        _fail(f"{option} {value}: expected a date as YYYY-MM-DD", EXIT_BAD_SETTINGS)


def _settings(**options: Any) -> Settings:
    try:
        return load_settings(**options)
    except ValidationError as error:
        _fail(describe_settings_error(error), EXIT_BAD_SETTINGS)


def _attempt(action: Callable[[], T]) -> T:
    try:
        return action()
    except (InstallationError, PolicyError, AccountError, TeamError, Refused, TracingDateInvalid) as error:
        _fail(str(error), EXIT_FAILED)


def _listen(host: str, port: int) -> socket.socket:
    try:
        family, kind, proto, _, address = socket.getaddrinfo(
            host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP, flags=socket.AI_PASSIVE
        )[0]
        # With its protocol named, asyncio sets TCP_NODELAY on each connection; without it, Nagle's
        # algorithm and delayed ACKs add about 40 ms to every response sent in two writes.
        listener = socket.socket(family, kind, proto)
        try:
            listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            listener.bind(address)
            listener.listen()
        except OSError:
            listener.close()
            raise
        return listener
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
