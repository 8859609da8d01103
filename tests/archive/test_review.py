"""Tax reviewers' tools and the billing run: SQL over the archive, export, resumable runs."""

from __future__ import annotations

import hashlib
import io
import zipfile
from decimal import Decimal
from pathlib import Path

import duckdb
import msgspec
import pytest

import archive.run as run_module
from archive.context import Archive
from archive.export import export, export_zip
from archive.issue import Issued, IssueRequest, issue_invoice
from archive.query import QueryRefused, query
from archive.run import billing_run
from engine.usage import UsageRecord
from tests.archive.conftest import PERIOD, TODAY


def test_sql_over_the_archive_matches_the_documents(archive: Archive,
                                                    usage: tuple[UsageRecord, ...]) -> None:
    issued = [issue_invoice(archive, IssueRequest(customer_id=c, period=PERIOD, records=usage),
                            TODAY) for c in ("C-0001", "C-0002")]
    result = query(archive, "SELECT d.number, d.net, sum(l.amount) FROM documents d "
                            "JOIN lines l USING (number) GROUP BY ALL ORDER BY 1")
    assert result.rows == tuple((i.number, Decimal(i.net), Decimal(i.net)) for i in issued)
    assert query(archive, "SELECT count(*) FROM mentions").columns == ("count_star()",)


@pytest.mark.parametrize("sql", ["COPY documents TO '/tmp/leak.csv'",
                                 "SELECT * FROM read_csv('/etc/hostname')",
                                 "SET enable_external_access = true",
                                 "DELETE FROM documents"])
def test_queries_cannot_reach_outside(archive: Archive, sql: str) -> None:
    with pytest.raises((duckdb.Error, QueryRefused)):
        query(archive, sql)


def test_export_writes_files_and_a_manifest(archive: Archive, usage: tuple[UsageRecord, ...],
                                            tmp_path: Path) -> None:
    number = issue_invoice(archive, IssueRequest(customer_id="C-0001", period=PERIOD,
                                                 records=usage), TODAY).number
    manifest = msgspec.json.decode(export(archive, TODAY, TODAY, tmp_path / "out").read_bytes())
    [entry] = manifest["documents"]
    assert entry["number"] == number
    for name, digest in entry["files"].items():
        data = (tmp_path / "out" / name).read_bytes()
        assert digest == "sha256:" + hashlib.sha256(data).hexdigest()
    assert manifest["chain_head"]["hash"] == entry["record_hash"]
    empty = export(archive, TODAY.replace(day=1), TODAY.replace(day=2), tmp_path / "none")
    assert msgspec.json.decode(empty.read_bytes())["documents"] == []


def test_a_zip_export_holds_the_files_of_the_folder_export(
        archive: Archive, usage: tuple[UsageRecord, ...], tmp_path: Path) -> None:
    for customer in ("C-0001", "C-0002"):
        issue_invoice(archive, IssueRequest(customer_id=customer, period=PERIOD,
                                            records=usage), TODAY)
    export(archive, TODAY, TODAY, tmp_path / "out")
    first, second = io.BytesIO(), io.BytesIO()
    assert export_zip(archive, TODAY, TODAY, first) == 2
    export_zip(archive, TODAY, TODAY, second)
    assert first.getvalue() == second.getvalue()
    with zipfile.ZipFile(first) as bundle:
        members = {name: bundle.read(name) for name in bundle.namelist()}
    assert members == {p.name: p.read_bytes() for p in (tmp_path / "out").iterdir()}
    assert len(members) == 7


def test_billing_run_resumes_without_duplicates(archive: Archive,
                                                usage: tuple[UsageRecord, ...],
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    real = issue_invoice
    calls: list[str] = []

    def stop_after_three(arch: Archive, request: IssueRequest, today: object) -> Issued:
        if len(calls) == 3:
            raise KeyboardInterrupt
        calls.append(request.customer_id)
        return real(arch, request, TODAY)

    monkeypatch.setattr(run_module, "issue_invoice", stop_after_three)
    with pytest.raises(KeyboardInterrupt):
        billing_run(archive, PERIOD, usage, today=TODAY)
    monkeypatch.setattr(run_module, "issue_invoice", real)
    summary = billing_run(archive, PERIOD, usage, today=TODAY)
    assert (summary.issued, summary.already_issued, summary.without_usage) == (6, 3, 0)
    assert summary.numbers == tuple(f"F-2026-{i:06d}" for i in range(1, 10))
    again = billing_run(archive, PERIOD, usage, today=TODAY)
    assert (again.issued, again.already_issued, again.gross) == (0, 9, "0.00")
