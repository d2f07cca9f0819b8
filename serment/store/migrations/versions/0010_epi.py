"""The département of each case, so that epidemiologists can follow an area without any identity,
and the indexes that keep an area's epidemic curve and case list fast.

Cases reported before this revision have no département: their addresses are sealed, and a
migration holds no key to open them.

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.add_column(sa.Column("department", sa.String(length=3), nullable=True))
        batch_op.create_index("ix_cases_department_onset", ["department", "onset_date"], unique=False)
        batch_op.create_index("ix_cases_department_reported", ["department", "reported_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.drop_index("ix_cases_department_reported")
        batch_op.drop_index("ix_cases_department_onset")
        batch_op.drop_column("department")
