"""Benchmark of batch rating against the floor of a plain DuckDB aggregation.

Generates N synthetic events (default 10 million, 10,000 customers, 20 metrics, three
versions per rule, two of which start inside the month (``--changes``), graduated,
volume, package and per-unit prices,
one percentage rule and a few customer contracts) as a stored partition under
``bench/out/`` (git-ignored), then, in this process and on the same Parquet, times

  (a) ``SELECT customer_id, metric, SUM(quantity) … GROUP BY customer_id, metric``
  (b) ``bareme rate --period 2026-10 --out bench/out/lines.parquet``

and prints events/s, the peak memory of the process and the ratio b/a, of wall-clock
times and of CPU times (the latter varies less when other work shares the machine).
(a) and (b) run ``--repeat`` times (default 3), alternately, so that both meet the same
machine; every run is printed, then the medians.

    .venv/bin/python bench/rate_bench.py [--events N] [--customers C] [--changes 0|1|2]
                                         [--threads T] [--repeat R] [--reuse]
"""

from __future__ import annotations

import argparse
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path
from statistics import median

import duckdb

from bareme.cli import cli

OUT = Path(__file__).resolve().parent / "out"
PERIOD = "2026-10"
MODELS = ("per_unit", "graduated", "volume", "package")


def rules_yaml(metrics: int, inside: int) -> str:
    """Pricing rules of the synthetic catalogue: one per metric, three versions each,
    ``inside`` of the version changes falling inside the rated month."""
    days = ("2026-01-01", "2026-05-01", "2026-07-01", "2026-10-11", "2026-10-21")[
        inside:inside + 3]
    text = "rules:\n"
    for m in range(metrics):
        model = MODELS[m % len(MODELS)]
        text += (f"  - id: bench.r{m}\n    metric: bench.m{m}\n    unit: u\n"
                 f"    label: \"Règle {m}\"\n    versions:\n")
        for v, day in enumerate(days):
            price = f"0.0{(m + v) % 9 + 1}00"
            text += f"      - effective_from: {day}\n        model: {model}\n"
            if model == "per_unit":
                text += f'        unit_price: "{price}"\n'
            elif model == "package":
                text += f'        size: "100"\n        package_price: "{price}"\n'
            else:
                text += ('        included: "50"\n        tiers:\n'
                         f'          - {{up_to: "1000", unit_price: "{price}"}}\n'
                         f'          - {{up_to: "5000", unit_price: "0.0090", flat_fee: "5.00"}}\n'
                         '          - {up_to: null, unit_price: "0.0070"}\n')
    text += ("  - id: bench.support\n    label: \"Assistance\"\n    versions:\n"
             "      - effective_from: 2026-01-01\n        model: percentage\n"
             '        rate: "0.05"\n        minimum: "15.00"\n'
             "        of: [bench.r0, bench.r1, bench.r2]\n")
    return text


def overrides_yaml() -> str:
    """A contract price and a discount for a few customers."""
    return ("overrides:\n"
            "  - id: c1\n    customer_id: C-00001\n    rule: bench.r0\n    versions:\n"
            '      - effective_from: 2026-10-15\n        model: per_unit\n'
            '        unit_price: "0.0100"\n'
            "  - id: c2\n    customer_id: C-00002\n    rule: bench.r1\n    label: \"remise\"\n"
            "    versions:\n      - effective_from: 2026-07-01\n        model: discount\n"
            '        rate: "0.10"\n')


def make_rules(metrics: int, inside: int) -> Path:
    """A git repository holding the synthetic ruleset."""
    repo = OUT / "rules"
    shutil.rmtree(repo, ignore_errors=True)
    (repo / "rulesets" / "pricing" / "overrides").mkdir(parents=True)
    (repo / "rulesets" / "ruleset.yaml").write_text("timezone: Europe/Paris\ncurrency: EUR\n")
    (repo / "rulesets" / "pricing" / "bench.yaml").write_text(rules_yaml(metrics, inside))
    (repo / "rulesets" / "pricing" / "overrides" / "contracts.yaml").write_text(
        overrides_yaml())
    for args in (["init", "-q", "-b", "main"], ["add", "-A"],
                 ["-c", "user.name=bench", "-c", "user.email=bench@example.invalid",
                  "commit", "-q", "-m", "bench rules"]):
        subprocess.run(["git", *args], cwd=repo, check=True)
    return repo


def make_usage(events: int, customers: int, metrics: int) -> Path:
    """One stored partition of ``events`` synthetic events, as ``usage ingest`` stores them."""
    folder = OUT / "data" / "usage" / f"period={PERIOD}"
    shutil.rmtree(OUT / "data", ignore_errors=True)
    folder.mkdir(parents=True)
    target = folder / "part-bench.parquet"
    month_us = 31 * 24 * 3600 * 1_000_000
    duckdb.connect().execute(f"""
        COPY (
          SELECT 'ev-' || i AS event_id,
                 'C-' || lpad(CAST(hash(i) % {customers} AS VARCHAR), 5, '0') AS customer_id,
                 'bench.m' || CAST(hash(i + 1) % {metrics} AS VARCHAR) AS metric,
                 CAST(CASE WHEN i % 100000 = 0 THEN 250000
                           ELSE (hash(i + 2) % 100000) / 1000 END AS DECIMAL(38, 9))
                   AS quantity,
                 TIMESTAMPTZ '2026-09-30 22:00:00+00'
                   + to_microseconds(CAST(hash(i + 3) % {month_us} AS BIGINT)) AS timestamp,
                 '{{}}' AS attributes, 'bench' AS source, i + 1 AS row
          FROM range({events}) t(i)
        ) TO '{target}' (FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE 122880)
    """)
    return target


def floor_seconds(files: list[Path], threads: int | None) -> tuple[float, float]:
    """(a): the plain aggregation, to Arrow; wall and CPU seconds."""
    connection = duckdb.connect(config={"threads": threads} if threads else {})
    started, cpu = time.perf_counter(), time.process_time()
    connection.sql("SELECT customer_id, metric, SUM(quantity) FROM read_parquet("
                   f"{[str(f) for f in files]}) GROUP BY customer_id, metric").to_arrow_table()
    return time.perf_counter() - started, time.process_time() - cpu


def rate_seconds(repo: Path, threads: int | None) -> tuple[float, float]:
    """(b): the ``bareme rate`` command, in this process; wall and CPU seconds."""
    args = ["--repo", str(repo), "--data-dir", str(OUT / "data"), "rate", "--period", PERIOD,
            "--out", str(OUT / "lines.parquet")]
    if threads:
        args += ["--threads", str(threads)]
    started, cpu = time.perf_counter(), time.process_time()
    cli(args, standalone_mode=False)
    return time.perf_counter() - started, time.process_time() - cpu


def main() -> None:
    """Generate (in a child process, so its memory is not counted), then time (a) and (b)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--events", type=int, default=10_000_000)
    parser.add_argument("--customers", type=int, default=10_000)
    parser.add_argument("--metrics", type=int, default=20)
    parser.add_argument("--threads", type=int)
    parser.add_argument("--changes", type=int, choices=(0, 1, 2), default=2,
                        help="Version changes of every rule inside the month (default 2).")
    parser.add_argument("--generate", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--reuse", action="store_true", help="Keep the data of a previous run.")
    parser.add_argument("--repeat", type=int, default=3,
                        help="Runs of (a) then (b), alternately (default 3); medians printed.")
    options = parser.parse_args()
    make_rules(options.metrics, options.changes)
    if options.generate:
        make_usage(options.events, options.customers, options.metrics)
        return
    if not options.reuse:
        started = time.perf_counter()
        subprocess.run([sys.executable, __file__, "--generate", "--events", str(options.events),
                        "--customers", str(options.customers), "--metrics",
                        str(options.metrics)], check=True)
        print(f"generated {options.events:,} events in {time.perf_counter() - started:.1f} s")
    files = sorted((OUT / "data" / "usage").glob(f"period={PERIOD}/*.parquet"))
    runs = []
    for _ in range(options.repeat):  # alternately, so that both see the same machine
        runs.append((*floor_seconds(files, options.threads),
                     *rate_seconds(OUT / "rules", options.threads)))
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    lines = duckdb.connect().execute("SELECT COUNT(*) FROM read_parquet(?)",
                                     [str(OUT / "lines.parquet")]).fetchone()
    print(f"events        {options.events:,}   lines {lines[0] if lines else 0:,}")
    for run, (floor, floor_cpu, rating, rating_cpu) in enumerate(runs, 1):
        print(f"run {run}: (a) floor {floor:.2f} s   (b) rate {rating:.2f} s   "
              f"b/a {rating / floor:.2f}   (CPU: {floor_cpu:.2f} s and {rating_cpu:.2f} s, "
              f"{rating_cpu / floor_cpu:.2f})")
    floor, floor_cpu, rating, rating_cpu = (median(column) for column in zip(*runs, strict=True))
    print(f"(a) floor     {floor:.2f} s   {options.events / floor:,.0f} events/s   (median)")
    print(f"(b) rate      {rating:.2f} s   {options.events / rating:,.0f} events/s   (median)")
    print(f"ratio b/a     {median(r / f for f, _, r, _ in runs):.2f}   (median of the runs; "
          f"CPU time: {median(r / f for _, f, _, r in runs):.2f})")
    print(f"peak memory   {peak:,.0f} MiB (whole process: floor and rate)")

if __name__ == "__main__":
    main()
