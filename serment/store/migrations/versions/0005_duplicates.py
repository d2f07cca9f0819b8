"""Duplicates: blocking keys and name counts, the review queue, merges that can be undone.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from serment.store.types import UTCDateTime

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_table(
        "duplicate_pairs",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("first_ref", sa.String(length=26), nullable=False),
        sa.Column("second_ref", sa.String(length=26), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("levels", sa.String(length=255), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("found_at", UTCDateTime(), nullable=False),
        sa.Column("decided_at", UTCDateTime(), nullable=True),
        sa.Column("decided_by", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(
            ["first_ref"], ["people.ref"], name=op.f("fk_duplicate_pairs_first_ref_people")
        ),
        sa.ForeignKeyConstraint(
            ["second_ref"], ["people.ref"], name=op.f("fk_duplicate_pairs_second_ref_people")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_duplicate_pairs")),
        sa.UniqueConstraint("first_ref", "second_ref", name=op.f("uq_duplicate_pairs_first_ref")),
    )
    with op.batch_alter_table("duplicate_pairs", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_duplicate_pairs_first_ref"), ["first_ref"], unique=False)
        batch_op.create_index(batch_op.f("ix_duplicate_pairs_second_ref"), ["second_ref"], unique=False)
        batch_op.create_index(batch_op.f("ix_duplicate_pairs_status"), ["status"], unique=False)

    op.create_table(
        "person_keys",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("person_ref", sa.String(length=26), nullable=False),
        sa.ForeignKeyConstraint(
            ["person_ref"], ["people.ref"], name=op.f("fk_person_keys_person_ref_people")
        ),
        sa.PrimaryKeyConstraint("key", "person_ref", name=op.f("pk_person_keys")),
    )
    with op.batch_alter_table("person_keys", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_person_keys_person_ref"), ["person_ref"], unique=False)

    op.create_table(
        "merges",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("pair_id", sa.Integer(), nullable=False),
        sa.Column("kept_ref", sa.String(length=26), nullable=False),
        sa.Column("merged_ref", sa.String(length=26), nullable=False),
        sa.Column("moved", sa.Text(), nullable=False),
        sa.Column("merged_at", UTCDateTime(), nullable=False),
        sa.Column("merged_by", sa.String(length=64), nullable=False),
        sa.Column("undone_at", UTCDateTime(), nullable=True),
        sa.Column("undone_by", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(["kept_ref"], ["people.ref"], name=op.f("fk_merges_kept_ref_people")),
        sa.ForeignKeyConstraint(["merged_ref"], ["people.ref"], name=op.f("fk_merges_merged_ref_people")),
        sa.ForeignKeyConstraint(
            ["pair_id"], ["duplicate_pairs.id"], name=op.f("fk_merges_pair_id_duplicate_pairs")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_merges")),
    )
    with op.batch_alter_table("merges", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_merges_kept_ref"), ["kept_ref"], unique=False)
        batch_op.create_index(batch_op.f("ix_merges_merged_ref"), ["merged_ref"], unique=False)
        batch_op.create_index(batch_op.f("ix_merges_pair_id"), ["pair_id"], unique=False)

    with op.batch_alter_table("people", schema=None) as batch_op:
        batch_op.add_column(sa.Column("merged_into", sa.String(length=26), nullable=True))
        batch_op.create_index(batch_op.f("ix_people_merged_into"), ["merged_into"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("people", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_people_merged_into"))
        batch_op.drop_column("merged_into")

    with op.batch_alter_table("merges", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_merges_pair_id"))
        batch_op.drop_index(batch_op.f("ix_merges_merged_ref"))
        batch_op.drop_index(batch_op.f("ix_merges_kept_ref"))

    op.drop_table("merges")
    with op.batch_alter_table("person_keys", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_person_keys_person_ref"))

    op.drop_table("person_keys")
    with op.batch_alter_table("duplicate_pairs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_duplicate_pairs_status"))
        batch_op.drop_index(batch_op.f("ix_duplicate_pairs_second_ref"))
        batch_op.drop_index(batch_op.f("ix_duplicate_pairs_first_ref"))

    op.drop_table("duplicate_pairs")
