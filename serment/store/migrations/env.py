"""Alembic's entry point: runs the migrations on the connection Serment hands it.

Serment calls Alembic from code (`serment init`, `serment serve`) with a live connection. A
developer writing a migration runs `alembic -x url=sqlite:///scratch.db revision --autogenerate`.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from serment.store.database import Database
from serment.store.tables import Base


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def _run_from_command_line() -> None:
    url = context.get_x_argument(as_dictionary=True).get("url")
    if url is None:
        raise SystemExit("give the database with: alembic -x url=sqlite:///PATH ...")
    database = Database(url)
    try:
        with database.engine.begin() as connection:
            _run(connection)
    finally:
        database.dispose()


given = context.config.attributes.get("connection")
if given is not None:
    _run(given)
else:
    _run_from_command_line()
