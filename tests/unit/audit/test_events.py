"""Audit events without a database: the canonical form and hash, and what an entry accepts."""

from __future__ import annotations

import dataclasses
import hashlib
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from serment.audit import GENESIS, AuditEntry, event_hash
from serment.audit.events import HASHED_FIELDS, STORED_FIELDS, canonical_form, iso_utc

FIELDS: dict[str, object] = {
    "seq": 1,
    "at": datetime(2026, 3, 2, 8, 30, 0, 123456, tzinfo=UTC),
    "actor": "dr-martin",
    "role": "clinician",
    "organisation": "CHU de Lyon",
    "purpose": "care",
    "action": "read",
    "subject": "01JNQ7ZKX3V8W2T6Y4R9M5P0AB",
    "outcome": "allowed",
    "reason": None,
    "request_id": "req-7",
    "detail": '{"kek_version":3}',
    "prev_hash": GENESIS,
}

scalars = st.none() | st.booleans() | st.integers() | st.text()


def test_the_hash_of_a_fixed_event_never_changes() -> None:
    # A change here breaks the verification of every log already written: it needs a migration.
    assert event_hash(FIELDS) == "f06f43c1c95654ced3afa23265cc2934897eb4a0a2b621d4faa98c045223ea5b"


def test_the_canonical_form_is_sorted_compact_json_with_utc_times() -> None:
    assert canonical_form(FIELDS) == (
        b'{"action":"read","actor":"dr-martin","at":"2026-03-02T08:30:00.123456Z",'
        b'"detail":"{\\"kek_version\\":3}","organisation":"CHU de Lyon","outcome":"allowed",'
        b'"prev_hash":"' + b"0" * 64 + b'","purpose":"care","reason":null,"request_id":"req-7",'
        b'"role":"clinician","seq":1,"subject":"01JNQ7ZKX3V8W2T6Y4R9M5P0AB"}'
    )
    assert event_hash(FIELDS) == hashlib.sha256(canonical_form(FIELDS)).hexdigest()


def test_unicode_is_kept_as_utf8_not_escaped() -> None:
    fields = {"reason": "refusé : déjà ✓"}
    assert canonical_form(fields) == '{"reason":"refusé : déjà ✓"}'.encode()
    assert event_hash(fields) == hashlib.sha256('{"reason":"refusé : déjà ✓"}'.encode()).hexdigest()


def test_the_stored_hash_is_not_part_of_what_is_hashed() -> None:
    assert event_hash({**FIELDS, "hash": "f" * 64}) == event_hash(FIELDS)


@settings(database=None)
@given(st.permutations(list(FIELDS)))
def test_key_order_does_not_matter(order: list[str]) -> None:
    assert event_hash({key: FIELDS[key] for key in order}) == event_hash(FIELDS)


@settings(database=None)
@given(name=st.sampled_from([name for name in FIELDS if name != "at"]), value=scalars)
def test_changing_any_field_changes_the_hash(name: str, value: object) -> None:
    changed = {**FIELDS, name: value}
    assert (event_hash(changed) == event_hash(FIELDS)) == (
        value == FIELDS[name] and type(value) is type(FIELDS[name])
    )


def test_one_microsecond_changes_the_hash() -> None:
    at = FIELDS["at"]
    assert isinstance(at, datetime)
    assert event_hash({**FIELDS, "at": at + timedelta(microseconds=1)}) != event_hash(FIELDS)


def test_times_are_hashed_in_utc_whatever_their_zone() -> None:
    in_hanoi = datetime(2026, 3, 2, 15, 30, 0, 123456, tzinfo=timezone(timedelta(hours=7)))
    assert event_hash({**FIELDS, "at": in_hanoi}) == event_hash(FIELDS)
    assert event_hash({**FIELDS, "at": "2026-03-02T08:30:00.123456Z"}) == event_hash(FIELDS)


@pytest.mark.parametrize(
    ("at", "text"),
    [
        (datetime(2026, 3, 2, 8, 30, tzinfo=UTC), "2026-03-02T08:30:00.000000Z"),
        (datetime(2026, 3, 2, 8, 30, 0, 7, tzinfo=UTC), "2026-03-02T08:30:00.000007Z"),
        (datetime(2026, 3, 2, 9, 30, tzinfo=timezone(timedelta(hours=1))), "2026-03-02T08:30:00.000000Z"),
    ],
)
def test_times_are_written_in_iso_8601_utc_with_microseconds(at: datetime, text: str) -> None:
    assert iso_utc(at) == text


def test_a_naive_time_cannot_be_hashed() -> None:
    with pytest.raises(ValueError, match="naive"):
        event_hash({"at": datetime(2026, 3, 2, 8, 30)})  # noqa: DTZ001


def test_a_value_json_cannot_hold_is_refused() -> None:
    with pytest.raises(TypeError, match="bytes"):
        event_hash({"detail": b"raw"})


def test_the_hash_covers_every_stored_column_but_itself() -> None:
    entry_fields = {field.name for field in dataclasses.fields(AuditEntry)}
    assert set(HASHED_FIELDS) == set(STORED_FIELDS) - {"hash"}
    assert set(HASHED_FIELDS) == entry_fields | {"seq", "at", "prev_hash"}


def test_an_entry_stores_its_detail_as_canonical_json() -> None:
    entry = AuditEntry(
        "cli", "key_rotation", "ok", detail={"to": 4, "from": 3, "dry_run": False, "note": "é"}
    )
    assert entry.stored_detail() == '{"dry_run":false,"from":3,"note":"é","to":4}'
    assert AuditEntry("cli", "backup", "ok").stored_detail() is None


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"actor": ""}, "non-empty actor"),
        ({"action": ""}, "non-empty action"),
        ({"outcome": "maybe"}, "allowed, failed, ok, refused"),
        ({"reason": "x" * 256}, "reason holds 256 characters; at most 255"),
        ({"subject": "x" * 27}, "subject holds 27 characters; at most 26"),
        ({"actor": "a" * 65}, "actor holds 65 characters; at most 64"),
        ({"role": 3}, "role must be text, not int"),
        ({"detail": {"ratio": 0.5}}, "'ratio' must be text, a whole number, a boolean or None, not float"),
        ({"detail": {1: "one"}}, "keys are text, not int"),
    ],
)
def test_an_entry_the_log_cannot_hold_is_refused(changes: dict[str, object], message: str) -> None:
    fields: dict[str, object] = {"actor": "dr-martin", "action": "read", "outcome": "allowed", **changes}
    with pytest.raises(ValueError, match=message):
        AuditEntry(**fields)  # type: ignore[arg-type]


def test_an_entry_at_the_column_limits_is_accepted() -> None:
    entry = AuditEntry("a" * 64, "b" * 64, "refused", reason="r" * 255, subject="s" * 26)
    assert entry.reason is not None
    assert len(entry.reason) == 255
