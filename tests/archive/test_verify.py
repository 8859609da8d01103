"""Tampering with the archive, in the database and in the files, is detected and named."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy import insert, text
from sqlalchemy.sql import Executable

from archive.context import Archive
from archive.issue import IssueRequest, issue_invoice
from archive.records import DocumentRow
from archive.replay import AlteredInput, load, replay
from archive.seal import record_hash
from archive.verify import verify
from engine.usage import UsageRecord
from tests.archive.conftest import PERIOD, TODAY

TABLE = DocumentRow.__table__  # type: ignore[attr-defined]
N1, N2, N3, N4 = (f"F-2026-00000{i}" for i in range(1, 5))


@pytest.fixture
def filled(archive: Archive, usage: tuple[UsageRecord, ...]) -> Archive:
    for customer in ("C-0001", "C-0002", "C-0003", "C-0004"):
        issue_invoice(archive, IssueRequest(customer_id=customer, period=PERIOD,
                                            records=usage), TODAY)
    assert verify(archive).intact
    return archive


def tamper(archive: Archive, *statements: str | Executable) -> None:
    """Run SQL as an attacker with database access would: triggers dropped first."""
    with archive.engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text("ALTER TABLE documents DISABLE TRIGGER documents_immutable"))
        else:
            conn.execute(text("DROP TRIGGER IF EXISTS documents_no_update"))
            conn.execute(text("DROP TRIGGER IF EXISTS documents_no_delete"))
        for statement in statements:
            conn.execute(text(statement) if isinstance(statement, str) else statement)


def problems(archive: Archive) -> str:
    report = verify(archive)
    assert not report.intact
    return "\n".join(report.problems)


def test_an_intact_archive(filled: Archive) -> None:
    report = verify(filled)
    assert (report.records, report.files, report.problems) == (4, 16, ())


def test_altered_record(filled: Archive) -> None:
    tamper(filled, f"UPDATE documents SET gross = '1.00' WHERE number = '{N2}'")
    assert f"{N2}: altered" in problems(filled)


def test_deleted_record(filled: Archive) -> None:
    tamper(filled, f"DELETE FROM documents WHERE number = '{N2}'")
    found = problems(filled)
    assert f"{N2}: missing (deleted)" in found
    assert f"{N3}: the record sealed before it is missing (deleted); it follows {N1}" in found


def test_deleted_last_record(filled: Archive) -> None:
    tamper(filled, f"DELETE FROM documents WHERE number = '{N4}'")
    found = problems(filled)
    assert f"{N4}: missing (deleted)" in found
    assert "the last record(s) were deleted" in found


def test_reordered_records(filled: Archive) -> None:
    tamper(filled, f"UPDATE documents SET position = 99 WHERE number = '{N2}'",
           f"UPDATE documents SET position = 2 WHERE number = '{N3}'",
           f"UPDATE documents SET position = 3 WHERE number = '{N2}'")
    found = problems(filled)
    assert f"{N3}: reordered: it was sealed after {N2} but follows {N1}" in found


def test_inserted_record_at_the_end_even_when_sealed(filled: Archive) -> None:
    row, _ = load(filled, N4)
    fake = DocumentRow(**{**row.model_dump(), "number": "F-2026-000005", "seq": 5,
                          "position": 5, "idempotency_key": "forged",
                          "prev_hash": row.record_hash})
    fake.record_hash = record_hash(fake)
    tamper(filled, insert(TABLE).values(**fake.model_dump()))
    assert f"F-2026-000005: inserted after the chain head ({N4})" in problems(filled)


def test_inserted_record_in_the_middle(filled: Archive) -> None:
    tamper(filled,
           "UPDATE documents SET position = position + 10 WHERE position >= 3",
           "UPDATE documents SET position = position - 9 WHERE position >= 13")
    row, _ = load(filled, N2)
    values = {**row.model_dump(), "number": "F-2026-000077", "seq": 77, "position": 3,
              "idempotency_key": "forged", "prev_hash": row.record_hash, "record_hash": "f" * 64}
    tamper(filled, insert(TABLE).values(**values))
    found = problems(filled)
    assert "F-2026-000077: altered" in found
    assert f"F-2026-000077: inserted: {N3} was sealed right after {N2}" in found


@pytest.mark.parametrize(("field", "change"), [
    ("pdf", lambda p: p.write_bytes(p.read_bytes() + b"%")),
    ("json", lambda p: p.write_bytes(p.read_bytes().replace(b'"net"', b'"Net"', 1))),
    ("facturx", lambda p: p.unlink()),
    ("usage", lambda p: p.write_bytes(b"[]")),
])
def test_tampered_files(filled: Archive, field: str, change: Callable[..., None]) -> None:
    row, _ = load(filled, N3)
    path = filled.files.path(getattr(row, f"{field}_sha256"))
    change(path)
    word = "missing" if field == "facturx" else "altered"
    assert f"{N3}: {field} file {word}" in problems(filled)
    if field in ("json", "usage"):
        with pytest.raises(AlteredInput, match=f"{N3}: archived {field} file is altered"):
            replay(filled, N3)


@pytest.mark.postgres
def test_tampering_on_postgres(pg_archive: Archive, usage: tuple[UsageRecord, ...]) -> None:
    for customer in ("C-0001", "C-0002", "C-0003"):
        issue_invoice(pg_archive, IssueRequest(customer_id=customer, period=PERIOD,
                                               records=usage), TODAY)
    assert verify(pg_archive).intact
    with pytest.raises(Exception, match="immutable"), pg_archive.engine.begin() as conn:
        conn.execute(text(f"DELETE FROM documents WHERE number = '{N1}'"))
    tamper(pg_archive, f"UPDATE documents SET net = '0.00' WHERE number = '{N1}'",
           f"DELETE FROM documents WHERE number = '{N2}'")
    found = problems(pg_archive)
    assert f"{N1}: altered" in found
    assert f"{N2}: missing (deleted)" in found
