"""The archive of the API's settings, opened (and migrated) on first use, once per process.

Opening is lazy so that an API which only evaluates never creates a data directory or a
database; the lock keeps two first requests from opening it twice.
"""

from __future__ import annotations

import threading
from pathlib import Path

from archive import Archive

__all__ = ["ArchiveAccess", "database_url_of"]


def database_url_of(data_dir: str, database_url: str) -> str:
    """``database_url``, or the SQLite file of ``data_dir`` as the CLI defaults to.

    >>> database_url_of("/srv/data", "postgresql://db/bareme")
    'postgresql://db/bareme'
    >>> database_url_of("/srv/data", "")
    'sqlite:////srv/data/bareme.sqlite3'
    """
    if database_url:
        return database_url
    return f"sqlite:///{(Path(data_dir) / 'bareme.sqlite3').resolve()}"


class ArchiveAccess:
    """Opens the archive at ``database_url`` with files under ``data_dir`` when first asked."""

    def __init__(self, repo: str, data_dir: str, database_url: str) -> None:
        self.repo = repo
        self.data_dir = Path(data_dir).resolve()
        self.database_url = database_url_of(data_dir, database_url)
        self._lock = threading.Lock()
        self._archive: Archive | None = None

    def get(self) -> Archive:
        """The open archive (blocking on first use: call it from a worker thread)."""
        with self._lock:
            if self._archive is None:
                self.data_dir.mkdir(parents=True, exist_ok=True)
                self._archive = Archive.open(self.database_url, self.data_dir, self.repo)
            return self._archive
