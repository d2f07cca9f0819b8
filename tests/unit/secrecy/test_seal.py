"""Sealing: values open only with their key and exactly their binding; properties checked by hypothesis."""

import dataclasses
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from serment.secrecy import (
    FORMAT_VERSION,
    Binding,
    Sealer,
    SealError,
    new_key,
    seal,
    seal_row,
    unseal,
    unseal_row,
    unwrap_key,
    wrap_key,
)

KEY = bytes(range(32))
OTHER_KEY = bytes(range(1, 33))
PLACE = Binding(table="people", column="family_name", person="a" * 64, key_version=1)

names = st.text(min_size=1, max_size=40)
bindings = st.builds(Binding, table=names, column=names, person=names, key_version=st.integers(0, 2**32 - 1))
EXAMPLES = settings(max_examples=60, deadline=None)


def test_a_sealed_value_is_version_nonce_then_ciphertext_and_tag() -> None:
    sealed = seal(KEY, b"Lefevre", PLACE)
    assert sealed[0] == FORMAT_VERSION == 1
    assert len(sealed) == 1 + 12 + len(b"Lefevre") + 16
    assert b"Lefevre" not in sealed


def test_sealing_twice_gives_different_values_that_both_open() -> None:
    first, second = seal(KEY, b"Lefevre", PLACE), seal(KEY, b"Lefevre", PLACE)
    assert first != second
    assert unseal(KEY, first, PLACE) == unseal(KEY, second, PLACE) == b"Lefevre"


def test_new_keys_are_32_random_bytes() -> None:
    assert len(new_key()) == 32
    assert new_key() != new_key()


def test_a_sealer_and_the_functions_agree() -> None:
    sealer = Sealer(KEY)
    assert unseal(KEY, sealer.seal(b"x", PLACE), PLACE) == b"x"
    assert sealer.unseal(seal(KEY, b"y", PLACE), PLACE) == b"y"
    assert "KEY" not in repr(sealer)


@pytest.mark.parametrize("key", [b"", bytes(16), bytes(31), bytes(33)])
def test_only_256_bit_keys_seal_and_wrap(key: bytes) -> None:
    with pytest.raises(ValueError, match=r"32 bytes"):
        seal(key, b"x", PLACE)
    with pytest.raises(SealError):
        unseal(key, seal(KEY, b"x", PLACE), PLACE)
    with pytest.raises(ValueError, match=r"32 bytes"):
        wrap_key(key, KEY, "label")
    with pytest.raises(SealError):
        unwrap_key(key, wrap_key(KEY, KEY, "label"), "label")


@pytest.mark.parametrize(
    "changes",
    [
        {"table": ""},
        {"column": ""},
        {"person": ""},
        {"key_version": -1},
        {"key_version": True},
        {"key_version": "1"},
    ],
)
def test_a_binding_names_a_real_place(changes: dict[str, object]) -> None:
    fields: dict[str, object] = {
        "table": "people",
        "column": "nir",
        "person": "p",
        "key_version": 0,
    } | changes
    with pytest.raises(ValueError, match=r"binding"):
        Binding(**fields)  # type: ignore[arg-type]


def test_associated_data_cannot_be_confused_across_field_boundaries() -> None:
    one = Binding(table="ab", column="c", person="p", key_version=1)
    two = Binding(table="a", column="bc", person="p", key_version=1)
    assert one.associated_data() != two.associated_data()
    assert one.associated_data() == b"serment/seal/v1|2:ab|1:c|1:p|1"


tricky = st.text(alphabet="ab1|:\0é", min_size=1, max_size=6)
tricky_bindings = st.builds(
    Binding, table=tricky, column=tricky, person=tricky, key_version=st.integers(0, 11)
)


@settings(max_examples=300, deadline=None)
@given(first=tricky_bindings, second=tricky_bindings)
def test_different_bindings_never_share_associated_data(first: Binding, second: Binding) -> None:
    assert (first.associated_data() == second.associated_data()) == (first == second)


@pytest.mark.parametrize(
    "sealed",
    [
        b"",
        bytes([FORMAT_VERSION]),
        seal(KEY, b"value", PLACE)[:-1],
        bytes([2]) + seal(KEY, b"value", PLACE)[1:],
        bytes([0]) + seal(KEY, b"value", PLACE)[1:],
    ],
)
def test_truncated_or_unknown_versions_do_not_open(sealed: bytes) -> None:
    with pytest.raises(SealError, match=r"^the sealed value does not open with this key and binding$"):
        unseal(KEY, sealed, PLACE)


@EXAMPLES
@given(plaintext=st.binary(max_size=300), binding=bindings)
def test_sealing_round_trips(plaintext: bytes, binding: Binding) -> None:
    assert unseal(KEY, seal(KEY, plaintext, binding), binding) == plaintext


@EXAMPLES
@given(
    plaintext=st.binary(max_size=100),
    binding=bindings,
    field=st.sampled_from(["table", "column", "person", "key_version"]),
    other=names,
    version=st.integers(0, 2**32 - 1),
)
def test_a_value_moved_to_another_place_does_not_open(
    plaintext: bytes, binding: Binding, field: str, other: str, version: int
) -> None:
    replacement: Any = version if field == "key_version" else other
    if getattr(binding, field) == replacement:
        replacement = version + 1 if field == "key_version" else other + "x"
    moved = dataclasses.replace(binding, **{field: replacement})
    with pytest.raises(SealError):
        unseal(KEY, seal(KEY, plaintext, binding), moved)


@EXAMPLES
@given(plaintext=st.binary(max_size=100), binding=bindings, data=st.data())
def test_changing_any_byte_of_a_sealed_value_makes_it_fail(
    plaintext: bytes, binding: Binding, data: st.DataObject
) -> None:
    sealed = bytearray(seal(KEY, plaintext, binding))
    position = data.draw(st.integers(0, len(sealed) - 1))
    sealed[position] ^= data.draw(st.integers(1, 255))
    with pytest.raises(SealError):
        unseal(KEY, bytes(sealed), binding)


@EXAMPLES
@given(plaintext=st.binary(max_size=100), binding=bindings)
def test_another_key_does_not_open(plaintext: bytes, binding: Binding) -> None:
    with pytest.raises(SealError):
        unseal(OTHER_KEY, seal(KEY, plaintext, binding), binding)


@EXAMPLES
@given(key=st.binary(min_size=32, max_size=32), label=st.text(max_size=40), other=st.text(max_size=40))
def test_wrapping_round_trips_and_needs_the_same_label(key: bytes, label: str, other: str) -> None:
    wrapped = wrap_key(KEY, key, label)
    assert unwrap_key(KEY, wrapped, label) == key
    assert key not in wrapped
    if other != label:
        with pytest.raises(
            SealError, match=r"^the wrapped key does not open with this wrapping key and label$"
        ):
            unwrap_key(KEY, wrapped, other)
    with pytest.raises(SealError):
        unwrap_key(OTHER_KEY, wrapped, label)


def test_a_wrapped_key_is_not_a_sealed_value_and_back() -> None:
    binding = Binding(table="t", column="c", person="p", key_version=1)
    with pytest.raises(SealError):
        unseal(KEY, wrap_key(KEY, OTHER_KEY, "t"), binding)
    with pytest.raises(SealError):
        unwrap_key(KEY, seal(KEY, OTHER_KEY, binding), "")


# Whole rows: seal_row and unseal_row seal and open exactly as seal and unseal do, column by column.

VAULT_ROW: dict[str, bytes | None] = {
    "nir": b"185057800608491",
    "family_name": "Lefèvre".encode(),
    "given_names": "Jean-Étienne".encode(),
    "birth_date": b"1985-05-12",
    "sex": b"M",
    "address": '{"line": "12 rue de la République", "postal_code": "75011", "city": "Paris"}'.encode(),
    "phone": None,
    "email": b"jean.lefevre@example.fr",
    "external_ref": b"LAB-2026-000012",
}
REF = "k3v7q2x9m4b8n1c5z6w0y2t4ra"
rows = st.dictionaries(names, st.none() | st.binary(max_size=100), max_size=12)


@EXAMPLES
@given(table=tricky, person=tricky, version=st.integers(0, 2**32 - 1), values=rows)
def test_a_row_sealed_at_once_opens_column_by_column(
    table: str, person: str, version: int, values: dict[str, bytes | None]
) -> None:
    sealed = seal_row(KEY, table, person, version, values)
    assert list(sealed) == list(values)
    for column, value in values.items():
        opened = sealed[column]
        if value is None:
            assert opened is None
        else:
            assert opened is not None
            assert unseal(KEY, opened, Binding(table, column, person, version)) == value
    assert unseal_row(KEY, table, person, version, sealed) == values


@EXAMPLES
@given(table=tricky, person=tricky, version=st.integers(0, 2**32 - 1), values=rows)
def test_values_sealed_one_by_one_open_as_a_row(
    table: str, person: str, version: int, values: dict[str, bytes | None]
) -> None:
    sealed = {
        column: None if value is None else seal(KEY, value, Binding(table, column, person, version))
        for column, value in values.items()
    }
    assert unseal_row(KEY, table, person, version, sealed) == values


@EXAMPLES
@given(
    place=st.tuples(tricky, tricky, st.integers(0, 11)),
    other=st.tuples(tricky, tricky, st.integers(0, 11)),
    column=tricky,
    value=st.binary(max_size=40),
)
def test_a_value_sealed_in_a_row_opens_nowhere_else(
    place: tuple[str, str, int], other: tuple[str, str, int], column: str, value: bytes
) -> None:
    sealed = seal_row(KEY, *place, {column: value})
    if other == place:
        assert unseal_row(KEY, *other, sealed) == {column: value}
    else:
        with pytest.raises(SealError) as raised:
            unseal_row(KEY, *other, sealed)
        assert raised.value.column == column


def test_a_sealed_row_has_the_format_of_sealed_values_and_a_fresh_nonce_for_each() -> None:
    sealed = seal_row(KEY, "people", REF, 1, VAULT_ROW)
    assert sealed["phone"] is None
    present = {column: value for column, value in sealed.items() if value is not None}
    for column, value in present.items():
        plaintext = VAULT_ROW[column]
        assert plaintext is not None
        assert value[0] == FORMAT_VERSION
        assert len(value) == 1 + 12 + len(plaintext) + 16
        if len(plaintext) >= 8:  # a shorter one turns up in random bytes by chance
            assert plaintext not in value
    nonces = [value[1:13] for value in present.values()]
    again = seal_row(KEY, "people", REF, 1, VAULT_ROW)
    nonces += [value[1:13] for value in again.values() if value is not None]
    assert len(set(nonces)) == len(nonces)


def test_an_empty_row_seals_and_opens_to_nothing() -> None:
    assert seal_row(KEY, "people", REF, 1, {}) == {}
    assert unseal_row(KEY, "people", REF, 1, {}) == {}


@pytest.mark.parametrize(("first", "second"), [("given_names", "family_name"), ("email", "external_ref")])
def test_unsealing_a_row_names_the_first_column_that_does_not_open(first: str, second: str) -> None:
    sealed = seal_row(KEY, "people", REF, 1, VAULT_ROW)
    sealed[first], sealed[second] = sealed[second], sealed[first]
    columns = list(VAULT_ROW)
    expected = min(first, second, key=columns.index)
    with pytest.raises(SealError) as raised:
        unseal_row(KEY, "people", REF, 1, sealed)
    assert raised.value.column == expected
    assert str(raised.value) == f"the sealed {expected} does not open with this key and binding"
    for value in VAULT_ROW.values():
        assert value is None or value.decode() not in str(raised.value)


@pytest.mark.parametrize("damage", ["truncate", "flip", "version", "empty"])
def test_a_damaged_value_in_a_row_is_named(damage: str) -> None:
    sealed = seal_row(KEY, "people", REF, 1, VAULT_ROW)
    value = bytearray(sealed["birth_date"] or b"")
    if damage == "truncate":
        value = value[:-1]
    elif damage == "flip":
        value[20] ^= 1
    elif damage == "version":
        value[0] = 2
    else:
        value = bytearray()
    sealed["birth_date"] = bytes(value)
    with pytest.raises(SealError) as raised:
        unseal_row(KEY, "people", REF, 1, sealed)
    assert raised.value.column == "birth_date"


def test_another_key_opens_no_column_of_a_row() -> None:
    sealed = seal_row(KEY, "people", REF, 1, VAULT_ROW)
    with pytest.raises(SealError) as raised:
        unseal_row(OTHER_KEY, "people", REF, 1, sealed)
    assert raised.value.column == "nir"


@pytest.mark.parametrize("key", [b"", bytes(16), bytes(31), bytes(33)])
def test_rows_seal_only_with_256_bit_keys(key: bytes) -> None:
    with pytest.raises(ValueError, match=r"32 bytes"):
        seal_row(key, "people", REF, 1, VAULT_ROW)
    sealed = seal_row(KEY, "people", REF, 1, {"phone": None, "nir": b"1"})
    with pytest.raises(SealError) as raised:
        unseal_row(key, "people", REF, 1, sealed)
    assert raised.value.column == "nir"


@pytest.mark.parametrize(
    ("table", "person", "version", "column"),
    [
        ("", REF, 1, "nir"),
        ("people", "", 1, "nir"),
        ("people", REF, -1, "nir"),
        ("people", REF, True, "nir"),
        ("people", REF, "1", "nir"),
        ("people", REF, 1, ""),
    ],
)
def test_a_row_names_a_real_place_as_a_binding_does(
    table: str, person: str, version: int, column: str
) -> None:
    with pytest.raises(ValueError, match=r"binding"):
        Binding(table, column, person, version)
    with pytest.raises(ValueError, match=r"binding"):
        seal_row(KEY, table, person, version, {column: b"x"})
    with pytest.raises(ValueError, match=r"binding"):
        unseal_row(KEY, table, person, version, {column: None})


def test_rows_of_many_columns_round_trip() -> None:
    values: dict[str, bytes | None] = {f"column_{index}": str(index).encode() for index in range(3000)}
    sealed = seal_row(KEY, "wide", REF, 0, values)
    assert unseal_row(KEY, "wide", REF, 0, sealed) == values
    column = "column_2999"
    assert unseal(KEY, sealed[column] or b"", Binding("wide", column, REF, 0)) == b"2999"


def test_a_single_value_that_does_not_open_names_no_column() -> None:
    with pytest.raises(SealError) as raised:
        unseal(OTHER_KEY, seal(KEY, b"x", PLACE), PLACE)
    assert raised.value.column is None
