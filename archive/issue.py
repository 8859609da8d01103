"""Issue a document: evaluate, then number, render, seal and store in one transaction.

The number is taken from the series counter inside the transaction that inserts the
document, under a lock on the chain head (``SELECT … FOR UPDATE`` on PostgreSQL,
``BEGIN IMMEDIATE`` on SQLite): concurrent issuers wait, a crash rolls everything back,
so numbers have neither gap nor duplicate. Files are content-addressed and written before
the commit; a crash leaves at worst an unreferenced file.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime
from typing import Any

import msgspec
from sqlmodel import Session, select

from archive.context import Archive
from archive.customers import get_customer
from archive.db import session
from archive.documents import KINDS, build_document
from archive.evaluation import evaluate_on
from archive.records import ChainHead, DocumentRow, SeriesCounter
from archive.render import render
from archive.seal import record_hash
from archive.seller import seller_for
from archive.usage import usage_bytes
from batch.closed import ClosedPeriods
from engine.canonical import canonical_bytes, sha256_hex
from engine.customers import Customer
from engine.document import to_document
from engine.evaluate import usage_digest
from engine.timeline import parse_period
from engine.usage import UsageRecord

__all__ = ["Draft", "IdempotencyConflict", "IssueRequest", "Issued", "NothingToBill",
           "Precondition", "issue_invoice", "issued", "store"]


class IdempotencyConflict(ValueError):
    """The idempotency key was already used for a different request."""


class NothingToBill(ValueError):
    """The customer has no usage in the period: there is nothing to invoice."""


class IssueRequest(msgspec.Struct, frozen=True, kw_only=True):
    """What a caller asks for: one customer, one period, its usage."""

    customer_id: str
    period: str
    """``YYYY-MM``."""
    records: tuple[UsageRecord, ...]
    """Usage; records of other customers or periods are left out."""
    rev: str | None = None
    """Rules revision (default ``HEAD``)."""
    idempotency_key: str | None = None
    """Default ``invoice:<customer>:<period>``: one invoice per customer and period.

    The request compared under a key is (customer, period, usage digest, ``rev`` as asked):
    a retry after the rules moved on returns the invoice already issued; a change of rules
    reaches an issued invoice only through :func:`archive.correct.correct`."""


class Issued(msgspec.Struct, frozen=True, kw_only=True):
    """The stored document, and whether this call created it."""

    number: str
    kind: str
    created: bool
    customer_id: str
    period: str
    net: str
    tax: str
    gross: str
    currency: str


class Draft(msgspec.Struct, frozen=True, kw_only=True):
    """A document ready to be numbered: everything but its number."""

    kind: str
    customer: Customer
    period: str
    issue_date: date
    commit: str
    idempotency_key: str
    request_digest: str
    evaluation: dict[str, Any]
    usage: bytes
    usage_count: int
    seller: Any
    original: dict[str, Any] | None = None


def issue_invoice(archive: Archive, request: IssueRequest, today: date | None = None) -> Issued:
    """Evaluate and store the invoice, or return the one already issued for this request."""
    customer = get_customer(archive.engine, request.customer_id)
    ruleset = archive.rules.ruleset(request.rev)
    period = parse_period(request.period, ruleset.zone)
    records = [r for r in request.records
               if r.customer_id == customer.id and period.contains(r.timestamp)]
    if not records:
        raise NothingToBill(f"customer {customer.id!r} has no usage in {period.label}; "
                            "no invoice issued")
    key = request.idempotency_key or f"invoice:{customer.id}:{period.label}"
    digest = "sha256:" + sha256_hex(canonical_bytes({
        "customer_id": customer.id, "period": period.label, "rev": request.rev or "HEAD",
        "usage": usage_digest(records)}))
    existing = _existing(archive, key, digest)
    if existing is not None:
        return existing
    issue_date = today or datetime.now(ruleset.zone).date()
    evaluation = evaluate_on(ruleset, customer, period, records, issue_date)
    return store(archive, Draft(
        kind="invoice", customer=customer, period=period.label, issue_date=issue_date,
        commit=ruleset.commit, idempotency_key=key, request_digest=digest,
        evaluation=to_document(evaluation), usage=usage_bytes(records),
        usage_count=len(records), seller=seller_for(ruleset, issue_date)))


def _existing(archive: Archive, key: str, digest: str) -> Issued | None:
    with session(archive.engine) as db:
        return _by_key(db, key, digest)


def _by_key(db: Session, key: str, digest: str) -> Issued | None:
    row = db.exec(select(DocumentRow).where(DocumentRow.idempotency_key == key)).first()
    if row is None:
        return None
    if row.request_digest != digest:
        raise IdempotencyConflict(
            f"idempotency key {key!r} was used for {row.number} with a different request "
            f"({row.request_digest}); this request is {digest}")
    return issued(row, created=False)


def issued(row: DocumentRow, created: bool) -> Issued:
    """The caller's view of a stored row."""
    return Issued(number=row.number, kind=row.kind, created=created,
                  customer_id=row.customer_id, period=row.period, net=row.net, tax=row.tax,
                  gross=row.gross, currency=row.currency)


BeforeCommit = Callable[[DocumentRow], None]
Precondition = Callable[[Session], None]
"""Checked under the lock, before numbering: raises when the draft no longer applies."""


def store(archive: Archive, draft: Draft, before_commit: BeforeCommit | None = None,
          precondition: Precondition | None = None) -> Issued:
    """Number, render, seal and insert ``draft`` in one transaction (see module docstring)."""
    with session(archive.engine) as db:
        head = db.exec(select(ChainHead).where(ChainHead.id == 1).with_for_update()).one()
        again = _by_key(db, draft.idempotency_key, draft.request_digest)
        if again is not None:
            return again
        if precondition is not None:
            precondition(db)
        series = f"{KINDS[draft.kind][0]}-{draft.issue_date.year}"
        counter = _counter(db, series)
        seq = counter.last + 1
        number = f"{series}-{seq:06d}"
        document = build_document(number=number, kind=draft.kind, issue_date=draft.issue_date,
                                  seller=draft.seller, customer=draft.customer,
                                  evaluation=draft.evaluation, original=draft.original)
        row = _row(archive, draft, document, series, seq, head)
        if before_commit is not None:
            before_commit(row)
        counter.last = seq
        head.position, head.hash = row.position, row.record_hash
        db.add_all([counter, head, row])
    if draft.kind == "invoice":
        # Usage of this customer and period ingested from now on is late: kept for correction.
        ClosedPeriods(archive.data_dir).close(draft.customer.id, draft.period)
    return issued(row, created=True)


def _counter(db: Session, series: str) -> SeriesCounter:
    found = db.exec(select(SeriesCounter).where(SeriesCounter.name == series)
                    .with_for_update()).first()
    return found or SeriesCounter(name=series, last=0)


def _row(archive: Archive, draft: Draft, document: dict[str, Any], series: str, seq: int,
         head: ChainHead) -> DocumentRow:
    pdf, facturx = render(document)
    totals = draft.evaluation["totals"]
    row = DocumentRow(
        number=document["number"], position=head.position + 1, series=series, seq=seq,
        kind=draft.kind, type_code=document["type_code"], customer_id=draft.customer.id,
        period=draft.period, issue_date=draft.issue_date.isoformat(), rules_commit=draft.commit,
        original_number=(draft.original or {}).get("number"),
        idempotency_key=draft.idempotency_key, request_digest=draft.request_digest,
        currency=totals["currency"], net=totals["net"], tax=totals["tax"],
        gross=totals["gross"], json_sha256=archive.files.put(canonical_bytes(document)),
        pdf_sha256=archive.files.put(pdf), facturx_sha256=archive.files.put(facturx),
        usage_sha256=archive.files.put(draft.usage), usage_count=draft.usage_count,
        created_at=datetime.now(UTC).isoformat(timespec="seconds"),
        prev_hash=head.hash, record_hash="")
    row.record_hash = record_hash(row)
    return row


def issue_many(archive: Archive, requests: Sequence[IssueRequest],
               today: date | None = None) -> list[Issued]:
    """Issue several invoices one after the other (each in its own transaction)."""
    return [issue_invoice(archive, r, today) for r in requests]
