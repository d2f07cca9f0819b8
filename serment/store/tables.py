"""Table definitions. Each later capability adds its tables here or in a module beside this one,
always with an Alembic migration; a test checks that migrations and tables agree."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    Boolean,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from serment.store.types import UTCDateTime

# Named constraints, so that migrations can alter them on SQLite and PostgreSQL alike.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """The declarative base of every Serment table."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class InstallationRow(Base):
    """The one row that says which Serment installation this database belongs to, and since when."""

    __tablename__ = "installation"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    created_by_version: Mapped[str] = mapped_column(String(64))


class PersonRow(Base):
    """A person in the identity vault: pseudonyms to find them, sealed identity fields to read them.

    Every identity column holds AES-256-GCM ciphertext under the person's data key, which is
    itself wrapped by the epoch key of (identity, `epoch_month`). The ref is random: it reveals
    nothing and is not the pseudonym.
    """

    __tablename__ = "people"

    ref: Mapped[str] = mapped_column(String(26), primary_key=True)
    nir_pseudonym: Mapped[str | None] = mapped_column(String(64), unique=True)
    demographic_pseudonym: Mapped[str | None] = mapped_column(String(64), index=True)
    strength: Mapped[str] = mapped_column(String(12))
    key_version: Mapped[int] = mapped_column(Integer)
    data_key_wrapped: Mapped[bytes | None] = mapped_column(LargeBinary)
    epoch_month: Mapped[str] = mapped_column(String(7), index=True)
    nir: Mapped[bytes | None] = mapped_column(LargeBinary)
    family_name: Mapped[bytes | None] = mapped_column(LargeBinary)
    given_names: Mapped[bytes | None] = mapped_column(LargeBinary)
    birth_date: Mapped[bytes | None] = mapped_column(LargeBinary)
    sex: Mapped[bytes | None] = mapped_column(LargeBinary)
    address: Mapped[bytes | None] = mapped_column(LargeBinary)
    phone: Mapped[bytes | None] = mapped_column(LargeBinary)
    email: Mapped[bytes | None] = mapped_column(LargeBinary)
    external_ref: Mapped[bytes | None] = mapped_column(LargeBinary)
    last_event_at: Mapped[datetime] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    erased_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    expired_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # The person this record was merged into: lookups by its pseudonyms find that person instead.
    # No foreign key: adding one would make SQLite rebuild the table every other table points at.
    merged_into: Mapped[str | None] = mapped_column(String(26), index=True)


class OppositionRow(Base):
    """A person's objection to a purpose, from `registered_at` until withdrawn."""

    __tablename__ = "oppositions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    person_ref: Mapped[str] = mapped_column(ForeignKey("people.ref"), index=True)
    purpose: Mapped[str] = mapped_column(String(32))
    channel: Mapped[str] = mapped_column(String(16))
    registered_at: Mapped[datetime] = mapped_column(UTCDateTime())
    registered_by: Mapped[str] = mapped_column(String(64))
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    withdrawn_by: Mapped[str | None] = mapped_column(String(64))


class UserRow(Base):
    """An account: a role and an organisation, an argon2id password hash, lockout state.

    A patient account is linked to its person. Account names are chosen by the operator and must
    not be a patient's identity.
    """

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    role: Mapped[str] = mapped_column(String(32))
    organisation: Mapped[str | None] = mapped_column(String(128))
    password_hash: Mapped[str | None] = mapped_column(String(255))
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    person_ref: Mapped[str | None] = mapped_column(ForeignKey("people.ref"), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    disabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class ApiTokenRow(Base):
    """An API token: its public id, the SHA-256 of its secret part (never the secret), its life."""

    __tablename__ = "api_tokens"

    id: Mapped[str] = mapped_column(String(16), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    secret_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class WebSessionRow(Base):
    """A signed-in browser: the SHA-256 of its cookie's secret (never the secret), its CSRF token, and
    its life. Signing out ends it on the server, so a copied cookie is worth nothing afterwards."""

    __tablename__ = "web_sessions"

    id: Mapped[str] = mapped_column(String(24), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    secret_hash: Mapped[str] = mapped_column(String(64))
    csrf: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class AuditEventRow(Base):
    """One event of the hash-chained audit log. `seq` is assigned as head + 1, never by the
    database, so two writers that both read the same head collide on the key instead of forking."""

    __tablename__ = "audit_events"
    # The platform's own operations (key rotations, purges, backups), newest first, for the
    # administrator's pages: a partial index, so that the accesses to people cost it nothing.
    # The data-protection officer searches by action and by purpose, newest first (migration 0012).
    __table_args__ = (
        Index(
            "ix_audit_events_administration", "action", "seq",
            sqlite_where=text("purpose = 'administration'"),
            postgresql_where=text("purpose = 'administration'"),
        ),
        Index("ix_audit_events_action_seq", "action", "seq"),
        Index("ix_audit_events_purpose_seq", "purpose", "seq"),
    )  # fmt: skip

    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    actor: Mapped[str] = mapped_column(String(64), index=True)
    role: Mapped[str | None] = mapped_column(String(32))
    organisation: Mapped[str | None] = mapped_column(String(128))
    purpose: Mapped[str | None] = mapped_column(String(32))
    action: Mapped[str] = mapped_column(String(64))
    subject: Mapped[str | None] = mapped_column(String(26), index=True)
    outcome: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str | None] = mapped_column(String(255))
    request_id: Mapped[str | None] = mapped_column(String(64))
    detail: Mapped[str | None] = mapped_column(Text)
    prev_hash: Mapped[str] = mapped_column(String(64), unique=True)
    hash: Mapped[str] = mapped_column(String(64), unique=True)


class AuditAnchorRow(Base):
    """Where the retained audit chain starts once older events have been purged: the hash the first
    retained event must name as its predecessor. At most one row (id 1)."""

    __tablename__ = "audit_anchor"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    first_seq: Mapped[int] = mapped_column(Integer)
    prev_hash: Mapped[str] = mapped_column(String(64))
    purged_events: Mapped[int] = mapped_column(Integer)
    purged_at: Mapped[datetime] = mapped_column(UTCDateTime())


class ResultRow(Base):
    """A test result for a person, as a laboratory or clinician reported it."""

    __tablename__ = "results"

    id: Mapped[str] = mapped_column(String(26), primary_key=True)
    person_ref: Mapped[str] = mapped_column(ForeignKey("people.ref"), index=True)
    sample_date: Mapped[date] = mapped_column(Date, index=True)
    result_date: Mapped[date | None] = mapped_column(Date)
    test_type: Mapped[str] = mapped_column(String(16))
    loinc: Mapped[str | None] = mapped_column(String(16))
    value: Mapped[str] = mapped_column(String(16))
    lab: Mapped[str | None] = mapped_column(String(128))
    reported_by: Mapped[str] = mapped_column(String(64))
    reported_at: Mapped[datetime] = mapped_column(UTCDateTime())


class CaseRow(Base):
    """A case: a person with a suspected, probable or confirmed infection, and its course."""

    __tablename__ = "cases"
    __table_args__ = (
        # Whether people are confirmed cases, read by tracing for every report.
        Index("ix_cases_person_status", "person_ref", "status"),
        # A clinician's own reports, newest first, a page at a time.
        Index("ix_cases_reported_by_at", "reported_by", "reported_at", "ref"),
        # The epidemic curve and the case list of one area, read by epidemiologists.
        Index("ix_cases_department_onset", "department", "onset_date"),
        Index("ix_cases_department_reported", "department", "reported_at"),
    )

    ref: Mapped[str] = mapped_column(String(26), primary_key=True)
    person_ref: Mapped[str] = mapped_column(ForeignKey("people.ref"))
    status: Mapped[str] = mapped_column(String(12), index=True)
    onset_date: Mapped[date | None] = mapped_column(Date, index=True)
    asymptomatic: Mapped[bool] = mapped_column(Boolean)
    hospitalised: Mapped[bool] = mapped_column(Boolean)
    outcome: Mapped[str | None] = mapped_column(String(16))
    reported_by: Mapped[str] = mapped_column(String(64))
    reported_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Free text, sealed under the person's data key and bound to ("cases", "notes", ref).
    notes: Mapped[bytes | None] = mapped_column(LargeBinary)
    # The French département the person lived in when the case was reported (2A, 75, 974), from their
    # postal code; None when unknown. Surveillance data kept with the case: never anything finer.
    department: Mapped[str | None] = mapped_column(String(3))


class ExposureRow(Base):
    """An exposure between two people over a range of dates, in a setting; read in both directions."""

    __tablename__ = "exposures"
    # A person's exposures within the lookback, from either end, read from the index alone: tracing
    # reads them for every report.
    __table_args__ = (
        Index("ix_exposures_person_window", "person_ref", "date_to", "date_from", "contact_ref", "id"),
        Index("ix_exposures_contact_window", "contact_ref", "date_to", "date_from", "person_ref", "id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    person_ref: Mapped[str] = mapped_column(ForeignKey("people.ref"))
    contact_ref: Mapped[str] = mapped_column(ForeignKey("people.ref"))
    date_from: Mapped[date] = mapped_column(Date)
    # Indexed: tracing reads only the exposures within its lookback.
    date_to: Mapped[date] = mapped_column(Date, index=True)
    setting: Mapped[str] = mapped_column(String(16))
    proximity: Mapped[str | None] = mapped_column(String(16))
    duration_minutes: Mapped[int | None] = mapped_column(Integer)
    place_id: Mapped[str | None] = mapped_column(String(64), index=True)
    reported_by: Mapped[str] = mapped_column(String(64))
    reported_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # Free text, sealed under the contact's data key and bound to ("exposures", "notes", id).
    notes: Mapped[bytes | None] = mapped_column(LargeBinary)


class IdempotencyRow(Base):
    """The first answer to a request sent with an Idempotency-Key, replayed to its retries."""

    __tablename__ = "idempotency_keys"

    actor: Mapped[str] = mapped_column(String(64), primary_key=True)
    key_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    request_hash: Mapped[str] = mapped_column(String(64))
    response: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class ImportRow(Base):
    """A laboratory file imported once: its SHA-256, who imported it, when, and how its rows fared."""

    __tablename__ = "imports"
    # A laboratory's imports (or, without an organisation, an account's), newest first.
    __table_args__ = (
        Index("ix_imports_organisation_at", "organisation", "imported_at"),
        Index("ix_imports_actor_at", "actor", "imported_at"),
    )

    id: Mapped[str] = mapped_column(String(26), primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64), unique=True)
    actor: Mapped[str] = mapped_column(String(64))
    organisation: Mapped[str | None] = mapped_column(String(128))
    imported_at: Mapped[datetime] = mapped_column(UTCDateTime())
    rows: Mapped[int] = mapped_column(Integer)
    stored: Mapped[int] = mapped_column(Integer)
    refused: Mapped[int] = mapped_column(Integer)
    duplicates: Mapped[int] = mapped_column(Integer)


class ImportedSampleRow(Base):
    """A sample a file brought in, under a keyed hash of (person, lab, the lab's sample id), so that
    the same sample is never stored twice."""

    __tablename__ = "imported_samples"

    sample_key: Mapped[str] = mapped_column(String(64), primary_key=True)
    import_id: Mapped[str] = mapped_column(ForeignKey("imports.id"), index=True)
    # No foreign key: purging a result must not depend on the import that brought it.
    result_id: Mapped[str] = mapped_column(String(26))


class PersonKeyRow(Base):
    """A blocking key or name count of a person: a pseudonym in the `linkage` domain of a text such
    as "born:<date>|<sex>". Equal keys gather the candidates of duplicate detection; counting a
    name's key gives how common the name is. Deleted with the person's identity."""

    __tablename__ = "person_keys"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    person_ref: Mapped[str] = mapped_column(ForeignKey("people.ref"), primary_key=True, index=True)


class DuplicatePairRow(Base):
    """Two people who may be one, scored between the review and link thresholds, and what a person
    decided: open, merged, distinct, or undone (a merge taken back). `levels` holds each field's
    agreement level as JSON, never a value."""

    __tablename__ = "duplicate_pairs"
    __table_args__ = (UniqueConstraint("first_ref", "second_ref"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    first_ref: Mapped[str] = mapped_column(ForeignKey("people.ref"), index=True)
    second_ref: Mapped[str] = mapped_column(ForeignKey("people.ref"), index=True)
    score: Mapped[float] = mapped_column(Float)
    levels: Mapped[str] = mapped_column(String(255))
    status: Mapped[str] = mapped_column(String(16), index=True)
    found_at: Mapped[datetime] = mapped_column(UTCDateTime())
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    decided_by: Mapped[str | None] = mapped_column(String(64))


class MergeRow(Base):
    """A merge of one person into another, and the ids of exactly the rows it moved (JSON by
    table), so that undoing it moves those back and nothing reported since."""

    __tablename__ = "merges"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    pair_id: Mapped[int] = mapped_column(ForeignKey("duplicate_pairs.id"), index=True)
    kept_ref: Mapped[str] = mapped_column(ForeignKey("people.ref"), index=True)
    merged_ref: Mapped[str] = mapped_column(ForeignKey("people.ref"), index=True)
    moved: Mapped[str] = mapped_column(Text)
    merged_at: Mapped[datetime] = mapped_column(UTCDateTime())
    merged_by: Mapped[str] = mapped_column(String(64))
    undone_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    undone_by: Mapped[str | None] = mapped_column(String(64))


class TracingStateRow(Base):
    """Which date the stored tiers hold for, and when they were last recomputed in full. At most one
    row (id 1); tiers stored for an earlier date are recomputed before they are used."""

    __tablename__ = "tracing_state"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    at: Mapped[date] = mapped_column(Date)
    computed_at: Mapped[datetime] = mapped_column(UTCDateTime())


class TierRow(Base):
    """A person's tier at the date of the tracing state, and the quarantine plan that follows from it:
    where, from when to when, the tests due (ISO dates, comma-separated) and whether a negative test
    has cleared them (they then pass no tier on). Only people with a tier have a row."""

    __tablename__ = "tiers"

    person_ref: Mapped[str] = mapped_column(ForeignKey("people.ref"), primary_key=True)
    tier: Mapped[int] = mapped_column(Integer, index=True)
    # The last exposure that gave the person their tier; None for a case.
    last_exposure: Mapped[date | None] = mapped_column(Date)
    place: Mapped[str] = mapped_column(String(16))
    quarantine_start: Mapped[date] = mapped_column(Date)
    quarantine_until: Mapped[date] = mapped_column(Date)
    tests_due: Mapped[str] = mapped_column(String(255))
    cleared: Mapped[bool] = mapped_column(Boolean)
    since: Mapped[date] = mapped_column(Date)


class TracingTeamRow(Base):
    """A team of tracers (the tracers whose account's organisation is the team's name) and the regions
    it covers: département or province codes, comma-separated, or "*" for any region."""

    __tablename__ = "tracing_teams"

    name: Mapped[str] = mapped_column(String(128), primary_key=True)
    regions: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class TracingTaskRow(Base):
    """A call to make to a contact: the first call after they enter a tier, or a daily follow-up until
    their quarantine ends. Shows the tracer the exposure's date and setting, never who the contact was
    exposed to. The call's outcome (symptoms, notes) is sealed under the contact's data key."""

    __tablename__ = "tracing_tasks"
    # A tracer's open tasks, most urgent first, read a page at a time from the index alone: the
    # tracer's queue answers in milliseconds however many tasks the outbreak has closed.
    __table_args__ = (
        Index(
            "ix_tracing_tasks_open_queue", "tracer", "priority", "due_at", "id",
            sqlite_where=text("closed_at IS NULL"), postgresql_where=text("closed_at IS NULL"),
        ),
    )  # fmt: skip

    id: Mapped[str] = mapped_column(String(26), primary_key=True)
    person_ref: Mapped[str] = mapped_column(ForeignKey("people.ref"), index=True)
    kind: Mapped[str] = mapped_column(String(12))
    tier: Mapped[int] = mapped_column(Integer)
    exposure_date: Mapped[date | None] = mapped_column(Date)
    setting: Mapped[str | None] = mapped_column(String(16))
    region: Mapped[str | None] = mapped_column(String(8))
    team: Mapped[str | None] = mapped_column(String(128), index=True)
    tracer: Mapped[str | None] = mapped_column(String(64), index=True)
    priority: Mapped[int] = mapped_column(Integer)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    # The day a follow-up covers; None for a first call.
    day: Mapped[date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16), index=True)
    attempts: Mapped[int] = mapped_column(Integer)
    consent: Mapped[bool | None] = mapped_column(Boolean)
    outcome: Mapped[bytes | None] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class ClusterAlertRow(Base):
    """Three or more confirmed cases within a week sharing a setting (a `place_id` given with their
    exposures), raised for epidemiologists to investigate: new, investigating, closed."""

    __tablename__ = "cluster_alerts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    place_id: Mapped[str] = mapped_column(String(64), index=True)
    setting: Mapped[str | None] = mapped_column(String(16))
    first_date: Mapped[date] = mapped_column(Date)
    last_date: Mapped[date] = mapped_column(Date)
    cases: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16), index=True)
    raised_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_by: Mapped[str | None] = mapped_column(String(64))
