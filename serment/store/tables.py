"""Table definitions. Each later capability adds its tables here or in a module beside this one,
always with an Alembic migration; a test checks that migrations and tables agree."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import MetaData, String
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
