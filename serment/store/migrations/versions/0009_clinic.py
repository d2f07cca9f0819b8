"""A clinician's reports, newest first, and a laboratory's imports, newest first: each read from an
index of its own instead of every case or every import.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-29
"""

from __future__ import annotations

from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    # Plain CREATE INDEX: no batch mode, which would rebuild these tables on SQLite.
    op.create_index("ix_cases_reported_by_at", "cases", ["reported_by", "reported_at", "ref"])
    op.create_index("ix_imports_organisation_at", "imports", ["organisation", "imported_at"])
    op.create_index("ix_imports_actor_at", "imports", ["actor", "imported_at"])


def downgrade() -> None:
    op.drop_index("ix_imports_actor_at", table_name="imports")
    op.drop_index("ix_imports_organisation_at", table_name="imports")
    op.drop_index("ix_cases_reported_by_at", table_name="cases")
