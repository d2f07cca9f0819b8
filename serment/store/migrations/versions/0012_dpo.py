"""The data-protection officer's audit search: indexes on the audit log's action and purpose, so that
searching for a rare action (an erasure, a verification) or purpose (audit, self) reads only the
events that have it, newest first, instead of walking the whole log.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-01
"""

from __future__ import annotations

from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    # Plain CREATE INDEX on both databases: a batch operation could copy the whole log on SQLite.
    op.create_index("ix_audit_events_action_seq", "audit_events", ["action", "seq"], unique=False)
    op.create_index("ix_audit_events_purpose_seq", "audit_events", ["purpose", "seq"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_audit_events_purpose_seq", table_name="audit_events")
    op.drop_index("ix_audit_events_action_seq", table_name="audit_events")
