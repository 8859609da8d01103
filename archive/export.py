"""Export the documents of a period, with a manifest of their SHA-256, for a tax review.

The same files go to a folder (``bareme archive export``) or into one ZIP archive (the
API's download): each archived file is read, checked against its recorded SHA-256 and
written out one at a time, so an export never holds more than one document in memory.
"""

from __future__ import annotations

import hashlib
import zipfile
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import IO

import msgspec
from sqlmodel import col, select

from archive.context import Archive
from archive.db import session
from archive.records import ChainHead, DocumentRow
from engine.canonical import pretty_bytes

__all__ = ["MANIFEST", "AlteredFile", "export", "export_zip"]

MANIFEST = "manifest.json"
"""The manifest's file name, next to the documents."""
_FILES = (("json_sha256", ".json"), ("pdf_sha256", ".pdf"), ("facturx_sha256", "-facturx.pdf"))
_ZIP_TIME = (1980, 1, 1, 0, 0, 0)
"""A fixed member time, so that the same export gives the same ZIP bytes."""

Put = Callable[[str, bytes], None]
"""Where an export writes each file: its name and its bytes."""


class AlteredFile(ValueError):
    """An archived file no longer matches its recorded SHA-256: run ``archive verify``."""


def export(archive: Archive, start: date, end: date, folder: Path) -> Path:
    """Write the documents issued from ``start`` to ``end`` (inclusive) and ``manifest.json``."""
    folder.mkdir(parents=True, exist_ok=True)

    def put(name: str, data: bytes) -> None:
        (folder / name).write_bytes(data)

    write_all(archive, start, end, put)
    return folder / MANIFEST


def export_zip(archive: Archive, start: date, end: date, target: IO[bytes]) -> int:
    """Write the files of :func:`export` as members of a ZIP archive; the document count."""
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as bundle:
        def put(name: str, data: bytes) -> None:
            member = zipfile.ZipInfo(name, date_time=_ZIP_TIME)
            member.compress_type = zipfile.ZIP_DEFLATED
            member.external_attr = 0o644 << 16
            bundle.writestr(member, data)

        return write_all(archive, start, end, put)


def write_all(archive: Archive, start: date, end: date, put: Put) -> int:
    """Give ``put`` every document file of the period, then the manifest; the count."""
    with session(archive.engine) as db:
        rows = db.exec(select(DocumentRow)
                       .where(col(DocumentRow.issue_date) >= start.isoformat())
                       .where(col(DocumentRow.issue_date) <= end.isoformat())
                       .order_by(col(DocumentRow.position))).all()
        head = db.get(ChainHead, 1)
    entries = [_write(archive, row, put) for row in rows]
    manifest = {"from": start.isoformat(), "to": end.isoformat(), "documents": entries,
                "chain_head": {"position": head.position if head else 0,
                               "hash": head.hash if head else ""}}
    put(MANIFEST, pretty_bytes(manifest))
    return len(entries)


def _write(archive: Archive, row: DocumentRow, put: Put) -> dict[str, object]:
    files = {}
    for field, suffix in _FILES:
        digest = getattr(row, field)
        data = archive.files.get(digest)
        if hashlib.sha256(data).hexdigest() != digest:
            raise AlteredFile(f"{row.number}: archived {suffix} file is altered")
        name = f"{row.number}{suffix}"
        put(name, data)
        files[name] = f"sha256:{digest}"
    return {**msgspec.to_builtins(row.model_dump(include={
        "number", "kind", "customer_id", "period", "issue_date", "rules_commit",
        "original_number", "net", "tax", "gross", "currency", "position", "prev_hash",
        "record_hash"})), "files": files}
