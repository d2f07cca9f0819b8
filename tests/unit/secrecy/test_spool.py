"""The upload spool: what is written reads back whole and by position, the file holds only ciphertext,
and chunks moved, dropped or cut off on disk do not open."""

import io
import os
import stat
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from serment.secrecy import Spool, SpoolError
from serment.secrecy.spool import CHUNK, RECORD

EXAMPLES = settings(max_examples=40, deadline=None)
# A line of a lab file, repeated: anything of it found on disk would be plaintext.
LINE = b"185057800608441;Durand;Jeanne;01/05/1985;F;2026-02-27;PCR;positif\n"


def _spool(directory: Path, content: bytes, pieces: int = 3) -> Spool:
    spool = Spool.create(directory)
    step = max(1, len(content) // pieces)
    for start in range(0, len(content), step):
        spool.write(content[start : start + step])
    spool.finish()
    return spool


def _read(spool: Spool) -> bytes:
    with spool.open() as stream:
        return stream.read()


@pytest.mark.parametrize("size", [0, 1, CHUNK - 1, CHUNK, CHUNK + 1, 3 * CHUNK + 5])
def test_what_is_written_reads_back_whole_and_the_file_size_is_the_record_arithmetic(
    tmp_path: Path, size: int
) -> None:
    content = os.urandom(size)
    with _spool(tmp_path, content) as spool:
        assert _read(spool) == content
        assert spool.size == size
        chunks = max(1, -(-size // CHUNK))
        assert spool.path.stat().st_size == size + chunks * (RECORD - CHUNK)


@EXAMPLES
@given(
    content=st.binary(max_size=3 * CHUNK + 10),
    pieces=st.integers(1, 50),
    seeks=st.lists(st.tuples(st.integers(0, 3 * CHUNK + 20), st.integers(0, CHUNK + 10)), max_size=8),
)
def test_any_content_in_any_pieces_reads_back_at_any_position(
    tmp_path_factory: pytest.TempPathFactory, content: bytes, pieces: int, seeks: list[tuple[int, int]]
) -> None:
    with _spool(tmp_path_factory.mktemp("spool"), content, pieces) as spool, spool.open() as stream:
        assert stream.read() == content
        for position, length in seeks:
            assert stream.seek(position) == position
            assert stream.read(length) == content[position : position + length]
            assert stream.tell() == min(position + length, max(position, len(content)))
        if content:
            assert stream.seek(-1, io.SEEK_END) == len(content) - 1
            assert stream.read() == content[-1:]
        with pytest.raises(ValueError, match="negative seek position"):
            stream.seek(-1 - len(content), io.SEEK_END)


def test_the_file_holds_no_plaintext_and_is_private(tmp_path: Path) -> None:
    uploads = tmp_path / "uploads"
    content = LINE * 5000
    with _spool(uploads, content) as spool:
        stored = spool.path.read_bytes()
        assert b"Durand" not in stored
        assert b"185057800608441" not in stored
        assert stat.S_IMODE(spool.path.stat().st_mode) == 0o600
        assert stat.S_IMODE(uploads.stat().st_mode) == 0o700
        assert spool.path.parent == uploads
        assert "<key>" in repr(spool)


def test_each_spool_has_its_own_key(tmp_path: Path) -> None:
    first, second = _spool(tmp_path, LINE * 10), _spool(tmp_path, LINE * 10)
    with first, second:
        stored = first.path.read_bytes()
        second.path.write_bytes(stored)
        with pytest.raises(SpoolError, match="does not open"):
            _read(second)
        assert _read(first) == LINE * 10


def _records(spool: Spool) -> list[bytes]:
    stored = spool.path.read_bytes()
    return [stored[start : start + RECORD] for start in range(0, len(stored), RECORD)]


@pytest.mark.parametrize(
    "damage",
    [
        pytest.param(lambda records: [records[1], records[0], *records[2:]], id="two-chunks-swapped"),
        pytest.param(lambda records: records[:-1], id="last-chunk-dropped"),
        pytest.param(lambda records: [records[0], *records[2:]], id="middle-chunk-dropped"),
        pytest.param(lambda records: [*records[:-1], records[-1][:-1]], id="last-byte-cut"),
        pytest.param(lambda records: [*records[:-1], records[-1] + b"\0" * RECORD], id="chunk-appended"),
        pytest.param(
            lambda records: [records[0][:20] + bytes([records[0][20] ^ 1]) + records[0][21:], *records[1:]],
            id="bit-flipped",
        ),
        pytest.param(lambda records: [], id="emptied"),
    ],
)
def test_chunks_moved_dropped_cut_or_altered_do_not_open(tmp_path: Path, damage: object) -> None:
    content = os.urandom(3 * CHUNK + 100)
    with _spool(tmp_path, content) as spool:
        assert callable(damage)
        spool.path.write_bytes(b"".join(damage(_records(spool))))
        with pytest.raises(SpoolError, match="altered or cut short"):
            _read(spool)


def test_a_spool_is_written_then_read_then_discarded_in_that_order(tmp_path: Path) -> None:
    spool = Spool.create(tmp_path)
    spool.write(LINE)
    with pytest.raises(SpoolError, match="once it is finished"):
        spool.open()
    spool.finish()
    with pytest.raises(SpoolError, match="nothing more can be written"):
        spool.write(LINE)
    with pytest.raises(SpoolError, match="cannot be finished again"):
        spool.finish()
    assert _read(spool) == _read(spool) == LINE
    spool.discard()
    assert not spool.path.exists()
    with pytest.raises(SpoolError, match="before it is discarded"):
        spool.open()
    spool.discard()


def _interrupted(directory: Path) -> None:
    with Spool.create(directory) as spool:
        spool.write(LINE * 3000)
        raise RuntimeError("the client went away")


def test_leaving_the_context_discards_even_an_unfinished_spool(tmp_path: Path) -> None:
    with pytest.raises(RuntimeError, match="went away"):
        _interrupted(tmp_path)
    assert list(tmp_path.iterdir()) == []
