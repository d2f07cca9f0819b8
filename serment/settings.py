"""The settings of one Serment installation, read once at the edge (CLI, app factory) and passed down.

Every setting comes from an environment variable prefixed `SERMENT_`, or from a command-line
option that overrides it. Nothing below the edge reads the environment: an import-linter
contract forbids the lower layers to import this module.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

ENV_PREFIX = "SERMENT_"
DATABASE_FILE = "serment.db"
POLICY_PRESETS = ("fr-2020", "vn-2020")
LogLevel = Literal["debug", "info", "warning", "error"]


class Settings(BaseSettings):
    """Where the data lives, which database holds it, where to listen, which policy rules, how loud."""

    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, extra="forbid", frozen=True)

    data_dir: Path = Field(
        default=Path("serment-data"),
        description="Data directory: database (by default), key store, research files. "
        "Created with mode 0700 by `serment init`.",
    )
    database_url: str | None = Field(
        default=None,
        description="SQLAlchemy URL of the operational database: `sqlite:///PATH` or "
        "`postgresql://USER@HOST/DB` (driven by psycopg 3). "
        f"Default: the SQLite file `{DATABASE_FILE}` inside the data directory "
        "(WAL mode, foreign keys on, busy timeout).",
    )
    host: str = Field(default="127.0.0.1", description="Address `serment serve` listens on.")
    port: int = Field(default=8000, ge=1, le=65535, description="TCP port `serment serve` listens on.")
    policy: str = Field(
        default="fr-2020",
        description=f"Policy rules: a preset name ({', '.join(POLICY_PRESETS)}) or the path of a "
        "policy TOML file.",
    )
    key_passphrase: SecretStr | None = Field(
        default=None,
        description="Passphrase that protects the master key of the key store (Argon2id, memory-hard). "
        "Given to `serment init`, it is then needed by every command. Unset: the master key file is "
        "protected by file permissions only.",
    )
    backup_passphrase: SecretStr | None = Field(
        default=None,
        description="Passphrase that encrypts backups (Argon2id, then AES-256-GCM); needed by "
        "`serment backup` and `serment restore`.",
    )
    demo_password: SecretStr | None = Field(
        default=None,
        description="Password of the demo accounts that `serment demo` creates; unset, a random one "
        "is generated and printed.",
    )
    log_level: LogLevel = Field(
        default="info",
        description="Least severe log level written (debug, info, warning, error). Logs are JSON "
        "lines on standard error, with a request id, never request bodies or query strings.",
    )

    timezone: str = Field(
        default="Europe/Paris",
        description="Time zone in which pages show dates and times (an IANA name such as "
        "America/Cayenne); everything is stored in UTC.",
    )

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        value = value.strip()
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            known = "use an IANA name like Europe/Paris"
            raise ValueError(f"names no known time zone ({value!r}); {known}") from None
        return value

    @field_validator("database_url")
    @classmethod
    def _known_database(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        try:
            url = make_url(value.strip())
        except ArgumentError:
            raise ValueError("is not a database URL (expected sqlite:///PATH or postgresql://...)") from None
        if url.get_backend_name() == "postgresql":
            # A bare postgresql:// would pick psycopg2, which Serment does not install.
            url = url.set(drivername="postgresql+psycopg")
        elif url.drivername != "sqlite":
            raise ValueError(f"names the database '{url.drivername}'; Serment runs on sqlite or postgresql")
        return url.render_as_string(hide_password=False)

    @field_validator("policy")
    @classmethod
    def _known_policy(cls, value: str) -> str:
        value = value.strip()
        if value in POLICY_PRESETS:
            return value
        if value.endswith(".toml"):
            if not Path(value).is_file():
                raise ValueError(f"names the file {value}, which does not exist")
            return value
        raise ValueError(f"must be a preset ({', '.join(POLICY_PRESETS)}) or the path of a .toml file")

    @field_validator("log_level", mode="before")
    @classmethod
    def _lower_level(cls, value: Any) -> Any:
        return value.strip().lower() if isinstance(value, str) else value

    @property
    def passphrase(self) -> str | None:
        """The key-store passphrase in clear, for the key store only."""
        return self.key_passphrase.get_secret_value() if self.key_passphrase is not None else None

    @property
    def backup_secret(self) -> str | None:
        """The backup passphrase in clear, for the backup module only."""
        return self.backup_passphrase.get_secret_value() if self.backup_passphrase is not None else None

    @property
    def database(self) -> str:
        """The database URL in force: the one configured, or SQLite inside the data directory."""
        if self.database_url is not None:
            return self.database_url
        return f"sqlite:///{self.data_dir.resolve() / DATABASE_FILE}"

    @property
    def uses_embedded_database(self) -> bool:
        """Whether the database is the SQLite file inside the data directory."""
        return self.database_url is None


def load_settings(**overrides: Any) -> Settings:
    """Settings from the environment, with the command-line options given (not None) on top."""
    given = {name: value for name, value in overrides.items() if value is not None}
    return Settings(**given)


def describe_settings_error(error: ValidationError) -> str:
    """One line a person can act on, naming each bad setting and its environment variable."""
    parts = []
    for problem in error.errors(include_url=False):
        name = ".".join(str(part) for part in problem["loc"]) or "settings"
        message = problem["msg"].removeprefix("Value error, ")
        if problem["type"] in {"less_than_equal", "greater_than_equal"}:
            message = f"{problem['input']} is out of range (1-65535)" if name == "port" else message
        elif problem["type"] == "extra_forbidden":
            message = "is not a setting"
        parts.append(f"setting {name} ({ENV_PREFIX}{name.upper()}): {message}")
    return "; ".join(parts)


def reference_table() -> str:
    """The Markdown table of every setting, rendered into docs/configuration.md."""
    rows = [
        "| setting | environment variable | default | meaning |",
        "| --- | --- | --- | --- |",
    ]
    for name, field in Settings.model_fields.items():
        default = "(none)" if field.default is None else f"`{field.default}`"
        description = (field.description or "").replace("|", "\\|")
        rows.append(f"| `{name}` | `{ENV_PREFIX}{name.upper()}` | {default} | {description} |")
    return "\n".join(rows) + "\n"
