"""Schema migrations: a small explicit list applied in order, recorded in ``schema_version``.

Why not Alembic: the store has a handful of tables, must run identically on SQLite and
PostgreSQL, and is migrated in process when a command opens it. An ordered tuple of
(version, description, step) with one table of applied versions gives the same guarantee
(each step applied once, in order, in its own transaction) with nothing to generate.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from sqlalchemy import Connection, Engine, inspect, text
from sqlmodel import SQLModel

import archive.records  # noqa: F401 - registers the tables in SQLModel.metadata

__all__ = ["MIGRATIONS", "migrate"]

Step = Callable[[Connection], None]


def _tables(conn: Connection) -> None:
    for name in ("customers", "series", "chain_head", "documents"):
        SQLModel.metadata.tables[name].create(conn, checkfirst=True)
    conn.execute(text("INSERT INTO chain_head (id, position, hash) VALUES (1, 0, :h)"),
                 {"h": "0" * 64})


def _immutable_documents(conn: Connection) -> None:
    """Refuse UPDATE and DELETE on documents (invariant 4), in the database itself."""
    if conn.dialect.name == "postgresql":
        conn.execute(text(
            "CREATE FUNCTION bareme_documents_immutable() RETURNS trigger AS $$ BEGIN "
            "RAISE EXCEPTION 'issued documents are immutable'; END $$ LANGUAGE plpgsql"))
        conn.execute(text(
            "CREATE TRIGGER documents_immutable BEFORE UPDATE OR DELETE ON documents "
            "FOR EACH ROW EXECUTE FUNCTION bareme_documents_immutable()"))
        return
    for event in ("UPDATE", "DELETE"):
        conn.execute(text(
            f"CREATE TRIGGER documents_no_{event.lower()} BEFORE {event} ON documents "
            "BEGIN SELECT RAISE(ABORT, 'issued documents are immutable'); END"))


MIGRATIONS: tuple[tuple[int, str, Step], ...] = (
    (1, "customers, series, chain head, documents", _tables),
    (2, "documents are append-only", _immutable_documents),
)


def migrate(engine: Engine) -> int:
    """Apply every pending migration; returns the schema version reached.

    On PostgreSQL, concurrent processes wait on an advisory lock so one migrates at a time.
    """
    with engine.connect() as guard:
        if guard.dialect.name == "postgresql":
            guard.execute(text("SELECT pg_advisory_lock(7244101)"))
        try:
            return _migrate(engine)
        finally:
            if guard.dialect.name == "postgresql":
                guard.execute(text("SELECT pg_advisory_unlock(7244101)"))
                guard.commit()


def _migrate(engine: Engine) -> int:
    with engine.begin() as conn:
        SQLModel.metadata.tables["schema_version"].create(conn, checkfirst=True)
    done = _applied(engine)
    for version, description, step in MIGRATIONS:
        if version in done:
            continue
        with engine.begin() as conn:
            step(conn)
            conn.execute(text("INSERT INTO schema_version (version, description, applied_at) "
                              "VALUES (:v, :d, :t)"),
                         {"v": version, "d": description,
                          "t": datetime.now(UTC).isoformat(timespec="seconds")})
    return max(v for v, _, _ in MIGRATIONS)


def _applied(engine: Engine) -> set[int]:
    if not inspect(engine).has_table("schema_version"):
        return set()
    with engine.connect() as conn:
        return {row[0] for row in conn.execute(text("SELECT version FROM schema_version"))}
