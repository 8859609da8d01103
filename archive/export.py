"""Export the documents of a period, with a manifest of their SHA-256, for a tax review."""

from __future__ import annotations

import hashlib
from datetime import date
from pathlib import Path

import msgspec
from sqlmodel import col, select

from archive.context import Archive
from archive.db import session
from archive.records import ChainHead, DocumentRow
from engine.canonical import pretty_bytes

__all__ = ["AlteredFile", "export"]

_FILES = (("json_sha256", ".json"), ("pdf_sha256", ".pdf"), ("facturx_sha256", "-facturx.pdf"))


class AlteredFile(ValueError):
    """An archived file no longer matches its recorded SHA-256: run ``archive verify``."""


def export(archive: Archive, start: date, end: date, folder: Path) -> Path:
    """Write the documents issued from ``start`` to ``end`` (inclusive) and ``manifest.json``."""
    with session(archive.engine) as db:
        rows = db.exec(select(DocumentRow)
                       .where(col(DocumentRow.issue_date) >= start.isoformat())
                       .where(col(DocumentRow.issue_date) <= end.isoformat())
                       .order_by(col(DocumentRow.position))).all()
        head = db.get(ChainHead, 1)
    folder.mkdir(parents=True, exist_ok=True)
    entries = [_write(archive, row, folder) for row in rows]
    manifest = {"from": start.isoformat(), "to": end.isoformat(), "documents": entries,
                "chain_head": {"position": head.position if head else 0,
                               "hash": head.hash if head else ""}}
    target = folder / "manifest.json"
    target.write_bytes(pretty_bytes(manifest))
    return target


def _write(archive: Archive, row: DocumentRow, folder: Path) -> dict[str, object]:
    files = {}
    for field, suffix in _FILES:
        digest = getattr(row, field)
        data = archive.files.get(digest)
        if hashlib.sha256(data).hexdigest() != digest:
            raise AlteredFile(f"{row.number}: archived {suffix} file is altered")
        name = f"{row.number}{suffix}"
        (folder / name).write_bytes(data)
        files[name] = f"sha256:{digest}"
    return {**msgspec.to_builtins(row.model_dump(include={
        "number", "kind", "customer_id", "period", "issue_date", "rules_commit",
        "original_number", "net", "tax", "gross", "currency", "position", "prev_hash",
        "record_hash"})), "files": files}
