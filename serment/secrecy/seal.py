"""Sealing: AES-256-GCM encryption of one value bound to its place (table, column, person, key version).

The binding goes into the associated data, so a sealed value copied to another row, person or column
does not open. A sealed value is: one format byte, a 12-byte random nonce, then ciphertext and tag.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

FORMAT_VERSION = 1
KEY_LENGTH = 32
NONCE_LENGTH = 12
TAG_LENGTH = 16

_WRAP_CONTEXT = b"serment/wrap/v1"
_HEADER = bytes([FORMAT_VERSION])
_DOES_NOT_OPEN = "the sealed value does not open with this key and binding"
_BAD_BINDING = "a binding needs a table, a column and a person, none empty, and a key version >= 0"
_AD_CONTEXT = "serment/seal/v1"
# Column names are few (a table's columns); kept encoded, bounded against a caller inventing them.
_COLUMN_CACHE_LIMIT = 1024
_COLUMN_PARTS: dict[str, bytes] = {}


class SealError(Exception):
    """A sealed value or wrapped key that does not open: wrong key, wrong binding or label, or damaged.

    `column` names the column that did not open when a whole row was unsealed (unseal_row), else None.
    """

    def __init__(self, message: str, *, column: str | None = None) -> None:
        super().__init__(message)
        self.column = column


@dataclass(frozen=True, slots=True)
class Binding:
    """Where a sealed value lives: its table, column, the person's pseudonym and the data key version."""

    table: str
    column: str
    person: str
    key_version: int

    def __post_init__(self) -> None:
        version = self.key_version
        if not (self.table and self.column and self.person) or type(version) is not int or version < 0:
            raise ValueError(_BAD_BINDING)

    def associated_data(self) -> bytes:
        """The AES-GCM associated data of this binding: a context prefix, then each field prefixed by its
        length in characters, so that no two different bindings share an encoding."""
        table, column, person = self.table, self.column, self.person
        return (
            f"{_AD_CONTEXT}|{len(table)}:{table}|{len(column)}:{column}|{len(person)}:{person}|{self.key_version}"
        ).encode()


def new_key() -> bytes:
    """A fresh random 256-bit key, for data keys, epoch keys and every key of the key store."""
    return AESGCM.generate_key(bit_length=256)


class Sealer:
    """Seals and unseals with one key, building its AES-GCM context once; for batches under the same key."""

    __slots__ = ("_aead",)

    def __init__(self, key: bytes) -> None:
        if len(key) != KEY_LENGTH:
            raise ValueError(f"a sealing key is 32 bytes (AES-256); got {len(key)}")
        self._aead = AESGCM(key)

    def __repr__(self) -> str:
        return "Sealer(<key>)"

    def seal(self, plaintext: bytes, binding: Binding) -> bytes:
        """`plaintext` encrypted and bound to `binding`."""
        # _encrypt inlined: this runs for every identifier of every report.
        nonce = os.urandom(NONCE_LENGTH)
        return _HEADER + nonce + self._aead.encrypt(nonce, plaintext, binding.associated_data())

    def unseal(self, sealed: bytes, binding: Binding) -> bytes:
        """The plaintext of `sealed`; raises SealError unless it opens with this key and `binding`."""
        return _decrypt(self._aead, sealed, binding.associated_data(), _DOES_NOT_OPEN)


def seal(key: bytes, plaintext: bytes, binding: Binding) -> bytes:
    """`plaintext` encrypted under `key` and bound to `binding`, for storing a direct identifier at rest."""
    return Sealer(key).seal(plaintext, binding)


def unseal(key: bytes, sealed: bytes, binding: Binding) -> bytes:
    """The plaintext of `sealed`, for the identity vault; raises SealError on a wrong key or binding, a
    value moved elsewhere, tampered or truncated, or an unknown format."""
    if len(key) != KEY_LENGTH:
        raise SealError(_DOES_NOT_OPEN)
    return Sealer(key).unseal(sealed, binding)


def seal_row(
    key: bytes, table: str, person: str, key_version: int, values: Mapping[str, bytes | None]
) -> dict[str, bytes | None]:
    """Every value of one person's row sealed under `key`, each exactly as seal() seals it with
    Binding(table, column, person, key_version); None stays None. For the identity vault, which seals a
    person's columns together: the place is checked once per row and AES-GCM is set up once.
    """
    if len(key) != KEY_LENGTH:
        raise ValueError(f"a sealing key is 32 bytes (AES-256); got {len(key)}")
    head, tail = _row_place(table, person, key_version)
    encrypt, parts = AESGCM(key).encrypt, _COLUMN_PARTS
    # One read of the system's random source for the whole row: each 12-byte slice is a fresh nonce.
    nonces, start = os.urandom(NONCE_LENGTH * len(values)), 0
    sealed: dict[str, bytes | None] = {}
    for column, plaintext in values.items():
        part = parts.get(column) or _column_part(column)
        if plaintext is None:
            sealed[column] = None
            continue
        nonce = nonces[start : start + NONCE_LENGTH]
        start += NONCE_LENGTH
        sealed[column] = _HEADER + nonce + encrypt(nonce, plaintext, head + part + tail)
    return sealed


def unseal_row(
    key: bytes, table: str, person: str, key_version: int, sealed: Mapping[str, bytes | None]
) -> dict[str, bytes | None]:
    """The plaintext of every sealed value of one person's row, each opened exactly as unseal() opens it
    with Binding(table, column, person, key_version); None stays None. For the identity vault.

    Raises SealError, its `column` the first column that does not open, naming nothing secret; then
    nothing of the row is returned.
    """
    head, tail = _row_place(table, person, key_version)
    aead, parts = (AESGCM(key) if len(key) == KEY_LENGTH else None), _COLUMN_PARTS
    opened: dict[str, bytes | None] = {}
    for column, value in sealed.items():
        part = parts.get(column) or _column_part(column)
        if value is None:
            opened[column] = None
            continue
        if aead is None:
            raise _does_not_open(column)
        try:
            opened[column] = _decrypt(aead, value, head + part + tail, _DOES_NOT_OPEN)
        except SealError:
            raise _does_not_open(column) from None
    return opened


def _row_place(table: str, person: str, key_version: int) -> tuple[bytes, bytes]:
    """The associated data of a row's bindings before and after the column, checked as Binding checks."""
    if not (table and person) or type(key_version) is not int or key_version < 0:
        raise ValueError(_BAD_BINDING)
    return (
        f"{_AD_CONTEXT}|{len(table)}:{table}|".encode(),
        f"|{len(person)}:{person}|{key_version}".encode(),
    )


def _column_part(column: str) -> bytes:
    """The column's part of the associated data, checked as Binding checks it and kept for the next row."""
    if not column:
        raise ValueError(_BAD_BINDING)
    part = f"{len(column)}:{column}".encode()
    if len(_COLUMN_PARTS) < _COLUMN_CACHE_LIMIT:
        _COLUMN_PARTS[column] = part
    return part


def _does_not_open(column: str) -> SealError:
    return SealError(f"the sealed {column} does not open with this key and binding", column=column)


def wrap_key(wrapping_key: bytes, key: bytes, label: str) -> bytes:
    """`key` encrypted under `wrapping_key` and bound to `label` (what the key is), for the key hierarchy."""
    if len(wrapping_key) != KEY_LENGTH:
        raise ValueError(f"a wrapping key is 32 bytes (AES-256); got {len(wrapping_key)}")
    return _encrypt(AESGCM(wrapping_key), key, _WRAP_CONTEXT + label.encode())


def unwrap_key(wrapping_key: bytes, wrapped: bytes, label: str) -> bytes:
    """The key inside `wrapped`; raises SealError unless it opens with `wrapping_key` and `label`."""
    message = "the wrapped key does not open with this wrapping key and label"
    if len(wrapping_key) != KEY_LENGTH:
        raise SealError(message)
    return _decrypt(AESGCM(wrapping_key), wrapped, _WRAP_CONTEXT + label.encode(), message)


def _encrypt(aead: AESGCM, plaintext: bytes, associated_data: bytes) -> bytes:
    # Random 96-bit nonces are safe up to 2**32 messages per key (NIST SP 800-38D); a data key seals a few.
    nonce = os.urandom(NONCE_LENGTH)
    return _HEADER + nonce + aead.encrypt(nonce, plaintext, associated_data)


def _decrypt(aead: AESGCM, sealed: bytes, associated_data: bytes, message: str) -> bytes:
    if len(sealed) < 1 + NONCE_LENGTH + TAG_LENGTH or sealed[0] != FORMAT_VERSION:
        raise SealError(message)
    try:
        return aead.decrypt(sealed[1 : 1 + NONCE_LENGTH], sealed[1 + NONCE_LENGTH :], associated_data)
    except InvalidTag:
        raise SealError(message) from None
