"""Indexes for the tracer's and the administrator's pages: a tracer's open tasks by priority and due
time, and the platform's own operations (rotations, purges, backups) in the audit log. Both are
partial: closed tasks and accesses to people do not enter them.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | None = None
depends_on: str | None = None

OPEN = sa.text("closed_at IS NULL")
ADMINISTRATION = sa.text("purpose = 'administration'")


def upgrade() -> None:
    op.create_index(
        "ix_tracing_tasks_open_queue", "tracing_tasks", ["tracer", "priority", "due_at", "id"],
        sqlite_where=OPEN, postgresql_where=OPEN,
    )  # fmt: skip
    op.create_index(
        "ix_audit_events_administration", "audit_events", ["action", "seq"],
        sqlite_where=ADMINISTRATION, postgresql_where=ADMINISTRATION,
    )  # fmt: skip


def downgrade() -> None:
    op.drop_index("ix_audit_events_administration", table_name="audit_events")
    op.drop_index("ix_tracing_tasks_open_queue", table_name="tracing_tasks")
