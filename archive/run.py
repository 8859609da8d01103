"""A billing run: every customer's invoice for one period, resumable without duplicates.

Each invoice is issued in its own transaction with the default idempotency key
(``invoice:<customer>:<period>``), so a run stopped midway and started again skips the
invoices already issued and issues the rest.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from datetime import date
from decimal import Decimal

import msgspec

from archive.context import Archive
from archive.customers import all_customers
from archive.issue import Issued, IssueRequest, issue_invoice
from engine.money import ZERO, format_amount
from engine.usage import UsageRecord

__all__ = ["RunSummary", "billing_run"]


class RunSummary(msgspec.Struct, frozen=True, kw_only=True):
    """What a run did: counts, totals (of the invoices issued by this run) and duration."""

    period: str
    issued: int
    already_issued: int
    without_usage: int
    net: str
    tax: str
    gross: str
    seconds: float
    numbers: tuple[str, ...]


def billing_run(archive: Archive, period: str, records: Sequence[UsageRecord],
                rev: str | None = None, today: date | None = None,
                progress: Callable[[Issued | None], None] | None = None) -> RunSummary:
    """Issue the invoice of every stored customer with usage in ``period``."""
    started = time.monotonic()
    by_customer: dict[str, list[UsageRecord]] = {}
    for record in records:
        by_customer.setdefault(record.customer_id, []).append(record)
    done: list[Issued] = []
    skipped = 0
    for customer in all_customers(archive.engine):
        mine = by_customer.get(customer.id)
        if not mine:
            skipped += 1
            if progress:
                progress(None)
            continue
        issued = issue_invoice(archive, IssueRequest(customer_id=customer.id, period=period,
                                                     records=tuple(mine), rev=rev), today)
        done.append(issued)
        if progress:
            progress(issued)
    new = [d for d in done if d.created]

    def total(field: str) -> str:
        return format_amount(sum((Decimal(getattr(d, field)) for d in new), ZERO))

    return RunSummary(period=period, issued=len(new), already_issued=len(done) - len(new),
                      without_usage=skipped, net=total("net"), tax=total("tax"),
                      gross=total("gross"), seconds=round(time.monotonic() - started, 3),
                      numbers=tuple(d.number for d in done))
