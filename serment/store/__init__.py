"""The operational store: SQLAlchemy 2 engine and transactions, table definitions, Alembic migrations.

SQLite in WAL mode inside the data directory by default; PostgreSQL through psycopg 3 in production.
"""

from serment.store.database import IN_LIST_SIZE, Database, StoreUnavailable, in_lists
from serment.store.schema import SchemaState, head_revision, schema_state, upgrade_to_head

__all__ = [
    "IN_LIST_SIZE",
    "Database",
    "SchemaState",
    "StoreUnavailable",
    "head_revision",
    "in_lists",
    "schema_state",
    "upgrade_to_head",
]
