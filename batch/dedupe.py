"""Duplicates and conflicts of a run, as set operations over its staged rows.

A staged row *matches* when its ``event_id`` is already stored, as usage or as a late
event; otherwise it *repeats* when an earlier row of the run (files in the order given,
rows in file order) has the id. Either is a duplicate when the content (customer, metric,
canonical quantity, instant, attributes) is the same as the stored event's, or the first
row's, and a conflict (``usage.duplicate_conflict``) otherwise: rejected, and the stored
event, or the first row, stays. A row is always compared with the event that stays: a
rejected row never becomes the reference of a later one.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import duckdb

from batch.checks import sql_text
from batch.normalise import Reject

__all__ = ["conflicts", "fresh", "match"]

_CREATE = """
    CREATE TABLE matches (fi INTEGER, row BIGINT, event_id VARCHAR, same BOOLEAN,
                          first_source VARCHAR, first_row BIGINT);
"""
_SAME = """n.customer_id = o.customer_id AND n.metric = o.metric AND n.quantity = o.quantity
           AND n.timestamp = o.timestamp AND n.attributes = o.attributes"""
_STORED = """
    INSERT INTO matches
        SELECT n.fi, n.row, n.event_id, SAME, o.source, o.row
        FROM staging n JOIN read_parquet(?) o ON n.event_id = o.event_id
"""
_REPEATS = """
    CREATE TABLE repeated AS
        SELECT event_id FROM staging
        WHERE hash(event_id) IN (SELECT hash(event_id) FROM staging
                                 GROUP BY hash(event_id) HAVING count(*) > 1)
        GROUP BY event_id HAVING count(*) > 1;
    INSERT INTO matches
        WITH r AS (SELECT s.*, row_number() OVER (PARTITION BY event_id ORDER BY fi, row) AS k
                   FROM staging s SEMI JOIN repeated USING (event_id)
                   ANTI JOIN matches m ON s.fi = m.fi AND s.row = m.row)
        SELECT n.fi, n.row, n.event_id, SAME, f.source, o.row
        FROM r n JOIN r o ON n.event_id = o.event_id AND o.k = 1 AND n.k > 1
        JOIN files f ON f.fi = o.fi;
"""
_FRESH = """
    CREATE VIEW fresh AS
        SELECT s.*, SOURCES[s.fi + 1] AS source,
               CASE WHEN c.customer_id IS NULL THEN 'usage' ELSE 'late' END AS kind
        FROM staging s ANTI JOIN matches m ON s.fi = m.fi AND s.row = m.row
        LEFT JOIN closed c ON c.customer_id = s.customer_id AND c.period = s.period
"""
_ALL_FRESH = """
    CREATE VIEW fresh AS SELECT s.*, SOURCES[s.fi + 1] AS source, 'usage' AS kind FROM staging s
"""


def fresh(connection: duckdb.DuckDBPyConnection) -> None:
    """Create the view ``fresh``: the rows to store, each with its kind.

    First occurrences not stored yet; without repeats or closed periods, every staged row.
    """
    ((matches, closed),) = connection.execute(
        "SELECT (SELECT count(*) FROM matches), (SELECT count(*) FROM closed)").fetchall()
    sources = [s for (s,) in connection.execute("SELECT source FROM files ORDER BY fi")
               .fetchall()]
    # The file names of the run, as a list literal: cheaper than a join for every row.
    literal = "[" + ", ".join(sql_text(s) for s in sources) + "]"
    connection.execute((_FRESH if matches or closed else _ALL_FRESH).replace("SOURCES", literal))


def match(connection: duckdb.DuckDBPyConnection, stored: list[Path]) -> tuple[int, int]:
    """Find repeats and stored events; return the counts of duplicates and conflicts."""
    connection.execute(_CREATE)
    if stored:  # first: a stored event is the reference of every row with its id
        connection.execute(_STORED.replace("SAME", _SAME), [[str(p) for p in stored]])
    connection.execute(_REPEATS.replace("SAME", _SAME))
    ((same, other),) = connection.execute(
        "SELECT count(*) FILTER (WHERE same), count(*) FILTER (WHERE NOT same) FROM matches"
    ).fetchall()
    return int(same), int(other)


def conflicts(connection: duckdb.DuckDBPyConnection) -> Iterator[tuple[int, Reject]]:
    """``(file position, reject)`` of every conflict, in file and row order."""
    result = connection.cursor().execute(
        "SELECT fi, row, event_id, source, first_source, first_row FROM matches "
        "JOIN files USING (fi) WHERE NOT same ORDER BY fi, row")
    while batch := result.fetchmany(10_000):
        for fi, row, event_id, source, first_source, first_row in batch:
            yield fi, Reject(
                source=source, row=row, field="event_id", value=event_id,
                code="usage.duplicate_conflict",
                reason=f"event id {event_id!r} was first given by record {first_row} of "
                       f"{first_source} with different content; that event is kept",
                event_id=event_id)
