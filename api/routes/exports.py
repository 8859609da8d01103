"""Downloads for tax reviewers and auditors: the archive export (ZIP) and the FEC.

Each file is built in a worker thread into an anonymous temporary file in the data
directory (never whole in memory), then streamed; a file found altered on the way is a
problem answer, since nothing is sent before the file is complete. The bytes are those
the CLI writes: ``bareme archive export`` (as ZIP members) and ``bareme export fec``.
"""

from __future__ import annotations

import re
import tempfile
from collections.abc import AsyncIterator, Callable
from typing import IO, Annotated

import anyio.to_thread
from litestar import get
from litestar.datastructures import State
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import QueryParameter
from litestar.response import Stream

from api.archive_errors import archive_errors
from api.dates import date_range
from api.errors import ApiProblem
from api.routes.common import problems, secured, services
from api.wire import DiagnosticOut
from archive import Archive, export_zip
from archive.fec import fec_file_name, write_fec

__all__ = ["ROUTES"]

_REVIEWERS = secured("tax_reviewer", "auditor")
_ZIP = "application/zip"
_TEXT = "text/plain"
"""Litestar adds ``; charset=utf-8`` to a text type."""
_CHUNK = 1 << 16
_SIREN = re.compile(r"[0-9]{9}")

From = Annotated[str | None, QueryParameter(
    name="from", required=False,
    description="First issue date, YYYY-MM-DD.")]
To = Annotated[str | None, QueryParameter(
    name="to", required=False, description="Last issue date, YYYY-MM-DD, included.")]
Year = Annotated[str | None, QueryParameter(
    name="year", required=False,
    description="Instead of 'from' and 'to': the calendar year YYYY.")]
Siren = Annotated[str | None, QueryParameter(
    name="siren", required=False,
    description="SIREN in the file name (9 digits); default: the seller's, as archived.")]


class _Built:
    """A finished temporary file: its handle (at offset 0), size and download name."""

    def __init__(self, handle: IO[bytes], name: str) -> None:
        self.size = handle.tell()
        handle.seek(0)
        self.handle = handle
        self.name = name


def _build(state: State, write: Callable[[Archive, IO[bytes]], str]) -> _Built:
    """Run ``write`` (which answers the file name) into a temporary file (blocking)."""
    archive = services(state).archive.get()
    handle = tempfile.TemporaryFile(dir=archive.data_dir)  # noqa: SIM115 - closed by _chunks
    try:
        with archive_errors():
            name = write(archive, handle)
        return _Built(handle, name)
    except BaseException:
        handle.close()
        raise


async def _download(state: State, write: Callable[[Archive, IO[bytes]], str],
                    media_type: str) -> Stream:
    built = await anyio.to_thread.run_sync(_build, state, write)
    return Stream(_chunks(built.handle), media_type=media_type, headers={
        "Content-Disposition": f'attachment; filename="{built.name}"',
        "Content-Length": str(built.size)})


async def _chunks(handle: IO[bytes]) -> AsyncIterator[bytes]:
    try:
        while chunk := await anyio.to_thread.run_sync(handle.read, _CHUNK):
            yield chunk
    finally:
        handle.close()


@get("/v1/archive/export", **_REVIEWERS, tags=["archive"],
     summary="The documents issued in a date range, as one ZIP with a manifest of hashes",
     responses={200: ResponseSpec(
         data_container=bytes, media_type=_ZIP, generate_examples=False,
         description="archive-<from>-<to>.zip: <number>.json, <number>.pdf, "
                     "<number>-facturx.pdf and manifest.json, as `bareme archive export` "
                     "writes them"),
         **problems("invalid-dates", "altered-document")})
async def export_archive(state: State, start: From = None, end: To = None,
                         year: Year = None) -> Stream:
    """Every archived file of the documents issued from ``from`` to ``to``, checked."""
    first, last = date_range(start, end, year)

    def write(archive: Archive, out: IO[bytes]) -> str:
        export_zip(archive, first, last, out)
        return f"archive-{first}-{last}.zip"

    return await _download(state, write, _ZIP)


@get("/v1/archive/fec", **_REVIEWERS, tags=["archive"],
     summary="The FEC (fichier des écritures comptables) of a date range",
     responses={200: ResponseSpec(
         data_container=str, media_type=_TEXT, generate_examples=False,
         description="<SIREN>FEC<AAAAMMJJ>.txt, the bytes `bareme export fec` writes"),
         **problems("invalid-dates")})
async def export_fec(state: State, start: From = None, end: To = None, year: Year = None,
                     siren: Siren = None) -> Stream:
    """The sales journal entries of the documents issued in the range (LPF art. A47 A-1)."""
    first, last = date_range(start, end, year)
    if siren is not None and not _SIREN.fullmatch(siren):
        message = f"query parameter 'siren': expected 9 digits; got {siren!r}"
        raise ApiProblem("bad-request", message, [DiagnosticOut(
            path="query", line=0, column=0, code="request.siren", message=message,
            parameter="siren")])

    def write(archive: Archive, out: IO[bytes]) -> str:
        write_fec(archive, first, last, out)
        return fec_file_name(archive, last, siren)

    return await _download(state, write, _TEXT)


ROUTES = (export_archive, export_fec)
