"""``usage ingest``: read files, normalise, deduplicate, and store by period.

Idempotent: an ``event_id`` already stored (in this run, in the usage or among late
events) with the same content is skipped; with other content it is a conflict, rejected
and reported, and the stored event stays. Events of a (customer, period) already
invoiced go to the late partitions, to be corrected, never into the issued period.
A run whose error rate is above the threshold stores nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from decimal import Decimal
from pathlib import Path

import duckdb
import msgspec
from msgspec.structs import replace

from batch.closed import ClosedPeriods
from batch.normalise import Mediation, Normalised, Reject, normalise, utc_now
from batch.readers import numbered_rows
from batch.store import UsageStore, to_table
from engine.diagnostics import Diagnostic

__all__ = ["IngestReport", "ingest"]


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
           progress: Callable[[Path], None] | None = None) -> IngestReport:
    """Mediate every row of ``paths`` into ``store``; see the module docstring."""
    run = utc_now().strftime("%Y%m%dT%H%M%S%fZ")
    read, accepted, rejects, duplicates = _read(paths, mediation, progress)
    with store.locked():
        fresh, conflicts, seen = _against_store(store, accepted)
        rejects += conflicts
        duplicates += seen
        report = IngestReport(run=run, read=read, stored=0, late=0, duplicates=duplicates,
                              rejected=len(rejects), conflicts=sum(
                                  r.code == "usage.duplicate_conflict" for r in rejects),
                              rejects_file=None, refused=True)
        if rejects:
            report = replace(report, rejects_file=str(store.write_rejects(run, rejects)))
        if read and Decimal(len(rejects)) / Decimal(read) > max_error_rate:
            return report
        pairs = closed.pairs()
        groups: dict[tuple[str, str], list[Normalised]] = {}
        for record in fresh:
            kind = "late" if (record.customer_id, record.period) in pairs else "usage"
            groups.setdefault((kind, record.period), []).append(record)
        for (kind, period), records in sorted(groups.items()):
            store.write(kind, period, run, records)
    late = sum(len(v) for (k, _), v in groups.items() if k == "late")
    return replace(report, stored=len(fresh) - late, late=late, refused=False,
                   periods=tuple(sorted({p for _, p in groups})))


def _read(paths: Iterable[Path], mediation: Mediation,
          progress: Callable[[Path], None] | None
          ) -> tuple[int, list[Normalised], list[Reject], int]:
    read = duplicates = 0
    kept: dict[str, Normalised] = {}
    rejects: list[Reject] = []
    for path in paths:
        if progress is not None:
            progress(path)
        for number, row in numbered_rows(path):
            read += 1
            if isinstance(row, Diagnostic):
                rejects.append(Reject(source=str(path), row=number, field="", value="",
                                      code=row.code, reason=row.message))
                continue
            result = normalise(row, str(path), number, mediation)
            if isinstance(result, list):
                rejects.extend(result)
                continue
            first = kept.setdefault(result.event_id, result)
            if first is result:
                continue
            if first.content() == result.content():
                duplicates += 1
            else:
                rejects.append(_conflict(result, first.source, first.row))
    return read, list(kept.values()), rejects, duplicates


def _against_store(store: UsageStore, records: list[Normalised]
                   ) -> tuple[list[Normalised], list[Reject], int]:
    """Records not stored yet, conflicts with stored events, and the count of repeats."""
    stored = store.files("usage") + store.files("late")
    if not stored or not records:
        return records, [], 0
    connection = duckdb.connect()
    incoming = to_table(records)
    connection.register("incoming", incoming)
    matches = connection.execute("""
        SELECT n.event_id,
               n.customer_id = o.customer_id AND n.metric = o.metric
               AND n.quantity = o.quantity AND n.timestamp = o.timestamp
               AND n.attributes = o.attributes AS same,
               o.source, o.row
        FROM incoming n JOIN read_parquet(?) o ON n.event_id = o.event_id
    """, [[str(p) for p in stored]]).fetchall()
    connection.close()
    known = {event_id: (same, source, row) for event_id, same, source, row in matches}
    fresh = [r for r in records if r.event_id not in known]
    conflicts = [_conflict(r, known[r.event_id][1], known[r.event_id][2])
                 for r in records if r.event_id in known and not known[r.event_id][0]]
    return fresh, conflicts, sum(1 for same, _, _ in known.values() if same)


def _conflict(record: Normalised, source: str, row: int) -> Reject:
    return Reject(source=record.source, row=record.row, field="event_id",
                  value=record.event_id, code="usage.duplicate_conflict",
                  reason=f"event id {record.event_id!r} is already stored from record {row} "
                         f"of {source} with different content; the stored event is kept",
                  event_id=record.event_id)
