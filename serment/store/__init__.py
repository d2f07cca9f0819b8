"""The operational store: SQLAlchemy 2 engine and transactions, table definitions, Alembic migrations.

SQLite in WAL mode inside the data directory by default; PostgreSQL through psycopg 3 in production.
"""

from serment.store.database import Database, StoreUnavailable
from serment.store.schema import SchemaState, head_revision, schema_state, upgrade_to_head

__all__ = [
    "Database",
    "SchemaState",
    "StoreUnavailable",
    "head_revision",
    "schema_state",
    "upgrade_to_head",
]
