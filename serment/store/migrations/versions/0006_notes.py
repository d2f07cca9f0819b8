"""Free-text notes on cases and exposures, sealed under the data key of the person they concern.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.add_column(sa.Column("notes", sa.LargeBinary(), nullable=True))
    with op.batch_alter_table("exposures", schema=None) as batch_op:
        batch_op.add_column(sa.Column("notes", sa.LargeBinary(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("exposures", schema=None) as batch_op:
        batch_op.drop_column("notes")
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.drop_column("notes")
