"""Tracing: the stored tiers and their quarantine plans, tracer teams and tasks, cluster alerts, and an
index on exposure dates for the lookback.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from serment.store.types import UTCDateTime

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | None = None
depends_on: str | None = None
PERSON_WINDOW = ["person_ref", "date_to", "date_from", "contact_ref", "id"]
CONTACT_WINDOW = ["contact_ref", "date_to", "date_from", "person_ref", "id"]


def upgrade() -> None:
    op.create_table(
        "cluster_alerts",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("place_id", sa.String(length=64), nullable=False),
        sa.Column("setting", sa.String(length=16), nullable=True),
        sa.Column("first_date", sa.Date(), nullable=False),
        sa.Column("last_date", sa.Date(), nullable=False),
        sa.Column("cases", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("raised_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.Column("updated_by", sa.String(length=64), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cluster_alerts")),
    )
    with op.batch_alter_table("cluster_alerts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_cluster_alerts_place_id"), ["place_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_cluster_alerts_status"), ["status"], unique=False)

    op.create_table(
        "tracing_state",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("at", sa.Date(), nullable=False),
        sa.Column("computed_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tracing_state")),
    )
    op.create_table(
        "tracing_teams",
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.Column("regions", sa.String(length=255), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_tracing_teams")),
    )
    op.create_table(
        "tiers",
        sa.Column("person_ref", sa.String(length=26), nullable=False),
        sa.Column("tier", sa.Integer(), nullable=False),
        sa.Column("last_exposure", sa.Date(), nullable=True),
        sa.Column("place", sa.String(length=16), nullable=False),
        sa.Column("quarantine_start", sa.Date(), nullable=False),
        sa.Column("quarantine_until", sa.Date(), nullable=False),
        sa.Column("tests_due", sa.String(length=255), nullable=False),
        sa.Column("cleared", sa.Boolean(), nullable=False),
        sa.Column("since", sa.Date(), nullable=False),
        sa.ForeignKeyConstraint(["person_ref"], ["people.ref"], name=op.f("fk_tiers_person_ref_people")),
        sa.PrimaryKeyConstraint("person_ref", name=op.f("pk_tiers")),
    )
    with op.batch_alter_table("tiers", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_tiers_tier"), ["tier"], unique=False)

    op.create_table(
        "tracing_tasks",
        sa.Column("id", sa.String(length=26), nullable=False),
        sa.Column("person_ref", sa.String(length=26), nullable=False),
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("tier", sa.Integer(), nullable=False),
        sa.Column("exposure_date", sa.Date(), nullable=True),
        sa.Column("setting", sa.String(length=16), nullable=True),
        sa.Column("region", sa.String(length=8), nullable=True),
        sa.Column("team", sa.String(length=128), nullable=True),
        sa.Column("tracer", sa.String(length=64), nullable=True),
        sa.Column("priority", sa.Integer(), nullable=False),
        sa.Column("due_at", UTCDateTime(), nullable=False),
        sa.Column("day", sa.Date(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("consent", sa.Boolean(), nullable=True),
        sa.Column("outcome", sa.LargeBinary(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.Column("closed_at", UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["person_ref"], ["people.ref"], name=op.f("fk_tracing_tasks_person_ref_people")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tracing_tasks")),
    )
    with op.batch_alter_table("tracing_tasks", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_tracing_tasks_due_at"), ["due_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_tracing_tasks_person_ref"), ["person_ref"], unique=False)
        batch_op.create_index(batch_op.f("ix_tracing_tasks_status"), ["status"], unique=False)
        batch_op.create_index(batch_op.f("ix_tracing_tasks_team"), ["team"], unique=False)
        batch_op.create_index(batch_op.f("ix_tracing_tasks_tracer"), ["tracer"], unique=False)

    # A person's exposures within the lookback, read from the index alone, from either end: tiers
    # read them for every report. They replace the single-column indexes on the two refs.
    with op.batch_alter_table("exposures", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_exposures_date_to"), ["date_to"], unique=False)
        batch_op.create_index("ix_exposures_person_window", PERSON_WINDOW, unique=False)
        batch_op.create_index("ix_exposures_contact_window", CONTACT_WINDOW, unique=False)
        batch_op.drop_index("ix_exposures_person_ref")
        batch_op.drop_index("ix_exposures_contact_ref")
    # Whether people are confirmed cases, without reading every confirmed case.
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.create_index("ix_cases_person_status", ["person_ref", "status"], unique=False)
        batch_op.drop_index("ix_cases_person_ref")


def downgrade() -> None:
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.create_index("ix_cases_person_ref", ["person_ref"], unique=False)
        batch_op.drop_index("ix_cases_person_status")
    with op.batch_alter_table("exposures", schema=None) as batch_op:
        batch_op.create_index("ix_exposures_contact_ref", ["contact_ref"], unique=False)
        batch_op.create_index("ix_exposures_person_ref", ["person_ref"], unique=False)
        batch_op.drop_index("ix_exposures_contact_window")
        batch_op.drop_index("ix_exposures_person_window")
        batch_op.drop_index(batch_op.f("ix_exposures_date_to"))

    with op.batch_alter_table("tracing_tasks", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_tracing_tasks_tracer"))
        batch_op.drop_index(batch_op.f("ix_tracing_tasks_team"))
        batch_op.drop_index(batch_op.f("ix_tracing_tasks_status"))
        batch_op.drop_index(batch_op.f("ix_tracing_tasks_person_ref"))
        batch_op.drop_index(batch_op.f("ix_tracing_tasks_due_at"))

    op.drop_table("tracing_tasks")
    with op.batch_alter_table("tiers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_tiers_tier"))

    op.drop_table("tiers")
    op.drop_table("tracing_teams")
    op.drop_table("tracing_state")
    with op.batch_alter_table("cluster_alerts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_cluster_alerts_status"))
        batch_op.drop_index(batch_op.f("ix_cluster_alerts_place_id"))

    op.drop_table("cluster_alerts")
