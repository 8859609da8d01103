"""``bareme rate`` writes the same lines as Parquet, CSV and JSON Lines."""

from __future__ import annotations

import csv
import json
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest
from click.testing import CliRunner

from bareme.cli import cli
from bareme.sample import sample_usage
from engine.loading.ruleset import load_ruleset
from engine.store.git import WorktreeSource
from engine.timeline import parse_period
from engine.usage import parse_records
from tests.batch.helpers import engine_rows, store_records

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def rated(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, int]:
    """A data directory holding the demo month, rated into the three formats."""
    ruleset, problems = load_ruleset(WorktreeSource(ROOT))
    assert ruleset is not None, problems
    records, errors = parse_records(sample_usage(parse_period("2026-10", ruleset.zone)),
                                    "sample.jsonl")
    assert not errors
    data = tmp_path_factory.mktemp("data")
    store_records(data, records)
    for name in ("lines.parquet", "lines.csv", "lines.jsonl"):
        done = CliRunner().invoke(cli, ["--repo", str(ROOT), "--data-dir", str(data), "rate",
                                        "--period", "2026-10", "--out", str(data / name),
                                        "--memory-limit", "256MB"])
        assert done.exit_code == 0, done.output
    return data, sum(map(len, engine_rows(ruleset, records).values()))


def test_the_three_formats_hold_the_same_lines(rated: tuple[Path, int]) -> None:
    data, count = rated
    parquet = duckdb.connect().sql(
        f"SELECT * FROM read_parquet('{data / 'lines.parquet'}')").fetchall()
    with (data / "lines.csv").open(encoding="utf-8") as text:
        rows = list(csv.DictReader(text))
    jsonl = [json.loads(line) for line in (data / "lines.jsonl").read_text().splitlines()]
    assert len(parquet) == len(rows) == len(jsonl) == count
    for row, line, record in zip(parquet, rows, jsonl, strict=True):
        assert line["customer_id"] == record["customer_id"] == row[0]
        assert Decimal(line["amount"]) == Decimal(record["amount"]) == row[10]
        assert Decimal(line["quantity"]) == Decimal(record["quantity"]) == row[7]
        assert len(line["amount"].split(".")[1]) == 2  # amounts keep two decimals


def test_parquet_columns_are_exact_decimals(rated: tuple[Path, int]) -> None:
    data, _count = rated
    described = duckdb.connect().sql(
        f"DESCRIBE SELECT * FROM read_parquet('{data / 'lines.parquet'}')").fetchall()
    types = {row[0]: row[1] for row in described}
    assert types["quantity"] == types["unit_price"] == "DECIMAL(38,9)"
    assert types["amount"] == "DECIMAL(38,2)"
    assert types["customer_id"] == types["label"] == "VARCHAR"
