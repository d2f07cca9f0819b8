"""The upload spool: a temporary file encrypted under a key that exists only in this process's memory,
for a file that must wait on disk while it is read (a lab file sent over HTTP, read twice to import it).

A crash leaves ciphertext whose key died with the process. The file is a run of records, one per chunk
of CHUNK plaintext bytes: a random 96-bit nonce, then the chunk encrypted with AES-256-GCM, its index and
whether it is the last bound as associated data, so that chunks cannot be reordered, dropped or cut off
without the read failing. Every chunk but the last is full, so a reader finds any byte by arithmetic and
can seek (openpyxl needs to) while holding one chunk in memory.
"""

from __future__ import annotations

import io
import os
import tempfile
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, BinaryIO

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from serment.secrecy.seal import NONCE_LENGTH, TAG_LENGTH, new_key

if TYPE_CHECKING:
    from _typeshed import WriteableBuffer

CHUNK = 64 * 1024
RECORD = NONCE_LENGTH + CHUNK + TAG_LENGTH
SUFFIX = ".upload"
_CONTEXT = "serment/spool/v1"
_DAMAGED = "the spooled upload does not open: it was altered or cut short on disk"


class SpoolError(Exception):
    """A spool used out of turn (read before it is finished, written after) or that does not open."""


class Spool:
    """One upload's encrypted spool file: written once as the upload arrives, then read as often as
    needed, then discarded. Its key is never written anywhere.

    Use as a context manager: leaving it discards the file and forgets the key.
    """

    def __init__(self, path: Path, file: BinaryIO) -> None:
        self.path = path
        self._file: BinaryIO | None = file
        self._aead: AESGCM | None = AESGCM(new_key())
        self._pending = bytearray()
        self._index = 0
        self._size = 0
        self._finished = False

    def __repr__(self) -> str:
        return f"Spool({self.path.name}, <key>)"

    @classmethod
    def create(cls, directory: Path) -> Spool:
        """A new, empty spool in `directory` (created 0700 if missing), its file 0600."""
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        handle, name = tempfile.mkstemp(dir=directory, suffix=SUFFIX)
        return cls(Path(name), os.fdopen(handle, "wb"))

    def __enter__(self) -> Spool:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.discard()

    @property
    def size(self) -> int:
        """How many plaintext bytes were written."""
        return self._size

    def write(self, data: bytes) -> None:
        """Append `data`; full chunks are encrypted and written at once, the rest waits in memory."""
        file, aead = self._writable("nothing more can be written to it")
        self._pending += data
        self._size += len(data)
        # Strictly more than a chunk: the last chunk, even a full one, is written by finish().
        while len(self._pending) > CHUNK:
            self._emit(file, aead, bytes(self._pending[:CHUNK]), last=False)
            del self._pending[:CHUNK]

    def finish(self) -> None:
        """Write the last chunk (possibly empty) and close the file for writing; then it may be read."""
        file, aead = self._writable("it cannot be finished again")
        self._emit(file, aead, bytes(self._pending), last=True)
        self._pending.clear()
        file.close()
        self._finished = True

    def open(self) -> BinaryIO:
        """A new read-only, seekable stream of the plaintext, decrypting one chunk at a time."""
        if self._aead is None or not self._finished:
            raise SpoolError("the spool can be read once it is finished, and before it is discarded")
        return io.BufferedReader(_Reader(self.path.open("rb"), self._aead), buffer_size=CHUNK)

    def discard(self) -> None:
        """Forget the key and delete the file; safe to call more than once."""
        self._aead = None
        self._pending.clear()
        if self._file is not None:
            self._file.close()
            self._file = None
        self.path.unlink(missing_ok=True)

    def _writable(self, consequence: str) -> tuple[BinaryIO, AESGCM]:
        if self._file is None or self._aead is None or self._finished:
            raise SpoolError(f"the spool is finished or discarded: {consequence}")
        return self._file, self._aead

    def _emit(self, file: BinaryIO, aead: AESGCM, chunk: bytes, *, last: bool) -> None:
        nonce = os.urandom(NONCE_LENGTH)
        file.write(nonce + aead.encrypt(nonce, chunk, _associated_data(self._index, last)))
        self._index += 1


def _associated_data(index: int, last: bool) -> bytes:
    return f"{_CONTEXT}|{index}|{'last' if last else 'more'}".encode()


class _Reader(io.RawIOBase):
    """The plaintext of a finished spool file, by position; keeps the last chunk it opened."""

    def __init__(self, file: BinaryIO, aead: AESGCM) -> None:
        super().__init__()
        self._file = file
        self._aead = aead
        stored = os.fstat(file.fileno()).st_size
        self._chunks = max(1, -(-stored // RECORD))
        tail = stored - (self._chunks - 1) * RECORD
        if tail < NONCE_LENGTH + TAG_LENGTH:
            file.close()
            raise SpoolError(_DAMAGED)
        self._size = (self._chunks - 1) * CHUNK + tail - NONCE_LENGTH - TAG_LENGTH
        self._position = 0
        self._cached: tuple[int, bytes] = (-1, b"")

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._position

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._position, io.SEEK_END: self._size}[whence]
        if base + offset < 0:
            raise ValueError(f"negative seek position {base + offset}")
        self._position = base + offset
        return self._position

    def readinto(self, buffer: WriteableBuffer) -> int:
        if self._position >= self._size:
            return 0
        index, offset = divmod(self._position, CHUNK)
        plain = self._chunk(index)
        target = memoryview(buffer).cast("B")
        count = min(len(target), len(plain) - offset)
        target[:count] = plain[offset : offset + count]
        self._position += count
        return count

    def close(self) -> None:
        self._file.close()
        super().close()

    def _chunk(self, index: int) -> bytes:
        if self._cached[0] == index:
            return self._cached[1]
        self._file.seek(index * RECORD)
        record = self._file.read(RECORD)
        last = index == self._chunks - 1
        try:
            plain = self._aead.decrypt(
                record[:NONCE_LENGTH], record[NONCE_LENGTH:], _associated_data(index, last)
            )
        except InvalidTag:
            raise SpoolError(_DAMAGED) from None
        self._cached = (index, plain)
        return plain
