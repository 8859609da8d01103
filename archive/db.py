"""Open the operational store: SQLite by default, PostgreSQL in production.

Writers are serialised where numbering needs it: SQLite transactions start with
``BEGIN IMMEDIATE`` (one writer at a time, others wait on the busy timeout); on
PostgreSQL the issuing transaction locks the chain head row with ``SELECT … FOR UPDATE``.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlmodel import Session

from archive.migrations import migrate

__all__ = ["open_engine", "session"]


def open_engine(url: str, *, migrate_schema: bool = True) -> Engine:
    """An engine for ``url``, migrated to the current schema."""
    if url.startswith("sqlite:///"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 60})
        event.listen(engine, "connect", _sqlite_connect)
        event.listen(engine, "begin", _sqlite_begin)
    else:
        engine = create_engine(url, pool_pre_ping=True)
    if migrate_schema:
        migrate(engine)
    return engine


def _sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
    # Let SQLAlchemy emit BEGIN itself, so that it can be BEGIN IMMEDIATE.
    dbapi_connection.isolation_level = None
    dbapi_connection.execute("PRAGMA foreign_keys = ON")
    dbapi_connection.execute("PRAGMA busy_timeout = 60000")


def _sqlite_begin(conn: Any) -> None:
    conn.exec_driver_sql("BEGIN IMMEDIATE")


@contextmanager
def session(engine: Engine) -> Iterator[Session]:
    """A session whose transaction commits on success and rolls back on any error."""
    with Session(engine, expire_on_commit=False) as db, db.begin():
        yield db
