"""Reporting: test results, cases, exposures, and the answers kept for idempotent retries.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from serment.store.types import UTCDateTime

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_table(
        "idempotency_keys",
        sa.Column("actor", sa.String(length=64), nullable=False),
        sa.Column("key_hash", sa.String(length=64), nullable=False),
        sa.Column("request_hash", sa.String(length=64), nullable=False),
        sa.Column("response", sa.Text(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("actor", "key_hash", name=op.f("pk_idempotency_keys")),
    )
    op.create_table(
        "cases",
        sa.Column("ref", sa.String(length=26), nullable=False),
        sa.Column("person_ref", sa.String(length=26), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("onset_date", sa.Date(), nullable=True),
        sa.Column("asymptomatic", sa.Boolean(), nullable=False),
        sa.Column("hospitalised", sa.Boolean(), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=True),
        sa.Column("reported_by", sa.String(length=64), nullable=False),
        sa.Column("reported_at", UTCDateTime(), nullable=False),
        sa.Column("closed_at", UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(["person_ref"], ["people.ref"], name=op.f("fk_cases_person_ref_people")),
        sa.PrimaryKeyConstraint("ref", name=op.f("pk_cases")),
    )
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_cases_onset_date"), ["onset_date"], unique=False)
        batch_op.create_index(batch_op.f("ix_cases_person_ref"), ["person_ref"], unique=False)
        batch_op.create_index(batch_op.f("ix_cases_reported_at"), ["reported_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_cases_status"), ["status"], unique=False)

    op.create_table(
        "exposures",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("person_ref", sa.String(length=26), nullable=False),
        sa.Column("contact_ref", sa.String(length=26), nullable=False),
        sa.Column("date_from", sa.Date(), nullable=False),
        sa.Column("date_to", sa.Date(), nullable=False),
        sa.Column("setting", sa.String(length=16), nullable=False),
        sa.Column("proximity", sa.String(length=16), nullable=True),
        sa.Column("duration_minutes", sa.Integer(), nullable=True),
        sa.Column("place_id", sa.String(length=64), nullable=True),
        sa.Column("reported_by", sa.String(length=64), nullable=False),
        sa.Column("reported_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["contact_ref"], ["people.ref"], name=op.f("fk_exposures_contact_ref_people")
        ),
        sa.ForeignKeyConstraint(["person_ref"], ["people.ref"], name=op.f("fk_exposures_person_ref_people")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_exposures")),
    )
    with op.batch_alter_table("exposures", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_exposures_contact_ref"), ["contact_ref"], unique=False)
        batch_op.create_index(batch_op.f("ix_exposures_person_ref"), ["person_ref"], unique=False)
        batch_op.create_index(batch_op.f("ix_exposures_place_id"), ["place_id"], unique=False)

    op.create_table(
        "results",
        sa.Column("id", sa.String(length=26), nullable=False),
        sa.Column("person_ref", sa.String(length=26), nullable=False),
        sa.Column("sample_date", sa.Date(), nullable=False),
        sa.Column("result_date", sa.Date(), nullable=True),
        sa.Column("test_type", sa.String(length=16), nullable=False),
        sa.Column("loinc", sa.String(length=16), nullable=True),
        sa.Column("value", sa.String(length=16), nullable=False),
        sa.Column("lab", sa.String(length=128), nullable=True),
        sa.Column("reported_by", sa.String(length=64), nullable=False),
        sa.Column("reported_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["person_ref"], ["people.ref"], name=op.f("fk_results_person_ref_people")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_results")),
    )
    with op.batch_alter_table("results", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_results_person_ref"), ["person_ref"], unique=False)
        batch_op.create_index(batch_op.f("ix_results_sample_date"), ["sample_date"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("results", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_results_sample_date"))
        batch_op.drop_index(batch_op.f("ix_results_person_ref"))

    op.drop_table("results")
    with op.batch_alter_table("exposures", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_exposures_place_id"))
        batch_op.drop_index(batch_op.f("ix_exposures_person_ref"))
        batch_op.drop_index(batch_op.f("ix_exposures_contact_ref"))

    op.drop_table("exposures")
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_cases_status"))
        batch_op.drop_index(batch_op.f("ix_cases_reported_at"))
        batch_op.drop_index(batch_op.f("ix_cases_person_ref"))
        batch_op.drop_index(batch_op.f("ix_cases_onset_date"))

    op.drop_table("cases")
    op.drop_table("idempotency_keys")
