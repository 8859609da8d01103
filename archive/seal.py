"""The hash chain: each record's SHA-256 covers its content and the previous record's hash.

``record_hash = sha256(prev_hash ‖ canonical JSON of every other column)``. Altering a
column breaks the record's own hash; deleting, inserting or reordering records breaks
the ``prev_hash`` links (and the gapless positions); the chain head row pins the end.
"""

from __future__ import annotations

from typing import Any

from archive.records import DocumentRow
from engine.canonical import canonical_bytes, sha256_hex

__all__ = ["GENESIS", "record_hash", "sealed_fields"]

GENESIS = "0" * 64
"""``prev_hash`` of the first record."""


def sealed_fields(row: DocumentRow) -> dict[str, Any]:
    """Every column the hash covers: all but ``record_hash`` itself."""
    data = row.model_dump()
    data.pop("record_hash", None)
    return data


def record_hash(row: DocumentRow) -> str:
    """The hex SHA-256 that seals ``row`` after its predecessor."""
    return sha256_hex(row.prev_hash.encode("ascii") + canonical_bytes(sealed_fields(row)))
