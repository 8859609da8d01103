"""Settings shared by every command: option, then environment, then default."""

from __future__ import annotations

import os
from pathlib import Path

import msgspec
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError

from bareme.errors import UserError

__all__ = ["PROJECT_ROOT", "Settings", "check_database_url", "default_repo"]

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
        check_database_url(url)
        return cls(repo=repo_path.resolve(), data_dir=data.resolve(), database_url=url)


def check_database_url(url: str) -> None:
    """Refuse a database URL SQLAlchemy cannot read or has no driver for, naming it.

    The password, if any, is not repeated.
    """
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise UserError(f"--database-url / BAREME_DATABASE_URL: {url!r} is not a database "
                        "URL such as sqlite:///path or postgresql+psycopg://host/db") from None
    try:
        parsed.get_dialect().import_dbapi()  # the driver module itself, not only its name
    except (NoSuchModuleError, ImportError):
        shown = parsed.render_as_string(hide_password=True)
        raise UserError(f"--database-url / BAREME_DATABASE_URL: no driver for {shown!r}; "
                        "use sqlite:///path or postgresql+psycopg://host/db") from None


def default_repo() -> Path:
    """The git working tree around the current directory if it holds rules, else Barème's own."""
    here = Path.cwd().resolve()
    for folder in (here, *here.parents):
        if (folder / ".git").exists():
            if (folder / "rulesets" / "ruleset.yaml").exists():
                return folder
            break
    return PROJECT_ROOT
