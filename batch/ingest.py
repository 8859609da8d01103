"""``usage ingest``: read files, normalise, deduplicate, and store by period, streaming.

Files are read in bounded chunks (:mod:`batch.chunks`) and mediated in SQL, with
:func:`batch.normalise.normalise` for every row SQL does not surely accept
(:mod:`batch.mediate`), into a staging DuckDB database in the run's working folder of
the data directory, which holds at most :data:`MEMORY_LIMIT` in memory. Duplicates and
conflicts are set operations (:mod:`batch.dedupe`). Idempotent: an ``event_id`` already
stored (in this run, in the usage or among late events) with the same content is
skipped; with other content it is a conflict, rejected and reported, and the stored
event stays. Events of a (customer,
period) already invoiced go to the late partitions, never into the issued period. A run
whose error rate is above the threshold, or that meets an unreadable file, stores
nothing; otherwise each partition file is written under a temporary name and renamed.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterable
from decimal import Decimal
from functools import partial
from pathlib import Path

import duckdb
import msgspec
import pyarrow as pa
from msgspec.structs import replace

from batch.checks import sql_text
from batch.chunks import chunks
from batch.closed import ClosedPeriods
from batch.dedupe import conflicts, fresh, match
from batch.mediate import (
    insert_rejects,
    mediate,
    mediate_parquet,
    prepare,
    recheck,
    settle,
)
from batch.normalise import Mediation, Reject, utc_now
from batch.readers import unreadable
from batch.store import UsageStore, stored_under

__all__ = ["MEMORY_LIMIT", "IngestReport", "ingest"]

MEMORY_LIMIT = "1GB"
"""DuckDB's memory for a run; beyond it, staged rows and operators work on disk."""
_COPY = """
    COPY (SELECT event_id, customer_id, metric, quantity, timestamp, attributes, source, row
          FROM fresh WHERE kind = ? AND period = ?)
    TO {target} (FORMAT parquet, COMPRESSION zstd, KV_METADATA {{{pairs}}})
"""
Progress = Callable[[str, int, int], None]
"""``(what, done, total)``: bytes of the input read, then the stages of storing."""


class IngestReport(msgspec.Struct, frozen=True, kw_only=True):
    """The counts of one ingest run."""

    run: str
    read: int
    """Rows read from every file."""
    stored: int
    """New events stored for rating."""
    late: int
    """New events of an invoiced (customer, period), stored apart."""
    duplicates: int
    """Events already stored (or repeated in the run) with the same content."""
    rejected: int
    """Rows refused, conflicts included."""
    conflicts: int
    """Rows reusing a stored ``event_id`` with other content."""
    rejects_file: str | None
    refused: bool
    """Whether the error rate was above the threshold, so that nothing was stored."""
    periods: tuple[str, ...] = ()

    @property
    def error_rate(self) -> Decimal:
        """Rejected rows over rows read."""
        return Decimal(self.rejected) / Decimal(self.read) if self.read else Decimal(0)


def ingest(paths: Iterable[Path], store: UsageStore, mediation: Mediation,
           closed: ClosedPeriods, max_error_rate: Decimal,
           progress: Progress | None = None, memory_limit: str = MEMORY_LIMIT) -> IngestReport:
    """Mediate every row of ``paths`` into ``store``; see the module docstring."""
    run = utc_now().strftime("%Y%m%dT%H%M%S%fZ")
    paths = list(paths)
    with store.locked():
        store.clear_staging()
        work = store.staging(run)
        connection = duckdb.connect(str(work / "staging.duckdb"), config={
            "memory_limit": memory_limit, "temp_directory": str(work / "spill"),
            "preserve_insertion_order": False})
        try:
            return _run(connection, run, paths, store, mediation, closed, max_error_rate,
                        progress or _quiet)
        finally:
            connection.close()
            shutil.rmtree(work, ignore_errors=True)


def _run(connection: duckdb.DuckDBPyConnection, run: str, paths: list[Path],
         store: UsageStore, mediation: Mediation, closed: ClosedPeriods,
         max_error_rate: Decimal, progress: Progress) -> IngestReport:
    connection.execute("SET TimeZone = 'UTC'; SET enable_progress_bar = false")
    prepare(connection, mediation)
    read = _stage(connection, paths, mediation, progress)
    settle(connection)
    duplicates, conflicted = match(connection, store.files("usage") + store.files("late"))
    _reject_conflicts(connection)
    rejected = _count(connection, "SELECT count(*) FROM (SELECT DISTINCT fi, row FROM rejects)")
    report = IngestReport(run=run, read=read, stored=0, late=0, duplicates=duplicates,
                          rejected=rejected, conflicts=conflicted, rejects_file=None,
                          refused=True)
    if rejected:
        report = replace(report, rejects_file=str(store.write_rejects(run, _rejects(connection))))
    if read and Decimal(rejected) / Decimal(read) > max_error_rate:
        return report
    counts = _store(connection, run, store, closed.pairs(), mediation, progress)
    late = sum(n for (kind, _), n in counts.items() if kind == "late")
    return replace(report, stored=sum(counts.values()) - late, late=late, refused=False,
                   periods=tuple(sorted({p for _, p in counts})))


def _reject_conflicts(connection: duckdb.DuckDBPyConnection) -> None:
    batch: list[tuple[int, Reject]] = []
    for item in conflicts(connection):
        batch.append(item)
        if len(batch) == 10_000:
            insert_rejects(connection, batch)
            batch = []
    insert_rejects(connection, batch)


def _store(connection: duckdb.DuckDBPyConnection, run: str, store: UsageStore,
           closed: Iterable[tuple[str, str]], mediation: Mediation,
           progress: Progress) -> dict[tuple[str, str], int]:
    """Write the fresh rows, one file per (kind, period); return the rows of each."""
    pairs = sorted(closed)
    connection.register("closed_pairs", pa.table({
        "customer_id": pa.array([c for c, _ in pairs], pa.string()),
        "period": pa.array([p for _, p in pairs], pa.string())}))
    connection.execute("CREATE TABLE closed AS SELECT * FROM closed_pairs")
    fresh(connection)
    parts = connection.execute("SELECT kind, period, list(DISTINCT metric ORDER BY metric) "
                               "FROM fresh GROUP BY ALL ORDER BY ALL").fetchall()
    counts: dict[tuple[str, str], int] = {}
    for number, (kind, period, metrics) in enumerate(parts):
        progress("store", number, len(parts))
        rows: list[int] = []
        metadata = stored_under(mediation.zone, {m: mediation.metrics[m].unit
                                                 for m in metrics if m in mediation.metrics})
        store.publish(kind, period, run,
                      partial(_copy, connection, kind, period, metadata, rows))
        counts[(kind, period)] = rows[0]
    progress("store", len(parts), len(parts))
    return counts


def _stage(connection: duckdb.DuckDBPyConnection, paths: list[Path], mediation: Mediation,
           progress: Progress) -> int:
    total = sum(p.stat().st_size for p in paths)
    read = offset = 0
    for fi, path in enumerate(paths):
        whole = _whole_parquet(connection, path, fi, mediation)
        if whole is not None:
            read += whole
            progress("read", offset + path.stat().st_size, total)
        else:
            for chunk in chunks(path):
                read += mediate(connection, chunk, str(path), fi, mediation)
                progress("read", offset + chunk.done, total)
        recheck(connection, path, fi, mediation)
        offset += path.stat().st_size
    return read


def _whole_parquet(connection: duckdb.DuckDBPyConnection, path: Path, fi: int,
                   mediation: Mediation) -> int | None:
    if path.suffix.lower() != ".parquet":
        return None
    try:
        return mediate_parquet(connection, path, fi, mediation)
    except (pa.ArrowException, duckdb.Error) as exc:
        raise unreadable(path, f"cannot read this parquet file, nothing was stored: "
                               f"{exc}") from None


def _copy(connection: duckdb.DuckDBPyConnection, kind: str, period: str,
          metadata: dict[str, str], rows: list[int], target: Path) -> None:
    """Write the fresh rows of one partition to ``target``; append their count to ``rows``.

    ``metadata`` goes into the file's key-value metadata (:func:`batch.store.stored_under`).
    """
    pairs = ", ".join(f"{sql_text(k)}: {sql_text(v)}" for k, v in metadata.items())
    ((count,),) = connection.execute(
        _COPY.format(target=sql_text(str(target)), pairs=pairs), [kind, period]).fetchall()
    rows.append(int(count))


def _rejects(connection: duckdb.DuckDBPyConnection) -> Iterable[Reject]:
    result = connection.execute("SELECT source, row, field, value, code, reason, event_id "
                                "FROM rejects ORDER BY fi, row, n")
    while rows := result.fetchmany(10_000):
        for source, row, field, value, code, reason, event_id in rows:
            yield Reject(source=source, row=row, field=field, value=value, code=code,
                         reason=reason, event_id=event_id)


def _count(connection: duckdb.DuckDBPyConnection, sql: str) -> int:
    ((found,),) = connection.execute(sql).fetchall()
    return int(found)


def _quiet(what: str, done: int, total: int) -> None:
    del what, done, total
