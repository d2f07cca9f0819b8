"""Bringing a database to the schema this version of Serment expects, with Alembic."""

from __future__ import annotations

import enum
from functools import cache

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection

from serment.store.database import Database

MIGRATIONS = "serment.store:migrations"


class SchemaState(enum.Enum):
    """Where a database stands against the migrations this version ships."""

    EMPTY = "empty"
    BEHIND = "behind"
    CURRENT = "current"
    AHEAD = "ahead"


def alembic_config(connection: Connection | None = None) -> Config:
    """An Alembic configuration over Serment's packaged migrations, bound to `connection` if given."""
    config = Config()
    config.set_main_option("script_location", MIGRATIONS)
    if connection is not None:
        config.attributes["connection"] = connection
    return config


@cache
def head_revision() -> str:
    """The newest migration this version of Serment ships."""
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    if head is None:
        raise RuntimeError(f"no migration found in {MIGRATIONS}: the package is incomplete")
    return head


def current_revision(connection: Connection) -> str | None:
    """The migration the database was last brought to, or None for an empty database."""
    return MigrationContext.configure(connection).get_current_revision()


def schema_state(database: Database) -> SchemaState:
    """Whether the database is empty, behind, current or ahead of this version's migrations."""
    with database.engine.connect() as connection:
        revision = current_revision(connection)
    if revision is None:
        return SchemaState.EMPTY
    if revision == head_revision():
        return SchemaState.CURRENT
    known = {script.revision for script in ScriptDirectory.from_config(alembic_config()).walk_revisions()}
    return SchemaState.BEHIND if revision in known else SchemaState.AHEAD


def upgrade_to_head(database: Database) -> None:
    """Apply every migration the database lacks, in one transaction per run."""
    with database.engine.begin() as connection:
        command.upgrade(alembic_config(connection), "head")
