"""Usage files read by ``bareme evaluate``: units converted as ingest converts them, and
every problem of the file named at once."""

from __future__ import annotations

import json
from pathlib import Path
from zoneinfo import ZoneInfo

from click.testing import CliRunner

from bareme.cli import cli
from bareme.sample import write_sample
from engine.timeline import parse_period

ROOT = Path(__file__).resolve().parents[2]
HEADER = "event_id,customer_id,metric,quantity,timestamp,unit\n"
IN_SOURCE_UNITS = HEADER + (
    "e2,C-0001,network.egress_gb,200000000000,2026-10-05T12:00:00Z,B\n"
    "e3,C-0001,compute.vcpu_hours,7200,2026-10-10T12:00:00Z,s\n")
IN_CANONICAL_UNITS = HEADER + (
    "e2,C-0001,network.egress_gb,200,2026-10-05T12:00:00Z,\n"
    "e3,C-0001,compute.vcpu_hours,2,2026-10-10T12:00:00Z,h\n")


def evaluate(tmp_path: Path, name: str, text: str) -> tuple[int, str]:
    customers, _ = write_sample(tmp_path, parse_period("2026-10", ZoneInfo("Europe/Paris")))
    usage = tmp_path / name
    usage.write_text(text, encoding="utf-8")
    result = CliRunner().invoke(cli, [
        "--repo", str(ROOT), "evaluate", "--usage", str(usage), "--customers", str(customers),
        "--customer", "C-0001", "--period", "2026-10"])
    return result.exit_code, result.stdout + str(result.exception or "")


def priced(output: str) -> list[tuple[str, str, str]]:
    return [(line["rule_id"], line["quantity"], line["amount"])
            for line in json.loads(output)["lines"]]


def test_evaluate_converts_the_unit_column_as_ingest_does(tmp_path: Path) -> None:
    code, converted = evaluate(tmp_path, "source.csv", IN_SOURCE_UNITS)
    assert code == 0, converted
    code, canonical = evaluate(tmp_path, "canonical.csv", IN_CANONICAL_UNITS)
    assert code == 0, canonical
    assert priced(converted) == priced(canonical)
    # 2 h of vCPU; 200 GB of egress, the first 100 included
    assert priced(converted)[:3] == [("compute.vcpu", "2", "0.08"),
                                     ("network.egress", "100", "0.00"),
                                     ("network.egress", "100", "1.00")]


def test_evaluate_refuses_a_unit_the_metric_does_not_accept(tmp_path: Path) -> None:
    code, output = evaluate(tmp_path, "bad.csv", HEADER +
                            "e2,C-0001,network.egress_gb,2,2026-10-05T12:00:00Z,parsec\n")
    assert code != 0
    assert "bad.csv:1" in output
    assert "usage.unknown_unit" in output
    assert "'parsec'" in output


def test_every_problem_of_a_file_is_named_at_once(tmp_path: Path) -> None:
    code, output = evaluate(tmp_path, "multi.csv", (
        "event_id,customer_id,metric,quantity,timestamp\n"
        "a,C-0001,compute.vcpu_hours,-1,2026-10-03T00:00:00Z\n"
        "b,C-0001,no.such.metric,1,2026-10-03T00:00:00Z\n"
        "c,C-0001,compute.vcpu_hours,1,2026-10-03T00:00:00\n"))
    assert code != 0
    found = [line.split(": ")[0:2] for line in output.splitlines() if "multi.csv" in line]
    assert [(Path(where).name, code) for where, code in found] == [
        ("multi.csv:1:0", "usage.bad_quantity"), ("multi.csv:2:0", "usage.unknown_metric"),
        ("multi.csv:3:0", "usage.bad_timestamp")]


def test_evaluate_reads_what_ingest_reads_a_bom_and_typed_timestamps(tmp_path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    code, canonical = evaluate(tmp_path, "canonical.csv", IN_CANONICAL_UNITS)
    assert code == 0, canonical
    code, with_bom = evaluate(tmp_path, "bom.csv", "\ufeff" + IN_CANONICAL_UNITS)
    assert code == 0, with_bom
    assert priced(with_bom) == priced(canonical)
    typed = tmp_path / "typed.parquet"
    pq.write_table(pa.table({
        "event_id": ["e2", "e3"], "customer_id": ["C-0001", "C-0001"],
        "metric": ["network.egress_gb", "compute.vcpu_hours"],
        "quantity": pa.array(["200", "2"]).cast(pa.decimal128(20, 9)),
        "timestamp": pa.array([1_790_000_000, 1_790_100_000], pa.int64()).cast(
            pa.timestamp("s", "UTC")).cast(pa.timestamp("us", "UTC"))}), typed)
    customers = tmp_path / "customers.yaml"
    result = CliRunner().invoke(cli, [
        "--repo", str(ROOT), "evaluate", "--usage", str(typed), "--customers", str(customers),
        "--customer", "C-0001", "--period", "2026-09"])
    assert result.exit_code == 0, str(result.exception)
    assert [q for r, q, _ in priced(result.stdout) if r == "compute.vcpu"] == ["2"]


def test_unreadable_files_are_named_not_crashes(tmp_path: Path) -> None:
    customers, _ = write_sample(tmp_path, parse_period("2026-10", ZoneInfo("Europe/Paris")))
    broken = tmp_path / "broken.parquet"
    broken.write_text("garbage", encoding="utf-8")
    latin = tmp_path / "latin.csv"
    latin.write_bytes(HEADER.encode() + b"e1,C-0001,m\xe9,1,2026-10-01T00:00:00Z,\n")
    for usage, where, code in ((broken, "broken.parquet:0:0", "usage.unreadable_file"),
                               (latin, "latin.csv:2:12", "file.encoding")):
        result = CliRunner().invoke(cli, [
            "--repo", str(ROOT), "evaluate", "--usage", str(usage), "--customers",
            str(customers), "--period", "2026-10"])
        assert result.exit_code != 0
        assert f"{where}: {code}" in str(result.exception)
    imported = CliRunner().invoke(cli, ["--data-dir", str(tmp_path / "d"), "customers",
                                        "import", str(latin)])
    assert "latin.csv:2:12: file.encoding" in str(imported.exception)


def test_odd_files_are_read_or_refused_alike_by_evaluate_and_ingest(tmp_path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    customers, _ = write_sample(tmp_path, parse_period("2026-10", ZoneInfo("Europe/Paris")))
    twice = tmp_path / "twice.parquet"
    pq.write_table(pa.table([pa.array(["e1"]), pa.array(["e2"])], names=["event_id"] * 2),
                   twice)
    far = tmp_path / "far.parquet"
    pq.write_table(pa.table({
        "event_id": ["e1"], "customer_id": ["C-0001"], "metric": ["compute.vcpu_hours"],
        "quantity": ["1"], "timestamp": pa.array([253_402_300_800_000],
                                                 pa.timestamp("ms", "UTC"))}), far)
    deep = tmp_path / "deep.jsonl"
    deep.write_text("[" * 100_000 + "\n", encoding="utf-8")
    for usage, code in ((twice, "usage.bad_header"), (far, "usage.bad_timestamp"),
                        (deep, "usage.bad_json")):
        result = CliRunner().invoke(cli, [
            "--repo", str(ROOT), "evaluate", "--usage", str(usage), "--customers",
            str(customers), "--period", "2026-10"])
        assert result.exit_code != 0 and code in str(result.exception), usage.name
        stored = CliRunner().invoke(cli, ["--repo", str(ROOT), "--data-dir",
                                          str(tmp_path / usage.stem), "usage", "ingest",
                                          str(usage)])
        assert stored.exit_code == 1, usage.name
        assert "internal error" not in stored.output + str(stored.exception), usage.name
