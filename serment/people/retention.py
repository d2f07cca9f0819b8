"""Retention by key destruction: expired epoch keys are destroyed, expired rows emptied.

An epoch key of (category, month) holds data whose retention clock starts, at the latest, at the
end of that month; it is destroyed once the policy's period has run from there. For identities
the month is that of the person's last event, so an identity lives `identity` months after it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from serment.access import Platform, Request, guard
from serment.audit import append, purge_before, verify
from serment.people.linkage import forget
from serment.people.records import IDENTITY_CATEGORY, SEALED_FIELDS
from serment.store.tables import AuditEventRow, PersonRow


@dataclass(frozen=True)
class PurgeReport:
    """What a purge destroyed (or, in a dry run, would destroy)."""

    at: datetime
    dry_run: bool
    epochs: tuple[tuple[str, str], ...]
    expired_people: int
    audit_events: int
    audit_kept_because_broken: bool = False


def expired_epochs(platform: Platform, at: datetime) -> tuple[tuple[str, str], ...]:
    """The live epoch keys (category, month) whose retention has run out at `at`."""
    expired = []
    for epoch in platform.keys.epochs():
        if epoch.category not in platform.policy.retention:
            continue
        if platform.policy.expires_at(epoch.category, month_end(epoch.month)) <= at:
            expired.append((epoch.category, epoch.month))
    return tuple(sorted(expired))


def purge(platform: Platform, request: Request, at: datetime, *, dry_run: bool = False) -> PurgeReport:
    """Destroy the epoch keys expired at `at`, empty the identities they held (with their blocking
    keys) and purge the audit events older than the audit retention; with `dry_run`, only count."""
    epochs = expired_epochs(platform, at)
    identity_months = [month for category, month in epochs if category == IDENTITY_CATEGORY]
    audit_cutoff = months_before(at, platform.policy.retention_for("audit").months)

    def run(session: Session) -> PurgeReport:
        guard(platform, session, request, "manage_keys", None)
        people = session.scalars(
            select(PersonRow.ref).where(
                PersonRow.epoch_month.in_(identity_months), PersonRow.expired_at.is_(None)
            )
        ).all()
        if dry_run:
            return PurgeReport(at, True, epochs, len(people), _count_before(session, audit_cutoff))
        # Keys first: once gone, the rows below are unreadable even if this transaction fails.
        for category, month in epochs:
            platform.keys.destroy_epoch(category, month)
        emptied = dict.fromkeys(SEALED_FIELDS)
        session.execute(
            update(PersonRow)
            .where(PersonRow.ref.in_(people))
            .values(
                **emptied,
                data_key_wrapped=None,
                nir_pseudonym=None,
                demographic_pseudonym=None,
                expired_at=at,
            )
        )
        forget(session, people)
        # A broken chain is evidence: purging its prefix would erase it, so it waits for the DPO.
        chain_broken = not verify(session).intact
        purged_events = 0 if chain_broken else purge_before(session, audit_cutoff, platform.clock.now())
        entry = request.actor.entry(
            "purge", "ok", purpose=request.purpose, request_id=request.request_id,
            detail={
                "at": at.isoformat(), "epochs": len(epochs), "people": len(people),
                "audit_events": purged_events, "audit_chain_broken": chain_broken,
            },
        )  # fmt: skip
        append(session, entry, platform.clock.now())
        return PurgeReport(at, False, epochs, len(people), purged_events, chain_broken)

    return platform.run(run)


def month_end(month: str) -> datetime:
    """The first instant after the month "YYYY-MM", in UTC."""
    year, number = int(month[:4]), int(month[5:7])
    return datetime(year + number // 12, number % 12 + 1, 1, tzinfo=UTC)


def months_before(at: datetime, months: int) -> datetime:
    """`at` minus `months` calendar months, the day clamped to the month's end."""
    index = at.year * 12 + at.month - 1 - months
    year, month = divmod(index, 12)
    month += 1
    next_first = datetime(year + month // 12, month % 12 + 1, 1, tzinfo=UTC)
    last_day = (next_first - datetime(year, month, 1, tzinfo=UTC)).days
    return at.replace(year=year, month=month, day=min(at.day, last_day))


def _count_before(session: Session, cutoff: datetime) -> int:
    return (
        session.scalar(select(func.count()).select_from(AuditEventRow).where(AuditEventRow.at < cutoff)) or 0
    )
