from __future__ import annotations

import importlib
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from archive.context import Archive
from archive.correct import CorrectedMeanwhile, NotCorrectable, correct
from archive.customers import UnknownCustomer
from archive.issue import IdempotencyConflict, IssueRequest, NothingToBill, issue_invoice
from archive.replay import UnknownDocument, explain, load, replay
from engine.usage import UsageRecord
from tests.archive.conftest import PERIOD, TODAY, Rules

correct_module = importlib.import_module("archive.correct")
"""The module (the package's ``correct`` attribute is the function of that name)."""


def request(usage: tuple[UsageRecord, ...], customer: str = "C-0001", **more: str) -> IssueRequest:
    return IssueRequest(customer_id=customer, period=PERIOD, records=usage, **more)


def test_issue_numbers_and_is_idempotent(archive: Archive, usage: tuple[UsageRecord, ...]) -> None:
    first = issue_invoice(archive, request(usage), TODAY)
    again = issue_invoice(archive, request(usage), TODAY)
    second = issue_invoice(archive, request(usage, "C-0002"), TODAY)
    assert (first.number, first.created) == ("F-2026-000001", True)
    assert (again.number, again.created) == ("F-2026-000001", False)
    assert second.number == "F-2026-000002"
    assert first.gross != "0.00"


def test_same_key_for_another_request_is_refused(archive: Archive,
                                                  usage: tuple[UsageRecord, ...]) -> None:
    issue_invoice(archive, request(usage, idempotency_key="k-1"), TODAY)
    fewer = tuple(r for r in usage if r.metric != "compute.vcpu_hours")
    with pytest.raises(IdempotencyConflict, match="k-1"):
        issue_invoice(archive, IssueRequest(customer_id="C-0001", period=PERIOD, records=fewer,
                                            idempotency_key="k-1"), TODAY)


def test_no_usage_no_invoice(archive: Archive, usage: tuple[UsageRecord, ...]) -> None:
    with pytest.raises(NothingToBill, match="C-0001"):
        issue_invoice(archive, request(tuple(r for r in usage if r.customer_id != "C-0001")),
                      TODAY)


def test_unknown_customer(archive: Archive, usage: tuple[UsageRecord, ...]) -> None:
    with pytest.raises(UnknownCustomer, match="C-9999"):
        issue_invoice(archive, request(usage, "C-9999"), TODAY)


def test_documents_refuse_update_and_delete(archive: Archive,
                                            usage: tuple[UsageRecord, ...]) -> None:
    issue_invoice(archive, request(usage), TODAY)
    for statement in ("UPDATE documents SET net = '0.00'", "DELETE FROM documents"):
        with pytest.raises(DBAPIError, match="immutable"), archive.engine.begin() as conn:
            conn.execute(text(statement))


def test_replay_is_identical_and_explains_a_difference(archive: Archive,
                                                       usage: tuple[UsageRecord, ...]) -> None:
    number = issue_invoice(archive, request(usage), TODAY).number
    assert replay(archive, number).identical
    _, document = load(archive, number)
    altered = {**document["evaluation"]}
    altered["lines"] = [dict(line) for line in altered["lines"]]
    altered["lines"][0]["amount"] = "0.01"
    [difference] = explain(altered, document["evaluation"])
    assert difference.startswith(
        "lines[0] (compute.vcpu 2025-07-01 units).amount: archived '0.01', replayed")


def test_credit_note_for_a_price_cut(archive: Archive, rules: Rules,
                                     usage: tuple[UsageRecord, ...]) -> None:
    original = issue_invoice(archive, request(usage, rev=rules.base), TODAY)
    credit = correct(archive, original.number, rules.cheaper, TODAY)
    assert credit is not None
    assert (credit.number, credit.kind) == ("A-2026-000001", "credit_note")
    row, document = load(archive, credit.number)
    assert row.original_number == original.number
    lines = document["evaluation"]["lines"]
    assert {line["rule_id"] for line in lines} == {"compute.vcpu", "support.business"}
    assert sum(Decimal(line["amount"]) for line in lines) == Decimal(credit.net) > 0
    cheaper = issue_invoice(archive, request(usage, rev=rules.cheaper, idempotency_key="x"),
                            TODAY)
    assert Decimal(original.net) - Decimal(cheaper.net) == Decimal(credit.net)
    again = correct(archive, original.number, rules.cheaper, TODAY)
    assert again is not None and (again.number, again.created) == (credit.number, False)
    assert load(archive, original.number)[0].record_hash  # the original is untouched
    with pytest.raises(NotCorrectable):
        correct(archive, credit.number, rules.dearer, TODAY)


def test_a_correction_key_names_one_correction(archive: Archive, rules: Rules,
                                               usage: tuple[UsageRecord, ...]) -> None:
    original = issue_invoice(archive, request(usage, rev=rules.base), TODAY)
    credit = correct(archive, original.number, rules.cheaper, TODAY, idempotency_key="fix-1")
    assert credit is not None and credit.created
    again = correct(archive, original.number, rules.cheaper, TODAY, idempotency_key="fix-1")
    assert again is not None and (again.number, again.created) == (credit.number, False)
    with pytest.raises(IdempotencyConflict, match="fix-1"):
        correct(archive, original.number, rules.dearer, TODAY, idempotency_key="fix-1")
    key = f"invoice:C-0001:{PERIOD}"
    with pytest.raises(IdempotencyConflict, match="not a correction"):
        correct(archive, original.number, rules.dearer, TODAY, idempotency_key=key)


def test_a_correction_computed_against_a_stale_state_is_refused(
        archive: Archive, rules: Rules, usage: tuple[UsageRecord, ...],
        monkeypatch: pytest.MonkeyPatch) -> None:
    original = issue_invoice(archive, request(usage, rev=rules.base), TODAY)
    row, _ = load(archive, original.number)
    correct(archive, original.number, rules.cheaper, TODAY)
    real = correct_module._latest_state
    reads: list[tuple[str, str]] = []

    def stale_first(db: Any, invoice: Any) -> tuple[str, str]:
        # The first read happens before the lock, as if the credit note were not stored yet.
        reads.append(real(db, invoice))
        return (row.rules_commit, row.issue_date) if len(reads) == 1 else reads[-1]

    monkeypatch.setattr(correct_module, "_latest_state", stale_first)
    with pytest.raises(CorrectedMeanwhile, match=original.number):
        correct(archive, original.number, rules.cheaper, TODAY, idempotency_key="other")
    assert len(reads) == 2
    with pytest.raises(UnknownDocument):
        load(archive, "A-2026-000002")


def test_corrective_invoice_after_a_credit_note(archive: Archive, rules: Rules,
                                                usage: tuple[UsageRecord, ...]) -> None:
    original = issue_invoice(archive, request(usage, rev=rules.base), TODAY)
    assert correct(archive, original.number, rules.base, TODAY) is None
    correct(archive, original.number, rules.cheaper, TODAY)
    dearer = correct(archive, original.number, rules.dearer, TODAY)
    assert dearer is not None
    assert (dearer.number, dearer.kind) == ("F-2026-000002", "corrective_invoice")
    _, document = load(archive, dearer.number)
    assert document["original"]["base_commit"] == rules.cheaper
