"""Benchmark of ``bareme usage ingest`` on generated usage files.

Generates N usage records (default 3 million; 10,000 customers, the metrics of the
project's own ruleset, a third of them in a source unit to convert, one attribute) as
CSV, JSON Lines and Parquet under ``bench/out/ingest/`` (git-ignored), then ingests each
file into an empty data directory, each in its own process, and prints rows/s and the
peak memory (maximum resident set) of that process. Files already generated for that N
are reused.

    .venv/bin/python bench/ingest_bench.py [--rows N] [--formats csv,jsonl,parquet]
"""

from __future__ import annotations

import argparse
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

import duckdb

OUT = Path(__file__).resolve().parent / "out" / "ingest"
ROOT = Path(__file__).resolve().parent.parent
FORMATS = ("csv", "jsonl", "parquet")
_COPY = {"csv": "(FORMAT csv, HEADER)", "jsonl": "(FORMAT json)",
         "parquet": "(FORMAT parquet, COMPRESSION zstd)"}
_RECORDS = """
    SELECT printf('E%010d', i) AS event_id,
           printf('C-%05d', i % 10000) AS customer_id,
           ['compute.vcpu_hours', 'network.egress_gb', 'storage.object_requests',
            'compute.ram_gb_hours'][i % 4 + 1] AS metric,
           CASE i % 4 WHEN 0 THEN CAST(i % 7200 AS VARCHAR)
                      WHEN 1 THEN CAST(i % 100000 * 1000 AS VARCHAR)
                      ELSE printf('%d.%03d', i % 500, i % 1000) END AS quantity,
           strftime(TIMESTAMPTZ '2026-10-01 00:00:00+02' + to_seconds(i % 2678400),
                    '%Y-%m-%dT%H:%M:%SZ') AS timestamp,
           CASE i % 4 WHEN 0 THEN 's' WHEN 1 THEN 'B' ELSE '' END AS unit,
           ['fr-par', 'fr-mrs', 'nl-ams'][i % 3 + 1] AS region
    FROM range(?) t(i)
"""


def generate(rows: int, formats: tuple[str, ...]) -> dict[str, Path]:
    """Write the N records once per format; return the files."""
    OUT.mkdir(parents=True, exist_ok=True)
    connection = duckdb.connect()
    connection.execute("SET TimeZone = 'UTC'")
    files = {}
    for name in formats:
        path = OUT / f"usage-{rows}.{name}"
        if not path.exists():
            connection.execute(f"COPY ({_RECORDS.replace('?', str(rows))}) TO '{path}' "
                               f"{_COPY[name]}")
        files[name] = path
    return files


def measure(path: Path, rows: int) -> None:
    """Ingest ``path`` into an empty data directory; print rows/s and peak memory."""
    from bareme.cli import cli

    data = OUT / f"data-{path.suffix[1:]}"
    shutil.rmtree(data, ignore_errors=True)
    start = time.perf_counter()
    code = cli.main(["--repo", str(ROOT), "--data-dir", str(data), "usage", "ingest",
                     str(path)], standalone_mode=False)
    elapsed = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
    print(f"{path.suffix[1:]:8} {rows:>11,} rows  {elapsed:7.2f} s  "
          f"{rows / elapsed:>11,.0f} rows/s  peak {peak:.2f} GiB  (exit {code or 0})",
          flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=3_000_000)
    parser.add_argument("--formats", default=",".join(FORMATS))
    parser.add_argument("--one", help=argparse.SUPPRESS)
    arguments = parser.parse_args()
    if arguments.one:
        measure(Path(arguments.one), arguments.rows)
        return
    formats = tuple(f for f in arguments.formats.split(",") if f)
    for path in generate(arguments.rows, formats).values():
        subprocess.run([sys.executable, __file__, "--one", str(path), "--rows",
                        str(arguments.rows)], check=True)


if __name__ == "__main__":
    main()
