"""Laboratory file imports: each file once, each sample once.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from serment.store.types import UTCDateTime

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_table(
        "imports",
        sa.Column("id", sa.String(length=26), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("actor", sa.String(length=64), nullable=False),
        sa.Column("organisation", sa.String(length=128), nullable=True),
        sa.Column("imported_at", UTCDateTime(), nullable=False),
        sa.Column("rows", sa.Integer(), nullable=False),
        sa.Column("stored", sa.Integer(), nullable=False),
        sa.Column("refused", sa.Integer(), nullable=False),
        sa.Column("duplicates", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_imports")),
        sa.UniqueConstraint("sha256", name=op.f("uq_imports_sha256")),
    )
    op.create_table(
        "imported_samples",
        sa.Column("sample_key", sa.String(length=64), nullable=False),
        sa.Column("import_id", sa.String(length=26), nullable=False),
        sa.Column("result_id", sa.String(length=26), nullable=False),
        sa.ForeignKeyConstraint(
            ["import_id"], ["imports.id"], name=op.f("fk_imported_samples_import_id_imports")
        ),
        sa.PrimaryKeyConstraint("sample_key", name=op.f("pk_imported_samples")),
    )
    with op.batch_alter_table("imported_samples", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_imported_samples_import_id"), ["import_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("imported_samples", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_imported_samples_import_id"))

    op.drop_table("imported_samples")
    op.drop_table("imports")
