"""The usage store: normalised usage as Parquet partitioned by billing period.

``data_dir/usage/period=YYYY-MM/part-<run>.parquet`` holds the usage to rate,
``data_dir/late/period=YYYY-MM/…`` the events that arrived after their period was
invoiced, ``data_dir/rejects/<run>.jsonl`` what each run refused. Files are written
under a temporary name and renamed, so a crash never leaves half a partition.
"""

from __future__ import annotations

import fcntl
import os
import shutil
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import msgspec
import pyarrow as pa
import pyarrow.parquet as pq

from batch.normalise import QUANTITY_SCALE, Normalised, Reject
from engine.diagnostics import Diagnostic, DiagnosticsError
from engine.usage import UsageRecord

__all__ = ["SCHEMA", "UsageStore", "check_stored", "stored_under"]

SCHEMA = pa.schema([
    ("event_id", pa.string()),
    ("customer_id", pa.string()),
    ("metric", pa.string()),
    ("quantity", pa.decimal128(38, QUANTITY_SCALE)),
    ("timestamp", pa.timestamp("us", tz="UTC")),
    ("attributes", pa.string()),
    ("source", pa.string()),
    ("row", pa.int64()),
])
"""Columns of a stored usage partition."""


_ZONE, _UNITS = "bareme.timezone", "bareme.units"
"""Keys of a stored file's metadata: the rules' terms its rows were normalised in."""


def stored_under(zone: ZoneInfo, units: Mapping[str, str]) -> dict[str, str]:
    """A stored file's metadata: the time zone of its months, its metrics' units."""
    return {_ZONE: zone.key, _UNITS: msgspec.json.encode(dict(sorted(units.items()))).decode()}


def check_stored(files: Iterable[Path], zone: ZoneInfo, units: Mapping[str, str]) -> None:
    """Refuse to rate ``files`` with rules in other terms than they were stored in.

    A partition holds a month of the time zone of the rules it was ingested with, and
    quantities in their metrics' units then: under other rules, the month would miss
    records and the quantities be priced in the wrong unit. Files without this metadata
    (stored before it was kept) are taken as they are.
    """
    problems = []
    for path in files:
        try:
            found = pq.read_metadata(path).metadata or {}
        except (pa.ArrowException, OSError):
            continue  # named by the scan, which reads every file's statistics
        stored_zone = found.get(_ZONE.encode(), b"").decode()
        if stored_zone and stored_zone != zone.key:
            problems.append(Diagnostic(
                path=str(path), line=0, column=0, code="usage.stored_in_other_terms",
                message=f"stored as months of {stored_zone}, but these rules reckon months "
                        f"in {zone.key}: re-ingest the usage with these rules, or rate with "
                        f"rules in {stored_zone}"))
        stored_units = msgspec.json.decode(found.get(_UNITS.encode(), b"{}"),
                                           type=dict[str, str])
        for metric, unit in sorted(stored_units.items()):
            if units.get(metric, unit) != unit:
                problems.append(Diagnostic(
                    path=str(path), line=0, column=0, code="usage.stored_in_other_terms",
                    message=f"quantities of {metric!r} were stored in {unit}, but these "
                            f"rules price it in {units[metric]}: re-ingest the usage with "
                            "these rules, or rate with rules of the same unit"))
    if problems:
        raise DiagnosticsError(problems)


class UsageStore:
    """The partitions of one data directory."""

    def __init__(self, data_dir: Path) -> None:
        self.root = data_dir

    def folder(self, kind: str, period: str) -> Path:
        """``data_dir/<kind>/period=<period>``; kind is ``usage`` or ``late``."""
        return self.root / kind / f"period={period}"

    def files(self, kind: str, period: str | None = None) -> list[Path]:
        """Parquet files of one period, or of every period, of ``kind``."""
        pattern = f"period={period}" if period else "period=*"
        return sorted((self.root / kind).glob(f"{pattern}/*.parquet"))

    def periods(self, kind: str = "usage") -> list[str]:
        """Periods that have stored files of ``kind``."""
        return sorted({p.parent.name.removeprefix("period=") for p in self.files(kind)})

    def write(self, kind: str, period: str, run: str, records: Iterable[Normalised]) -> Path:
        """Store ``records`` as one new file of the partition, atomically."""
        table = to_table(records)
        return self.publish(kind, period, run,
                            lambda path: pq.write_table(table, path, compression="zstd"))

    def staging(self, run: str) -> Path:
        """A working folder of one run, inside the data directory (same file system)."""
        folder = self.root / f".ingest-{run}"
        folder.mkdir(parents=True, exist_ok=True)
        return folder

    def clear_staging(self) -> None:
        """Remove the working folders a crashed run left; call it holding the lock."""
        for folder in self.root.glob(".ingest-*"):
            shutil.rmtree(folder, ignore_errors=True)

    def publish(self, kind: str, period: str, run: str, write: Callable[[Path], None]) -> Path:
        """Add the file ``write`` writes to a partition: under a temporary name, renamed."""
        folder = self.folder(kind, period)
        folder.mkdir(parents=True, exist_ok=True)
        target = folder / f"part-{run}.parquet"
        temporary = folder / f".part-{run}.parquet.tmp"
        try:
            write(temporary)
            os.replace(temporary, target)
        finally:
            temporary.unlink(missing_ok=True)
        return target

    def write_rejects(self, run: str, rejects: Iterable[Reject]) -> Path:
        """The run's rejects as JSON Lines, one per refused row and reason."""
        folder = self.root / "rejects"
        folder.mkdir(parents=True, exist_ok=True)
        target = folder / f"{run}.jsonl"
        temporary = folder / f".{run}.jsonl.tmp"
        encoder = msgspec.json.Encoder()
        with temporary.open("wb") as handle:
            for reject in rejects:
                handle.write(encoder.encode(reject) + b"\n")
        os.replace(temporary, target)
        return target

    def records(self, period: str, customer_id: str | None = None) -> list[UsageRecord]:
        """The stored usage of ``period`` (of one customer), as engine records."""
        files = self.files("usage", period)
        if not files:
            return []
        table = pq.read_table(files, schema=SCHEMA,
                              filters=[("customer_id", "=", customer_id)] if customer_id else None)
        return [_record(row) for row in table.to_pylist()]

    @contextmanager
    def locked(self) -> Iterator[None]:
        """Hold the store's lock: one ingest at a time sees and extends the partitions."""
        self.root.mkdir(parents=True, exist_ok=True)
        with (self.root / ".ingest.lock").open("a") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)


def _record(row: dict[str, Any]) -> UsageRecord:
    attributes = msgspec.json.decode(row["attributes"] or "{}", type=dict[str, str])
    return UsageRecord(event_id=row["event_id"], customer_id=row["customer_id"],
                       metric=row["metric"],
                       quantity=Decimal(format(row["quantity"].normalize(), "f")),
                       timestamp=row["timestamp"], attributes=tuple(sorted(attributes.items())),
                       source=row["source"], row=row["row"])


def to_table(records: Iterable[Normalised]) -> pa.Table:
    """An Arrow table of :data:`SCHEMA` holding ``records``."""
    columns: dict[str, list[object]] = {name: [] for name in SCHEMA.names}
    for record in records:
        columns["event_id"].append(record.event_id)
        columns["customer_id"].append(record.customer_id)
        columns["metric"].append(record.metric)
        columns["quantity"].append(record.quantity)
        columns["timestamp"].append(record.timestamp)
        columns["attributes"].append(record.attributes)
        columns["source"].append(record.source)
        columns["row"].append(record.row)
    return pa.table(columns, schema=SCHEMA)
