"""``bareme usage ingest``: normalised, deduplicated, rejected with reasons, late kept apart."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from functools import partial
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner, Result

from bareme.cli import cli
from bareme.errors import run_guarded
from batch.closed import ClosedPeriods
from batch.store import UsageStore
from tests.conftest import GitRepo

RULES = """\
    rules:
      - id: egress
        metric: network.egress_gb
        unit: Go
        label: "Trafic sortant"
        versions:
          - effective_from: 2026-01-01
            model: per_unit
            unit_price: "0.01"
      - id: vcpu
        metric: compute.vcpu_hours
        unit: h
        label: "vCPU"
        versions:
          - effective_from: 2026-01-01
            model: graduated
            tiers:
              - {up_to: "10", unit_price: "0.05"}
              - {up_to: null, unit_price: "0.04", flat_fee: "1.00"}
"""
METRICS = """\
    metrics:
      - id: network.egress_gb
        unit: GB
        accepts:
          - {unit: B, factor: "0.000000001"}
      - id: compute.vcpu_hours
        unit: h
        accepts:
          - {unit: s, divisor: "3600"}
"""
HEADER = "event_id,customer_id,metric,quantity,timestamp,unit\n"
GOOD = (HEADER
        + "e1,C-1,network.egress_gb,1500000000,2026-10-03T10:00:00Z,B\n"
        + "e2,C-1,compute.vcpu_hours,7200,2026-10-03T10:00:00+02:00,s\n"
        + "e3,C-2,compute.vcpu_hours,12.5,2026-10-31T23:30:00Z,\n")


@pytest.fixture
def repo(git_repo: GitRepo) -> GitRepo:
    git_repo.commit("rules", {"rulesets/ruleset.yaml": "timezone: Europe/Paris\n",
                              "rulesets/pricing/rules.yaml": RULES,
                              "rulesets/metrics.yaml": METRICS})
    return git_repo


def bareme(repo: GitRepo, data: Path, *args: str) -> Result:
    return CliRunner().invoke(cli, ["--repo", str(repo.root), "--data-dir", str(data), *args])


def stored(data: Path, kind: str = "usage") -> list[tuple[str, str, Decimal, str]]:
    files = [str(p) for p in UsageStore(data).files(kind)]
    if not files:
        return []
    rows = duckdb.connect().execute(
        "SELECT event_id, customer_id, quantity, metric FROM read_parquet(?) ORDER BY event_id",
        [files]).fetchall()
    return [(e, c, q.normalize(), m) for e, c, q, m in rows]


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def test_units_are_converted_and_usage_partitioned_by_local_month(repo: GitRepo,
                                                                 tmp_path: Path) -> None:
    usage = write(tmp_path, "u.csv", GOOD)
    result = bareme(repo, tmp_path / "data", "usage", "ingest", str(usage))
    assert result.exit_code == 0, result.output
    assert "read 3, stored 3" in result.output
    assert stored(tmp_path / "data") == [
        ("e1", "C-1", Decimal("1.5"), "network.egress_gb"),
        ("e2", "C-1", Decimal("2"), "compute.vcpu_hours"),
        ("e3", "C-2", Decimal("12.5"), "compute.vcpu_hours")]
    # 2026-10-31T23:30Z is 2026-11-01 00:30 in Paris: November's usage.
    assert UsageStore(tmp_path / "data").periods() == ["2026-10", "2026-11"]


def test_a_memory_limit_is_taken_and_a_bad_one_named(repo: GitRepo, tmp_path: Path) -> None:
    usage = write(tmp_path, "u.csv", GOOD)
    result = bareme(repo, tmp_path / "data", "usage", "ingest", "--memory-limit", "64MB",
                    str(usage))
    assert result.exit_code == 0, result.output
    assert len(stored(tmp_path / "data")) == 3
    refused = bareme(repo, tmp_path / "other", "usage", "ingest", "--memory-limit", "lots",
                     str(usage))
    assert refused.exit_code != 0
    assert "'lots' is not a memory size" in refused.output
    assert stored(tmp_path / "other") == []


def test_ingesting_twice_or_overlapping_files_stores_each_event_once(repo: GitRepo,
                                                                    tmp_path: Path) -> None:
    first = write(tmp_path, "a.csv", GOOD)
    overlap = write(tmp_path, "b.jsonl", json.dumps({
        "event_id": "e1", "customer_id": "C-1", "metric": "network.egress_gb",
        "quantity": "1.5", "timestamp": "2026-10-03T12:00:00+02:00"}) + "\n")
    data = tmp_path / "data"
    assert bareme(repo, data, "usage", "ingest", str(first)).exit_code == 0
    again = bareme(repo, data, "usage", "ingest", str(first), str(overlap))
    assert again.exit_code == 0, again.output
    assert "stored 0" in again.output and "duplicates 4" in again.output
    assert len(stored(data)) == 3


def test_a_reused_event_id_is_a_conflict_and_never_overwrites(repo: GitRepo,
                                                             tmp_path: Path) -> None:
    data = tmp_path / "data"
    bareme(repo, data, "usage", "ingest", str(write(tmp_path, "a.csv", GOOD)))
    changed = write(tmp_path, "b.csv", HEADER + "e2,C-1,compute.vcpu_hours,9,"
                                                "2026-10-03T10:00:00+02:00,\n")
    result = bareme(repo, data, "usage", "ingest", str(changed), "--max-error-rate", "1")
    assert "conflicts 1" in result.output
    assert ("e2", "C-1", Decimal("2"), "compute.vcpu_hours") in stored(data)
    reject = json.loads(next((data / "rejects").glob("*.jsonl")).read_text())
    assert reject["code"] == "usage.duplicate_conflict"
    assert reject["source"] == str(changed) and reject["row"] == 1


def test_every_rejected_row_is_reported_with_file_row_and_reason(repo: GitRepo,
                                                                tmp_path: Path) -> None:
    bad = write(tmp_path, "bad.csv", GOOD
                + "e4,C-1,compute.vcpu_hours,-1,2026-10-03T10:00:00Z,\n"
                + "e5,C-1,compute.vcpu_hours,1,2026-10-03T10:00:00,\n"
                + "e6,C-1,bogus.metric,1,2026-10-03T10:00:00Z,\n"
                + "e7,C-1,network.egress_gb,1,2026-10-03T10:00:00Z,parsec\n"
                + "e8,C-9,network.egress_gb,1,2026-10-03T10:00:00Z,\n"
                + "e9,C-1,network.egress_gb,0.0000000001,2026-10-03T10:00:00Z,\n")
    customers = write(tmp_path, "customers.yaml", "- {id: C-1, name: Un}\n- {id: C-2, "
                                                  "name: Deux}\n")
    data = tmp_path / "data"
    result = bareme(repo, data, "usage", "ingest", str(bad), "--customers", str(customers))
    assert result.exit_code == 1
    assert "read 9, stored 0" in result.output and "rejected 6" in result.output
    assert "66.67%" in result.output and "nothing was stored" in result.output
    rejects = [json.loads(line) for path in (data / "rejects").glob("*.jsonl")
               for line in path.read_text().splitlines()]
    assert [(r["row"], r["field"], r["code"]) for r in rejects] == [
        (4, "quantity", "usage.bad_quantity"),
        (5, "timestamp", "usage.bad_timestamp"),
        (6, "metric", "usage.unknown_metric"),
        (7, "unit", "usage.unknown_unit"),
        (8, "customer_id", "usage.unknown_customer"),
        (9, "quantity", "usage.quantity_scale")]
    assert all(r["source"] == str(bad) for r in rejects)
    tolerant = bareme(repo, data, "usage", "ingest", str(bad), "--customers", str(customers),
                      "--max-error-rate", "0.7")
    assert tolerant.exit_code == 0 and "stored 3" in tolerant.output


def test_imported_customers_are_the_known_ones_without_a_customers_file(
        repo: GitRepo, tmp_path: Path) -> None:
    data = tmp_path / "data"
    anyone = bareme(repo, data / "before", "usage", "ingest",
                    str(write(tmp_path, "a.csv", GOOD)))
    assert "stored 3" in anyone.output  # no customers loaded: any customer is accepted
    customers = write(tmp_path, "customers.yaml", "- {id: C-1, name: Un, kind: business, "
                                                  "country: FR}\n")
    imported = bareme(repo, data, "customers", "import", str(customers))
    assert imported.exit_code == 0, imported.output
    result = bareme(repo, data, "usage", "ingest", str(write(tmp_path, "b.csv", GOOD)),
                    "--max-error-rate", "0.5")
    assert result.exit_code == 0, result.output
    assert "stored 2" in result.output and "rejected 1" in result.output
    rejects = [json.loads(line) for path in (data / "rejects").glob("*.jsonl")
               for line in path.read_text().splitlines()]
    assert [(r["row"], r["value"], r["code"]) for r in rejects] == [
        (3, "C-2", "usage.unknown_customer")]


def test_late_events_are_kept_apart_and_listed(repo: GitRepo, tmp_path: Path) -> None:
    data = tmp_path / "data"
    ClosedPeriods(data).close("C-1", "2026-10")
    result = bareme(repo, data, "usage", "ingest", str(write(tmp_path, "a.csv", GOOD)))
    assert "stored 1, late 2" in result.output
    assert [e for e, *_ in stored(data)] == ["e3"]
    assert [e for e, *_ in stored(data, "late")] == ["e1", "e2"]
    listed = bareme(repo, data, "usage", "late", "--period", "2026-10")
    header, *rows = listed.output.splitlines()
    assert header.split("\t")[:3] == ["period", "timestamp", "customer_id"]
    assert [(r.split("\t")[0], r.split("\t")[5]) for r in rows] == [
        ("2026-10", "e2"), ("2026-10", "e1")]  # by instant


def test_rate_writes_exact_lines(repo: GitRepo, tmp_path: Path) -> None:
    data = tmp_path / "data"
    bareme(repo, data, "usage", "ingest", str(write(tmp_path, "a.csv", GOOD)))
    out = tmp_path / "lines.csv"
    result = bareme(repo, data, "rate", "--period", "2026-10", "--out", str(out))
    assert result.exit_code == 0, result.output
    rows = out.read_text(encoding="utf-8").splitlines()
    assert rows[0].startswith("customer_id,rule_id,version,override_id,component,tier")
    fields = [r.split(",") for r in rows[1:]]
    assert [(f[0], f[1], f[7], f[10]) for f in fields] == [
        ("C-1", "egress", "1.5", "0.02"), ("C-1", "vcpu", "2", "0.10")]


def test_rate_refuses_a_period_without_usage(repo: GitRepo, tmp_path: Path) -> None:
    result = bareme(repo, tmp_path / "data", "rate", "--period", "2026-10")
    assert result.exit_code == 1
    assert "no stored usage for 2026-10" in result.output


def test_parquet_with_native_timestamps_and_decimals(repo: GitRepo, tmp_path: Path) -> None:
    table = pa.table({
        "event_id": ["p1", "p2"], "customer_id": ["C-1", "C-1"],
        "metric": ["compute.vcpu_hours"] * 2,
        "quantity": pa.array([Decimal("1.25"), Decimal("3")], pa.decimal128(10, 2)),
        "timestamp": pa.array([datetime(2026, 10, 5, 8, tzinfo=UTC),
                               datetime(2026, 10, 6, 8, tzinfo=UTC)],
                              pa.timestamp("us", tz="UTC")),
    })
    path = tmp_path / "u.parquet"
    pq.write_table(table, path)
    result = bareme(repo, tmp_path / "data", "usage", "ingest", str(tmp_path / "*.parquet"))
    assert result.exit_code == 0, result.output
    assert [(e, q) for e, _, q, _ in stored(tmp_path / "data")] == [
        ("p1", Decimal("1.25")), ("p2", Decimal("3"))]


def rejects_of(data: Path) -> list[dict[str, object]]:
    return [json.loads(line) for path in sorted((data / "rejects").glob("*.jsonl"))
            for line in path.read_text(encoding="utf-8").splitlines()]


def test_repeats_within_a_file_and_across_files_are_duplicates_or_conflicts(
        repo: GitRepo, tmp_path: Path) -> None:
    first = write(tmp_path, "a.csv", GOOD + "e1,C-1,network.egress_gb,1500000000,"
                                            "2026-10-03T12:00:00+02:00,B\n")
    second = write(tmp_path, "b.jsonl", "\n".join([
        json.dumps({"event_id": "e2", "customer_id": "C-1", "metric": "compute.vcpu_hours",
                    "quantity": "2", "timestamp": "2026-10-03T08:00:00Z"}),
        "",
        json.dumps({"event_id": "e3", "customer_id": "C-2", "metric": "compute.vcpu_hours",
                    "quantity": "99", "timestamp": "2026-10-31T23:30:00Z"})]) + "\n")
    data = tmp_path / "data"
    result = bareme(repo, data, "usage", "ingest", str(first), str(second),
                    "--max-error-rate", "0.5")
    assert result.exit_code == 0, result.output
    assert "read 6, stored 3, late 0, duplicates 2, rejected 1 (conflicts 1)" in result.output
    (conflict,) = rejects_of(data)
    assert conflict == {
        "source": str(second), "row": 3, "field": "event_id", "value": "e3",
        "code": "usage.duplicate_conflict",
        "reason": f"event id 'e3' was first given by record 3 of {first} with different "
                  "content; that event is kept",
        "event_id": "e3"}
    assert ("e3", "C-2", Decimal("12.5"), "compute.vcpu_hours") in stored(data)


def test_a_row_is_compared_with_the_stored_event_not_with_a_rejected_row(
        repo: GitRepo, tmp_path: Path) -> None:
    data = tmp_path / "data"
    event = {"event_id": "x", "customer_id": "C-1", "metric": "compute.vcpu_hours",
             "timestamp": "2026-10-03T08:00:00Z"}
    bareme(repo, data, "usage", "ingest",
           str(write(tmp_path, "x1.jsonl", json.dumps({**event, "quantity": "1"}) + "\n")))
    again = write(tmp_path, "x2.jsonl", json.dumps({**event, "quantity": "2"}) + "\n"
                  + json.dumps({**event, "quantity": "1"}) + "\n")
    result = bareme(repo, data, "usage", "ingest", str(again), "--max-error-rate", "0.5")
    assert "read 2, stored 0, late 0, duplicates 1, rejected 1 (conflicts 1)" in result.output
    (conflict,) = rejects_of(data)
    assert (conflict["row"], conflict["code"]) == (1, "usage.duplicate_conflict")
    assert "x1.jsonl" in str(conflict["reason"])
    assert stored(data) == [("x", "C-1", Decimal("1"), "compute.vcpu_hours")]


def test_every_reject_code_names_source_row_and_field(repo: GitRepo, tmp_path: Path) -> None:
    csv_file = write(tmp_path, "bad.csv", HEADER
                     + ",C-1,network.egress_gb,1,2026-10-03T10:00:00Z,\n"
                     + "x2,C-1,network.egress_gb,1000000000000000,2026-10-03T10:00:00Z,\n"
                     + "x3,C-1,network.egress_gb,12abc,2026-10-03T10:00:00Z,\n")
    lines = write(tmp_path, "bad.jsonl", "\n\n{\"event_id\": \"j1\",\n[1]\n"
                  '{"event_id": "j5", "customer_id": "C-1", "metric": "network.egress_gb", '
                  '"quantity": "1", "timestamp": "2026-10-03T10:00:00Z", "zone": {"a": 1}}\n'
                  '{"event_id": "j6", "customer_id": "C-1", "metric": "network.egress_gb", '
                  '"quantity": "1", "timestamp": "9999-12-31T23:59:59Z"}\n')
    data = tmp_path / "data"
    result = bareme(repo, data, "usage", "ingest", str(csv_file), str(lines))
    assert result.exit_code == 1
    assert "read 7, stored 0" in result.output and "rejected 7" in result.output
    rejects = rejects_of(data)
    assert [(r["source"], r["row"], r["field"], r["code"]) for r in rejects] == [
        (str(csv_file), 1, "event_id", "usage.missing_field"),
        (str(csv_file), 2, "quantity", "usage.quantity_too_large"),
        (str(csv_file), 3, "quantity", "usage.bad_quantity"),
        (str(lines), 3, "", "usage.bad_json"),
        (str(lines), 4, "", "usage.bad_json"),
        (str(lines), 5, "zone", "usage.bad_attribute"),
        (str(lines), 6, "timestamp", "usage.bad_timestamp")]
    assert "'{\"event_id\": \"j1\",'" in str(rejects[3]["reason"])  # the line, quoted
    assert rejects[5]["value"] == '{"a":1}'
    assert "outside the years 1900 to 2999" in str(rejects[6]["reason"])
    assert not UsageStore(data).files("usage")


def test_a_refused_run_stores_nothing(repo: GitRepo, tmp_path: Path) -> None:
    bad = write(tmp_path, "bad.csv", GOOD + "e4,C-1,compute.vcpu_hours,-1,"
                                            "2026-10-03T10:00:00Z,\n")
    data = tmp_path / "data"
    result = bareme(repo, data, "usage", "ingest", str(bad), "--max-error-rate", "0.2")
    assert result.exit_code == 1 and "25.00%" in result.output
    assert not UsageStore(data).files("usage") and not UsageStore(data).files("late")
    assert not list(data.glob(".ingest-*")), "the run's working folder is removed"
    again = bareme(repo, data, "usage", "ingest", str(bad), "--max-error-rate", "0.25")
    assert again.exit_code == 0 and "stored 3" in again.output


@pytest.mark.parametrize(("name", "text", "words"), [
    ("quoting.csv", HEADER + 'e9,C-1,network.egress_gb,"1,2026-10-03T10:00:00Z,\n', "csv"),
    ("ragged.csv", HEADER + "e9,C-1,network.egress_gb\n", "Expected 6 columns"),
    ("broken.parquet", "PAR1 not parquet at all", "parquet"),
])
def test_a_malformed_file_is_named_and_nothing_is_stored(
        repo: GitRepo, tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str,
        text: str, words: str) -> None:
    good = write(tmp_path, "good.csv", GOOD)
    broken = write(tmp_path, name, text)
    data = tmp_path / "data"
    code = run_guarded(partial(cli.main, ["--repo", str(repo.root), "--data-dir", str(data),
                                          "usage", "ingest", str(good), str(broken)]))
    error = capsys.readouterr().err
    assert code == 1 and "Traceback" not in error
    assert f"{broken}:0:0: usage.unreadable_file: cannot read this" in error
    assert words in error and "nothing was stored" in error
    assert not UsageStore(data).files("usage")


def test_periods_are_paris_months_across_midnight_and_daylight_saving(
        repo: GitRepo, tmp_path: Path) -> None:
    instants = {"m1": "2026-03-31T21:59:59Z",   # 23:59:59 CEST: March
                "m2": "2026-03-31T22:00:00Z",   # 00:00 CEST: April
                "m3": "2026-03-29T00:59:59Z",   # just before the spring change
                "m4": "2026-10-31T22:59:59Z",   # 23:59:59 CET: October
                "m5": "2026-10-31T23:00:00Z",   # 00:00 CET: November
                "m6": "2026-10-25T00:30:00+00:00",  # 02:30 CEST, before the autumn change
                "m7": "2026-10-31T23:59:59+01:00"}
    usage = write(tmp_path, "dst.csv", HEADER + "".join(
        f"{e},C-1,compute.vcpu_hours,1,{t},\n" for e, t in instants.items()))
    data = tmp_path / "data"
    assert bareme(repo, data, "usage", "ingest", str(usage)).exit_code == 0
    periods = dict(duckdb.connect().execute(
        "SELECT event_id, regexp_extract(filename, 'period=([0-9-]+)', 1) "
        "FROM read_parquet(?, filename = true)",
        [[str(p) for p in UsageStore(data).files("usage")]]).fetchall())
    assert periods == {"m1": "2026-03", "m2": "2026-04", "m3": "2026-03", "m4": "2026-10",
                       "m5": "2026-11", "m6": "2026-10", "m7": "2026-10"}


def test_a_failed_write_leaves_no_partial_file(tmp_path: Path) -> None:
    store = UsageStore(tmp_path)

    def crash(path: Path) -> None:
        path.write_bytes(b"PAR1 half a file")
        raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        store.publish("usage", "2026-10", "run", crash)
    assert not store.files("usage") and not list(tmp_path.rglob("*.tmp"))


def test_rate_out_to_a_directory_is_named_and_leaves_nothing(repo: GitRepo,
                                                           tmp_path: Path) -> None:
    data = tmp_path / "data"
    bareme(repo, data, "usage", "ingest", str(write(tmp_path, "a.csv", GOOD)))
    folder = tmp_path / "lines.csv"
    folder.mkdir()
    result = bareme(repo, data, "rate", "--period", "2026-10", "--out", str(folder))
    assert result.exit_code == 1
    assert f"--out {folder} is a directory" in result.output
    assert not list(tmp_path.glob(".lines.csv*"))


def test_a_column_named_twice_is_refused_not_guessed(repo: GitRepo, tmp_path: Path) -> None:
    twice = write(tmp_path, "twice.csv", "event_id,customer_id,metric,quantity,timestamp,"
                  "quantity\ne1,C-1,compute.vcpu_hours,1,2026-10-03T10:00:00Z,500\n")
    data = tmp_path / "data"
    result = bareme(repo, data, "usage", "ingest", str(twice))
    assert result.exit_code == 1
    assert "usage.bad_header" in str(result.exception)
    assert "'quantity'" in str(result.exception)
    assert not UsageStore(data).files("usage")


def test_an_empty_rev_is_refused_not_taken_for_head(repo: GitRepo, tmp_path: Path) -> None:
    result = bareme(repo, tmp_path / "data", "usage", "ingest",
                    str(write(tmp_path, "a.csv", GOOD)), "--rev", "")
    assert result.exit_code == 1 and "the revision is empty" in str(result.exception)


def test_byte_order_marks_nanoseconds_and_wide_decimals_are_read_or_refused_by_row(
        repo: GitRepo, tmp_path: Path) -> None:
    with_bom = write(tmp_path, "bom.csv", "\ufeff" + GOOD)
    lines = write(tmp_path, "bom.jsonl", '\ufeff{"event_id": "j1", "customer_id": "C-1", '
                  '"metric": "compute.vcpu_hours", "quantity": "1", '
                  '"timestamp": "2026-10-03T10:00:00Z", "gpu": true}\n')
    nano = tmp_path / "nano.parquet"
    second = 1_790_000_000_000_000_000  # 2026-09-21T14:13:20Z, in nanoseconds
    pq.write_table(pa.table({
        "event_id": ["n1", "n2"], "customer_id": ["C-1", "C-1"],
        "metric": ["compute.vcpu_hours"] * 2,
        "quantity": pa.array(["1.5", "2"]).cast(pa.decimal256(50, 10)),
        "timestamp": pa.array([second + 123_456_789, second + 123_456_000],
                              pa.timestamp("ns", "UTC"))}), nano)
    digits = write(tmp_path, "digits.csv", HEADER +
                   "d1,C-1,compute.vcpu_hours,\u0661\u0662,2026-10-03T10:00:00Z,\n")
    data = tmp_path / "data"
    result = bareme(repo, data, "usage", "ingest", str(with_bom), str(lines), str(nano),
                    str(digits), "--max-error-rate", "0.5")
    assert result.exit_code == 0, result.output
    assert "read 7, stored 5" in result.output and "rejected 2" in result.output
    assert [(r["source"], r["code"]) for r in rejects_of(data)] == [
        (str(nano), "usage.bad_timestamp"), (str(digits), "usage.bad_quantity")]
    assert ("n2", "C-1", Decimal("2"), "compute.vcpu_hours") in stored(data, "usage")
    attributes = duckdb.connect().execute(
        "SELECT attributes FROM read_parquet(?) WHERE event_id = 'j1'",
        [[str(p) for p in UsageStore(data).files("usage")]]).fetchall()
    assert attributes == [('{"gpu":"true"}',)]


def test_a_json_key_given_twice_is_refused_not_guessed(repo: GitRepo, tmp_path: Path) -> None:
    lines = write(tmp_path, "twice.jsonl", '{"event_id": "t1", "customer_id": "C-1", '
                  '"metric": "compute.vcpu_hours", "quantity": "1", "quantity": "500", '
                  '"timestamp": "2026-10-03T10:00:00Z"}\n')
    data = tmp_path / "data"
    result = bareme(repo, data, "usage", "ingest", str(lines))
    assert result.exit_code == 1
    (reject,) = rejects_of(data)
    assert reject["code"] == "usage.bad_json"
    assert "key 'quantity' appears more than once" in str(reject["reason"])


def test_many_chunks_are_streamed_and_stored_once(repo: GitRepo, tmp_path: Path) -> None:
    table = pa.table({
        "event_id": [f"p{i}" for i in range(3000)],
        "customer_id": ["C-1"] * 3000,
        "metric": ["network.egress_gb"] * 3000,
        "quantity": [str(i) for i in range(3000)],
        "unit": ["B"] * 3000,
        "timestamp": ["2026-10-05T08:00:00Z"] * 3000,
    })
    path = tmp_path / "u.parquet"
    pq.write_table(table, path, row_group_size=500)
    data = tmp_path / "data"
    result = bareme(repo, data, "usage", "ingest", str(path))
    assert "read 3000, stored 3000" in result.output
    total = duckdb.connect().execute("SELECT sum(quantity), count(DISTINCT event_id) "
                                     "FROM read_parquet(?)",
                                     [[str(p) for p in UsageStore(data).files("usage")]]
                                     ).fetchall()
    assert total == [(Decimal("0.004498500"), 3000)]


@pytest.mark.parametrize("header", ["event_id,customer_id,metric,quantity,timestamp",
                                    "event_id,customer_id,metric,quantity,timestamp\r\n",
                                    "\ufeffevent_id,customer_id,metric,quantity,timestamp"])
def test_a_csv_header_alone_is_no_rows_with_or_without_its_line_end(
        repo: GitRepo, tmp_path: Path, header: str) -> None:
    result = bareme(repo, tmp_path / "data", "usage", "ingest",
                    str(write(tmp_path, "header.csv", header)))
    assert result.exit_code == 0, result.output
    assert "read 0, stored 0" in result.output


def test_a_file_name_with_brackets_is_read_as_written(repo: GitRepo, tmp_path: Path) -> None:
    named = write(tmp_path, "w[1].csv", GOOD)
    result = bareme(repo, tmp_path / "data", "usage", "ingest", str(named))
    assert result.exit_code == 0, result.output
    result = bareme(repo, tmp_path / "data", "usage", "ingest", str(tmp_path))
    assert result.exit_code == 1 and "is a directory" in str(result.output)


def test_damaged_files_of_the_data_directory_are_named(repo: GitRepo, tmp_path: Path) -> None:
    data = tmp_path / "data"
    assert bareme(repo, data, "usage", "ingest", str(write(tmp_path, "a.csv", GOOD))
                  ).exit_code == 0
    junk = UsageStore(data).folder("usage", "2026-10") / "part-junk.parquet"
    junk.write_bytes(b"junk\n")
    result = bareme(repo, data, "rate", "--period", "2026-10")
    assert result.exit_code == 1
    assert "part-junk.parquet" in str(result.exception) and "cannot be read" in str(
        result.exception)
    junk.unlink()
    (data / "closed.json").write_text("{")
    result = bareme(repo, data, "usage", "ingest", str(write(tmp_path, "b.csv", GOOD)))
    assert result.exit_code == 1
    assert "closed.json" in str(result.exception)
    assert "usage.bad_closed_periods" in str(result.exception)


def test_too_small_a_memory_limit_is_named_not_a_crash(repo: GitRepo, tmp_path: Path) -> None:
    result = bareme(repo, tmp_path / "data", "usage", "ingest",
                    str(write(tmp_path, "a.csv", GOOD)), "--memory-limit", "1KB")
    assert result.exit_code == 1
    assert "ingest failed, nothing was stored" in result.output


def test_rules_in_other_terms_than_the_stored_usage_are_refused(repo: GitRepo,
                                                                tmp_path: Path) -> None:
    data = tmp_path / "data"
    assert bareme(repo, data, "usage", "ingest", str(write(tmp_path, "a.csv", GOOD))
                  ).exit_code == 0
    paris = repo.git("rev-parse", "HEAD")
    # Months of New York: the Paris partition of October misses records of that month.
    repo.commit("other zone", {"rulesets/ruleset.yaml": "timezone: America/New_York\n"})
    refused = bareme(repo, data, "rate", "--period", "2026-10")
    assert refused.exit_code == 1
    assert "stored as months of Europe/Paris" in str(refused.exception)
    assert "America/New_York" in str(refused.exception)
    # Hours became minutes: the stored quantities are hours.
    repo.commit("minutes", {"rulesets/ruleset.yaml": "timezone: Europe/Paris\n",
                            "rulesets/metrics.yaml": METRICS.replace(
                                "id: compute.vcpu_hours\n        unit: h",
                                "id: compute.vcpu_hours\n        unit: min")})
    refused = bareme(repo, data, "rate", "--period", "2026-10")
    assert refused.exit_code == 1
    assert "'compute.vcpu_hours' were stored in h" in str(refused.exception)
    assert "usage.stored_in_other_terms" in str(refused.exception)
    assert bareme(repo, data, "rate", "--period", "2026-10", "--rev", paris).exit_code == 0


def test_a_rejected_row_gives_every_reason_at_once(repo: GitRepo, tmp_path: Path) -> None:
    customers = write(tmp_path, "customers.yaml", "- id: C-1\n  name: Un\n")
    line = ('{"event_id": "k6", "customer_id": "Kx", "metric": "nope", "quantity": "-1", '
            '"timestamp": "2026-10-05T10:00:00"}\n')
    data = tmp_path / "data"
    result = bareme(repo, data, "usage", "ingest", str(write(tmp_path, "k.jsonl", line)),
                    "--customers", str(customers), "--max-error-rate", "1")
    assert result.exit_code == 0, result.output
    (rejects,) = (data / "rejects").glob("*.jsonl")
    codes = sorted(json.loads(text)["code"] for text in rejects.read_text().splitlines())
    assert codes == ["usage.bad_quantity", "usage.bad_timestamp", "usage.unknown_customer",
                     "usage.unknown_metric"]


def test_the_printed_summary_escapes_a_tab_in_an_id_and_counts_in_words(
        repo: GitRepo, tmp_path: Path) -> None:
    data = tmp_path / "data"
    one = write(tmp_path, "one.jsonl", '{"event_id": "t1", "customer_id": "C\\t1", '
                '"metric": "network.egress_gb", "quantity": "2", '
                '"timestamp": "2026-10-03T10:00:00Z"}\n')
    assert bareme(repo, data, "usage", "ingest", str(one)).exit_code == 0
    result = bareme(repo, data, "rate", "--period", "2026-10")
    assert result.exit_code == 0, result.output
    (row,) = [r for r in result.stdout.splitlines() if r.startswith("C\\t1")]
    assert row.split("\t")[:2] == ["C\\t1", "egress"]
    assert "1 line, 1 customer," in result.stderr


def test_an_amount_beyond_batch_digits_is_explained(repo: GitRepo, tmp_path: Path) -> None:
    repo.commit("huge", {"rulesets/pricing/rules.yaml": RULES.replace(
        'unit_price: "0.01"', 'unit_price: "999999999999999.5"')})
    data = tmp_path / "data"
    huge = write(tmp_path, "huge.csv", HEADER + "h1,C-1,network.egress_gb,"
                 "999999999999999.999999999,2026-10-03T10:00:00Z,\n")
    assert bareme(repo, data, "usage", "ingest", str(huge)).exit_code == 0
    result = bareme(repo, data, "rate", "--period", "2026-10")
    assert result.exit_code == 1
    assert "exceeds the 38 digits" in result.output and "bareme evaluate" in result.output


def test_a_32_bit_float_quantity_reads_as_its_shortest_text_on_every_path(
        repo: GitRepo, tmp_path: Path) -> None:
    path = tmp_path / "f32.parquet"
    pq.write_table(pa.table({
        "event_id": ["e1", "e2", "e3"], "customer_id": ["C-1"] * 3,
        "metric": ["compute.vcpu_hours"] * 3,
        "quantity": pa.array([100000.1, 100000.1, 0.3], pa.float32()),
        "timestamp": ["2026-10-05T12:00:00Z"] * 3,
        # a quote leaves the row to the row-by-row path instead of SQL
        "note": ["plain", 'say "hi"', 'say "hi"']}), path)
    data = tmp_path / "data"
    result = bareme(repo, data, "usage", "ingest", str(path))
    assert result.exit_code == 0, result.output
    assert [(e, q) for e, _, q, _ in stored(data)] == [
        ("e1", Decimal("100000.1")), ("e2", Decimal("100000.1")), ("e3", Decimal("0.3"))]


@pytest.mark.parametrize("zone", ["America/Vancouver", "Europe/London", "Africa/Casablanca",
                                  "Pacific/Chatham", "Europe/Paris"])
def test_the_partition_is_the_local_month_python_reckons(git_repo: GitRepo, tmp_path: Path,
                                                         zone: str) -> None:
    from datetime import timedelta
    from zoneinfo import ZoneInfo

    git_repo.commit("rules", {"rulesets/ruleset.yaml": f"timezone: {zone}\n",
                              "rulesets/pricing/rules.yaml": RULES,
                              "rulesets/metrics.yaml": METRICS})
    local = ZoneInfo(zone)
    # Around every local month start of two years, a microsecond each side.
    instants = []
    for year in (2026, 2027):
        for month in range(1, 13):
            start = datetime(year, month, 1, tzinfo=local).astimezone(UTC)
            instants += [start - timedelta(microseconds=1), start]
    text = HEADER + "".join(f"e{i},C-1,compute.vcpu_hours,1,{t.isoformat()},\n"
                            for i, t in enumerate(instants))
    data = tmp_path / "data"
    result = bareme(git_repo, data, "usage", "ingest", str(write(tmp_path, "u.csv", text)))
    assert result.exit_code == 0, result.output
    files = [str(p) for p in UsageStore(data).files("usage")]
    rows = duckdb.connect().execute(
        "SELECT event_id, regexp_extract(filename, 'period=([0-9-]+)', 1) "
        "FROM read_parquet(?, filename = true, hive_partitioning = false)", [files]).fetchall()
    expected = {f"e{i}": f"{t.astimezone(local):%Y-%m}" for i, t in enumerate(instants)}
    assert dict(rows) == expected


def test_a_large_32_bit_float_quantity_is_decided_alike_by_every_path(
        repo: GitRepo, tmp_path: Path) -> None:
    path = tmp_path / "big.parquet"
    pq.write_table(pa.table({
        "event_id": ["b1"], "customer_id": ["C-1"], "metric": ["compute.vcpu_hours"],
        "quantity": pa.array([123456790528.0], pa.float32()),
        "timestamp": ["2026-10-05T12:00:00Z"]}), path)
    result = bareme(repo, tmp_path / "data", "usage", "ingest", str(path),
                    "--max-error-rate", "1")
    assert result.exit_code == 0, result.output
    assert "stored 0" in result.output and "rejected 1" in result.output
