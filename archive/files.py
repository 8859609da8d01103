"""Archive files, content-addressed by SHA-256 under ``data_dir/archive/objects``.

A file is written once, to a temporary name then renamed, and never rewritten: the same
bytes always land at the same path, so a crash before the database commit leaves at worst
an unreferenced object, never a changed one.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

__all__ = ["FileStore"]


class FileStore:
    """Objects addressed by the hex SHA-256 of their bytes."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def path(self, digest: str) -> Path:
        """Where the object with this digest lives."""
        return self.root / "objects" / digest[:2] / digest

    def put(self, data: bytes) -> str:
        """Store ``data``; returns its hex SHA-256."""
        digest = hashlib.sha256(data).hexdigest()
        target = self.path(digest)
        if not target.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            temporary = target.with_suffix(f".{os.getpid()}.tmp")
            temporary.write_bytes(data)
            os.replace(temporary, target)
        return digest

    def get(self, digest: str) -> bytes:
        """The object's bytes; raises :class:`FileNotFoundError` when it is missing."""
        return self.path(digest).read_bytes()
