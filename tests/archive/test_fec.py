"""The FEC: the A47 A-1 fields, balanced entries, decimal commas; a snapshot of the file."""

from __future__ import annotations

import io
from decimal import Decimal

from syrupy.assertion import SnapshotAssertion

from archive.context import Archive
from archive.correct import correct
from archive.fec import FIELDS, fec_file_name, fec_lines, fec_name, write_fec
from archive.issue import IssueRequest, issue_invoice
from engine.usage import UsageRecord
from tests.archive.conftest import PERIOD, TODAY, Rules


def test_fec_entries_balance(archive: Archive, rules: Rules, usage: tuple[UsageRecord, ...],
                             snapshot: SnapshotAssertion) -> None:
    for customer in ("C-0001", "C-0006"):
        issue_invoice(archive, IssueRequest(customer_id=customer, period=PERIOD,
                                            records=usage, rev=rules.base), TODAY)
    correct(archive, "F-2026-000001", rules.cheaper, TODAY)
    header, *lines = fec_lines(archive, TODAY, TODAY)
    assert header.split("|") == list(FIELDS)
    entries: dict[str, Decimal] = {}
    for line in lines:
        fields = line.split("|")
        assert len(fields) == 18 and fields[4][:3].isdigit()
        debit, credit = (Decimal(v.replace(",", ".")) for v in fields[11:13])
        assert "." not in fields[11] + fields[12] and (debit == 0 or credit == 0)
        entries[fields[2]] = entries.get(fields[2], Decimal(0)) + debit - credit
    assert set(entries.values()) == {Decimal(0)} and len(entries) == 3
    assert fec_name("802100008", TODAY) == "802100008FEC20261103.txt"
    assert "\n".join([header, *lines]) == snapshot


def test_the_fec_file_is_its_lines_with_crlf(archive: Archive, usage: tuple[UsageRecord, ...]
                                             ) -> None:
    assert fec_file_name(archive, TODAY) == fec_name("802100008", TODAY)
    issue_invoice(archive, IssueRequest(customer_id="C-0001", period=PERIOD, records=usage),
                  TODAY)
    out = io.BytesIO()
    lines = list(fec_lines(archive, TODAY, TODAY))
    assert write_fec(archive, TODAY, TODAY, out) == len(lines) - 1 > 0
    assert out.getvalue() == ("\r\n".join(lines) + "\r\n").encode("utf-8")
    assert fec_file_name(archive, TODAY, "123456782") == fec_name("123456782", TODAY)
