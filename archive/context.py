"""The archive as a whole: operational database, archive files and rules repository."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine

from archive.db import open_engine
from archive.files import FileStore
from engine.store.access import RuleAccess

__all__ = ["Archive"]


class Archive:
    """What issuing, verifying and replaying need, opened once per command or request."""

    def __init__(self, engine: Engine, data_dir: Path, rules: RuleAccess) -> None:
        self.engine = engine
        self.data_dir = data_dir
        self.files = FileStore(data_dir / "archive")
        self.rules = rules

    @classmethod
    def open(cls, database_url: str, data_dir: Path, repo: Path | str) -> Archive:
        """Open (and migrate) the store at ``database_url`` with files under ``data_dir``."""
        return cls(open_engine(database_url), data_dir, RuleAccess(str(repo)))
