"""SQL mediation and ``normalise`` agree row for row: same records, same rejects.

A corpus of good, odd and bad rows is written as CSV, JSON Lines and Parquet; the
streaming path (:mod:`batch.chunks` then :mod:`batch.mediate`) must stage exactly the
records, and report exactly the rejects, that ``normalise`` gives row by row.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any
from unittest.mock import patch
from zoneinfo import ZoneInfo

import duckdb
import msgspec
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from batch.chunks import chunks
from batch.mediate import mediate, mediate_parquet, prepare, recheck, settle
from batch.normalise import Mediation, Normalised, Reject, normalise
from batch.readers import numbered_rows
from engine.diagnostics import Diagnostic, DiagnosticsError
from engine.rules.metrics import Metric, UnitConversion
from engine.rules.origin import Origin

ORIGIN = Origin(path="rulesets/metrics.yaml", line=1, blob="0" * 40)
METRICS = {
    "network.egress_gb": Metric(id="network.egress_gb", unit="GB", origin=ORIGIN, accepts=(
        UnitConversion(unit="B", factor=Decimal("0.000000001")),
        UnitConversion(unit="MB", factor=Decimal("0.001")),
        UnitConversion(unit="TB", factor=Decimal("1000")))),
    "compute.vcpu_hours": Metric(id="compute.vcpu_hours", unit="h", origin=ORIGIN, accepts=(
        UnitConversion(unit="s", divisor=Decimal("3600")),
        UnitConversion(unit="min", divisor=Decimal("60")),
        UnitConversion(unit="half", divisor=Decimal("0.5")))),
}
MEDIATION = Mediation(zone=ZoneInfo("Europe/Paris"), rated=frozenset(METRICS),
                      metrics=METRICS)
WITH_CUSTOMERS = msgspec.structs.replace(MEDIATION, customers=frozenset({"C-1", "C-2"}))

GOOD = {"event_id": "e", "customer_id": "C-1", "metric": "network.egress_gb",
        "quantity": "1.5", "timestamp": "2026-10-03T10:00:00Z", "unit": "", "region": "fr"}
VARIANTS: list[dict[str, str]] = [
    {},
    {"quantity": "0"}, {"quantity": "007.250"}, {"quantity": "999999999999999.999999999"},
    {"quantity": "1000000000000000"}, {"quantity": "0.0000000001"}, {"quantity": "1.0000000000"},
    {"quantity": "-1"}, {"quantity": "-0"}, {"quantity": "1e3"}, {"quantity": " 2"},
    {"quantity": "abc"}, {"quantity": ""}, {"quantity": "NaN"}, {"quantity": "١٢"},
    {"unit": "B", "quantity": "1500000000"}, {"unit": "B", "quantity": "1"},
    {"unit": "B", "quantity": "123456789012345678"}, {"unit": "MB", "quantity": "0.5"},
    {"unit": "TB", "quantity": "2.123456789"}, {"unit": "TB", "quantity": "999999999999"},
    {"unit": "GB", "quantity": "3"}, {"unit": "parsec"}, {"unit": " "}, {"unit": " B"},
    {"metric": "compute.vcpu_hours", "unit": "s", "quantity": "7200"},
    {"metric": "compute.vcpu_hours", "unit": "s", "quantity": "1"},
    {"metric": "compute.vcpu_hours", "unit": "s", "quantity": "0.0000018"},
    {"metric": "compute.vcpu_hours", "unit": "s", "quantity": "0.0000017999"},
    {"metric": "compute.vcpu_hours", "unit": "min", "quantity": "0.00000003"},
    {"metric": "compute.vcpu_hours", "unit": "half", "quantity": "0.123456789"},
    {"metric": "compute.vcpu_hours", "unit": "B"},
    {"metric": "bogus.metric"}, {"metric": ""}, {"metric": " "},
    {"customer_id": "C-9"}, {"customer_id": "\u00a0"}, {"customer_id": " C-2"},
    {"event_id": ""}, {"event_id": "\u2003"}, {"event_id": "é-1"},
    {"timestamp": "2026-10-03T10:00:00"}, {"timestamp": "2026-10-03 10:00:00Z"},
    {"timestamp": "2026-10-03T10:00:00+02:00"}, {"timestamp": "2026-10-31T23:30:00Z"},
    {"timestamp": "2026-10-31T22:59:59.999999Z"}, {"timestamp": "2026-10-25T00:30:00Z"},
    {"timestamp": "2026-03-29T01:30:00Z"}, {"timestamp": "2026-02-30T10:00:00Z"},
    {"timestamp": "2026-10-03T24:00:00Z"}, {"timestamp": "2026-10-03T10:00:00.1234567Z"},
    {"timestamp": "2026-10-03T10:00:00.5-05:30"}, {"timestamp": "2026-10-03T10:00Z"},
    {"timestamp": "1850-10-03T10:00:00Z"}, {"timestamp": "yesterday"},
    {"timestamp": "2026-10-03t10:00:00z"},
    {"region": ""}, {"region": "fr \"nord\""}, {"region": "a\\b"}, {"region": "é\u2028x"},
    {"region": "tab\there"}, {"region": " "},
]


def corpus() -> list[dict[str, str]]:
    """The variants, each with its own event id, and some repeats."""
    rows = [{**GOOD, "event_id": f"e{n}", **v} for n, v in enumerate(VARIANTS)]
    return [*rows, rows[0], {**rows[1], "quantity": "5"}]


def write(folder: Path, kind: str, rows: list[dict[str, Any]]) -> Path:
    path = folder / f"corpus.{kind}"
    if kind == "csv":
        pa_table = pa.table({k: [str(r[k]) for r in rows] for k in rows[0]})
        import pyarrow.csv as pacsv
        pacsv.write_csv(pa_table, path)
    elif kind == "jsonl":
        path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows),
                        encoding="utf-8")
    else:
        pq.write_table(pa.Table.from_pylist(rows), path)
    return path


def by_python(path: Path, mediation: Mediation) -> tuple[set[tuple[Any, ...]], list[Reject]]:
    records: set[tuple[Any, ...]] = set()
    rejects: list[Reject] = []
    for number, row in numbered_rows(path):
        if isinstance(row, Diagnostic):
            rejects.append(Reject(source=str(path), row=number, field="", value="",
                                  code=row.code, reason=row.message))
            continue
        result = normalise(row, str(path), number, mediation)
        if isinstance(result, list):
            rejects.extend(result)
        else:
            records.add(_key(result))
    return records, rejects


def by_sql(path: Path, mediation: Mediation, kind: str = ""
           ) -> tuple[set[tuple[Any, ...]], list[Reject], int]:
    """Records and rejects of the streaming path, and how many rows SQL accepted itself.

    A Parquet file (``kind``) is read whole by DuckDB when its column types allow it.
    """
    connection = duckdb.connect()
    connection.execute("SET TimeZone = 'UTC'")
    prepare(connection, mediation)
    read = 0
    with patch("batch.mediate.normalise", wraps=normalise) as spy:
        whole = mediate_parquet(connection, path, 0, mediation) if kind == "parquet" else None
        for chunk in chunks(path, size=16) if whole is None else ():
            read += mediate(connection, chunk, str(path), 0, mediation)
        read += whole or 0
        recheck(connection, path, 0, mediation)
    settle(connection)
    staged = connection.execute(
        "SELECT row, event_id, customer_id, metric, quantity, timestamp, attributes, period "
        "FROM staging").fetchall()
    rejects = [Reject(source=s, row=r, field=f, value=v, code=c, reason=why, event_id=e)
               for s, r, f, v, c, why, e in connection.execute(
                   "SELECT source, row, field, value, code, reason, event_id FROM rejects "
                   "ORDER BY fi, row, n").fetchall()]
    return ({(r, e, c, m, q.normalize(), t.astimezone(UTC), a, p)
             for r, e, c, m, q, t, a, p in staged}, rejects, read - spy.call_count)


def _key(record: Normalised) -> tuple[Any, ...]:
    return (record.row, record.event_id, record.customer_id, record.metric,
            record.quantity.normalize(), record.timestamp, record.attributes, record.period)


@pytest.mark.parametrize("kind", ["csv", "jsonl", "parquet"])
@pytest.mark.parametrize("mediation", [MEDIATION, WITH_CUSTOMERS], ids=["any", "known"])
def test_sql_and_normalise_give_the_same_records_and_rejects(
        tmp_path: Path, kind: str, mediation: Mediation) -> None:
    path = write(tmp_path, kind, corpus())
    records, rejects = by_python(path, mediation)
    staged, refused, by_itself = by_sql(path, mediation, kind)
    assert staged == records
    assert refused == rejects
    assert by_itself > len(records) // 2, "SQL should accept most good rows by itself"
    assert len(rejects) > 20


def odd_json_lines() -> Iterator[str]:
    yield json.dumps({**GOOD, "event_id": "j1", "quantity": 12})
    yield json.dumps({**GOOD, "event_id": "j2"}).replace('"1.5"', "1.50")
    yield json.dumps({**GOOD, "event_id": "j3"}).replace('"1.5"', "1e3")
    yield json.dumps({**GOOD, "event_id": "j4", "quantity": True})
    yield json.dumps({**GOOD, "event_id": 5})
    yield json.dumps({**GOOD, "event_id": "j6", "region": 3, "zone": None, "tags": ["a"]})
    yield json.dumps({**GOOD, "event_id": "j7", "unit": None})
    yield json.dumps({**GOOD, "event_id": "j8"})[:-1] + ', "region": "dup"}'
    yield json.dumps({**GOOD, "event_id": "j9", "région": "\u00e9t\u00e9"}, ensure_ascii=True)
    yield json.dumps({**GOOD, "event_id": "j10", "quantity": -3})
    yield json.dumps({**GOOD, "event_id": "j11", "quantity": 18446744073709551617})
    yield ""
    yield "   "
    yield '{"event_id": "j12", "customer_id": "C-1"'
    yield "[1, 2]"
    yield "null"
    yield json.dumps({**GOOD, "event_id": "j13", "metric": "compute.vcpu_hours",
                      "unit": "s", "quantity": 5400})


@pytest.mark.parametrize("mediation", [MEDIATION, WITH_CUSTOMERS], ids=["any", "known"])
def test_odd_json_lines_agree_too(tmp_path: Path, mediation: Mediation) -> None:
    path = tmp_path / "odd.jsonl"
    path.write_text("\n".join(odd_json_lines()) + "\n", encoding="utf-8")
    records, rejects = by_python(path, mediation)
    staged, refused, _ = by_sql(path, mediation)
    assert staged == records
    assert refused == rejects
    # line 8 repeats a key; 14 to 16 are not JSON objects
    assert {r.row for r in rejects if r.code == "usage.bad_json"} == {8, 14, 15, 16}


def test_parquet_native_types_agree(tmp_path: Path) -> None:
    paris = ZoneInfo("Europe/Paris")
    table = pa.table({
        "event_id": pa.array([1, 2, 3, 4, 5, 6], pa.int64()),
        "customer_id": ["C-1"] * 6,
        "metric": ["compute.vcpu_hours"] * 6,
        "quantity": pa.array([1.5, 0.1, 1e-5, 2.0, 3.25, 1e16], pa.float64()),
        "timestamp": pa.array([datetime(2026, 10, 31, 23, 30, tzinfo=UTC),
                               datetime(2026, 10, 25, 1, 30, tzinfo=UTC),
                               datetime(2026, 11, 1, 0, 30, tzinfo=paris),
                               datetime(2026, 10, 3, 8, tzinfo=timezone(timedelta(hours=5))),
                               datetime(2026, 10, 3, 8, tzinfo=UTC),
                               datetime(2026, 10, 3, 8, tzinfo=UTC)],
                              pa.timestamp("ms", tz="UTC")),
        "units_sold": pa.array([1, None, 3, 0, 5, 6], pa.int32()),
    })
    naive = table.set_column(4, "timestamp", table.column("timestamp").cast(pa.timestamp("ms")))
    for name, data in (("aware", table), ("naive", naive)):
        path = tmp_path / f"{name}.parquet"
        pq.write_table(data, path)
        records, rejects = by_python(path, MEDIATION)
        staged, refused, _ = by_sql(path, MEDIATION, "parquet")
        assert staged == records
        assert refused == rejects
    assert {r[-1] for r in by_sql(tmp_path / "aware.parquet", MEDIATION, "parquet")[0]} == {
        "2026-10", "2026-11"}


@pytest.mark.parametrize(("name", "text", "words"), [
    ("quoting.csv", 'event_id,customer_id,metric,quantity,timestamp\n'
                    'e1,C-1,network.egress_gb,"1,2026-10-03T10:00:00Z\n', "csv"),
    ("ragged.csv", "event_id,customer_id,metric,quantity,timestamp\n"
                   "e1,C-1,network.egress_gb,1\n", "Expected 5 columns"),
    ("broken.parquet", "PAR1 this is not parquet", "parquet"),
])
def test_an_unreadable_file_is_named(tmp_path: Path, name: str, text: str, words: str) -> None:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    with pytest.raises(DiagnosticsError) as caught:
        for _ in chunks(path):
            pass
    (problem,) = caught.value.diagnostics
    assert problem.path == str(path) and problem.code == "usage.unreadable_file"
    assert words in problem.message


quantities = st.builds(
    lambda whole, fraction: whole + ("." + fraction if fraction else ""),
    st.text("0123456789", min_size=1, max_size=19),
    st.text("0123456789", max_size=12))
units = st.sampled_from(["", "B", "MB", "TB", "GB", "s", "min", "half", "h"])


@settings(max_examples=25)
@given(st.lists(st.tuples(quantities, units, st.booleans()), min_size=1, max_size=60))
def test_conversions_agree_on_any_quantity(tmp_path_factory: pytest.TempPathFactory,
                                           rows: list[tuple[str, str, bool]]) -> None:
    corpus = [{**GOOD, "event_id": f"q{n}", "quantity": quantity, "unit": unit,
               "metric": "compute.vcpu_hours" if hours else "network.egress_gb"}
              for n, (quantity, unit, hours) in enumerate(rows)]
    path = write(tmp_path_factory.mktemp("q"), "csv", corpus)
    records, rejects = by_python(path, MEDIATION)
    staged, refused, _ = by_sql(path, MEDIATION)
    assert staged == records
    assert refused == rejects
