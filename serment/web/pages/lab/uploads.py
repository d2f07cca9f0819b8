"""A lab file sent by a browser's form (multipart/form-data), streamed into an encrypted spool as it
arrives: not one byte of it reaches the disk in clear, as for the API's raw uploads. (Starlette's own
form parser would keep a file over 1 MiB in a temporary file in clear.)

The other fields of the form (the CSRF token, the choices) are kept in memory, for the CSRF check and
the page. Only a signed-in role allowed to import is streamed: anyone else is refused before a byte
of the file is read.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from http import HTTPStatus
from typing import TYPE_CHECKING

from fastapi import HTTPException, Request
from python_multipart.exceptions import FormParserError
from python_multipart.multipart import MultipartParser, parse_options_header
from starlette.datastructures import FormData, UploadFile

from serment.installation import UPLOADS_DIR
from serment.reporting import IMPORT_PURPOSE
from serment.secrecy import Spool
from serment.web.pages.viewer import ROLE_REFUSED, PageRefused, SignInRequired, installation_of, web_session

if TYPE_CHECKING:
    from python_multipart.multipart import MultipartCallbacks

MULTIPART = "multipart/form-data"
# Fields of the form other than the file: a few, and short.
MAX_FIELDS = 16
MAX_FIELD_BYTES = 4096
FILE_FIELD = "file"
IMPORT_ACTION = "report"


@dataclass
class Upload:
    """The file of the form, spooled: its name as the browser gave it and its size. The page that hands
    the spool on (to an import running after the answer) marks it `taken`; else it is discarded when
    the request ends."""

    spool: Spool
    filename: str
    size: int
    taken: bool = False


async def stream_upload(request: Request) -> AsyncIterator[None]:
    """Dependency of the upload page, before its grant and CSRF checks: stream a multipart POST's
    file into a spool (`request.state.upload`, None without a file) and its fields into
    `request.state.form`. Any other request passes untouched."""
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if request.method != "POST" or media != MULTIPART:
        yield
        return
    _check_uploader(request)
    spool = Spool.create(installation_of(request).data_dir / UPLOADS_DIR)
    upload: Upload | None = None
    try:
        parts = _Parts(spool)
        await parts.read(request)
        spool.finish()
        request.state.form = FormData(parts.fields)
        upload = Upload(spool, parts.filename, spool.size) if parts.filename is not None else None
        request.state.upload = upload
        yield
    finally:
        if upload is None or not upload.taken:
            spool.discard()


def _check_uploader(request: Request) -> None:
    """Refuse, as the page's own checks would, someone who may not import: before reading the file."""
    session = web_session(request)
    if session is None:
        raise SignInRequired
    if not installation_of(request).policy.allows(session.actor.role, IMPORT_PURPOSE, IMPORT_ACTION):
        raise PageRefused(ROLE_REFUSED)


class _Parts:
    """The parts of one multipart body: the fields kept, the file written to the spool."""

    def __init__(self, spool: Spool) -> None:
        self.spool = spool
        self.fields: list[tuple[str, str | UploadFile]] = []
        self.filename: str | None = None
        self._header_name = bytearray()
        self._header_value = bytearray()
        self._disposition = b""
        self._name = ""
        self._data = bytearray()
        self._is_file = False

    async def read(self, request: Request) -> None:
        """Feed the request's body to the parser as it streams in."""
        _, options = parse_options_header(request.headers.get("content-type", ""))
        boundary = options.get(b"boundary")
        if not boundary:
            raise _bad("the form was sent without its multipart boundary")
        callbacks: MultipartCallbacks = {
            "on_part_begin": self._begin,
            "on_part_data": self._part_data,
            "on_part_end": self._end,
            "on_header_field": self._header_field,
            "on_header_value": self._header_value_data,
            "on_header_end": self._header_end,
            "on_headers_finished": self._headers_finished,
        }
        parser = MultipartParser(boundary, callbacks)
        try:
            async for chunk in request.stream():
                parser.write(chunk)
            parser.finalize()
        except FormParserError:
            raise _bad("the form's body is not valid multipart/form-data") from None

    def _begin(self) -> None:
        self._disposition, self._name, self._is_file = b"", "", False
        self._data.clear()

    def _header_field(self, data: bytes, start: int, end: int) -> None:
        self._header_name += data[start:end]

    def _header_value_data(self, data: bytes, start: int, end: int) -> None:
        self._header_value += data[start:end]

    def _header_end(self) -> None:
        if bytes(self._header_name).lower() == b"content-disposition":
            self._disposition = bytes(self._header_value)
        self._header_name.clear()
        self._header_value.clear()

    def _headers_finished(self) -> None:
        _, options = parse_options_header(self._disposition)
        self._name = options.get(b"name", b"").decode("utf-8", "replace")
        if b"filename" in options:
            if self.filename is not None or self._name != FILE_FIELD:
                raise _bad(f"send one file, in the field {FILE_FIELD!r}")
            self._is_file = True
            self.filename = options[b"filename"].decode("utf-8", "replace")[:255]
        elif len(self.fields) >= MAX_FIELDS:
            raise _bad("the form has too many fields")

    def _part_data(self, data: bytes, start: int, end: int) -> None:
        if self._is_file:
            self.spool.write(data[start:end])
            return
        self._data += data[start:end]
        if len(self._data) > MAX_FIELD_BYTES:
            raise _bad(f"the field {self._name!r} is too long")

    def _end(self) -> None:
        if not self._is_file:
            self.fields.append((self._name, self._data.decode("utf-8", "replace")))


def _bad(detail: str) -> HTTPException:
    return HTTPException(HTTPStatus.BAD_REQUEST, detail=detail)
