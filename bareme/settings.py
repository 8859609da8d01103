"""Settings shared by every command: option, then environment, then default."""

from __future__ import annotations

import os
from pathlib import Path

import msgspec

__all__ = ["PROJECT_ROOT", "Settings", "default_repo"]

PROJECT_ROOT = Path(__file__).resolve().parents[1]
"""The repository Barème itself runs from, which holds the default rulesets."""


class Settings(msgspec.Struct, frozen=True, kw_only=True):
    """Where rules, data and the operational database live."""

    repo: Path
    """Rules repository (a git working tree holding ``rulesets/``)."""
    data_dir: Path
    """Usage, archive and the SQLite file."""
    database_url: str
    """SQLAlchemy URL of the operational store."""

    @classmethod
    def resolve(cls, repo: str | None = None, data_dir: str | None = None,
                database_url: str | None = None) -> Settings:
        """Options first, then ``BAREME_*`` variables, then defaults."""
        repo_path = Path(repo or os.environ.get("BAREME_REPO") or default_repo())
        data = Path(data_dir or os.environ.get("BAREME_DATA_DIR") or ".bareme")
        url = (database_url or os.environ.get("BAREME_DATABASE_URL")
               or f"sqlite:///{(data / 'bareme.sqlite3').resolve()}")
        return cls(repo=repo_path.resolve(), data_dir=data.resolve(), database_url=url)


def default_repo() -> Path:
    """The git working tree around the current directory if it holds rules, else Barème's own."""
    here = Path.cwd().resolve()
    for folder in (here, *here.parents):
        if (folder / ".git").exists():
            if (folder / "rulesets" / "ruleset.yaml").exists():
                return folder
            break
    return PROJECT_ROOT
