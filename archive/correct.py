"""Correct an invoice under newer rules: a credit note or a corrective invoice for the delta.

The original is never touched. The delta is taken against the latest state of the
invoice: the original, or the last correction already issued for it. Its usage is the
original's usage, so that the correction replays like any document.

A correction is identified by (invoice, commit of the rules): the default idempotency key
``correct:<number>:<commit>`` says so, and a caller's own key, used again, must name the
same invoice and resolve to the same commit, or it is an :class:`IdempotencyConflict`.
"""

from __future__ import annotations

from datetime import date, datetime

import msgspec
from sqlmodel import Session, col, select

from archive.context import Archive
from archive.db import session
from archive.delta import correction_document, delta_net
from archive.issue import Draft, IdempotencyConflict, Issued, Precondition, issued, store
from archive.records import DocumentRow
from archive.replay import evaluation_at, load
from archive.seller import seller_for
from archive.usage import usage_from_bytes
from engine.canonical import canonical_bytes, sha256_hex
from engine.customers import Customer

__all__ = ["CorrectedMeanwhile", "NotCorrectable", "correct"]


class NotCorrectable(ValueError):
    """Only invoices are corrected (a correction is corrected through its invoice)."""


class CorrectedMeanwhile(ValueError):
    """Another correction of the invoice was stored while this one was computed."""


def correct(archive: Archive, number: str, rev: str, today: date | None = None,
            idempotency_key: str | None = None) -> Issued | None:
    """Issue the correction of ``number`` under ``rev``; ``None`` when nothing differs."""
    row, document = load(archive, number)
    if row.kind != "invoice":
        raise NotCorrectable(f"{number} is a {row.kind.replace('_', ' ')}; correct the "
                             f"invoice {row.original_number} instead")
    ruleset = archive.rules.ruleset(rev)
    key = idempotency_key or f"correct:{number}:{ruleset.commit}"
    done = _already(archive, key, number, ruleset.commit)
    if done is not None:
        return done
    with session(archive.engine) as db:
        base_commit, base_issue_date = _latest_state(db, row)
    issue_date = today or datetime.now(ruleset.zone).date()
    customer = msgspec.convert(document["customer"], Customer)
    usage = archive.files.get(row.usage_sha256)
    records = usage_from_bytes(usage, f"archive:{number}")
    base = evaluation_at(archive, customer, row.period, records, base_commit, base_issue_date)
    new = evaluation_at(archive, customer, row.period, records, ruleset.commit,
                        issue_date.isoformat())
    difference = delta_net(base, new)
    kind = "credit_note" if difference < 0 else "corrective_invoice"
    evaluation = correction_document(base, new, -1 if kind == "credit_note" else 1)
    if not evaluation["lines"]:
        # Nothing billed differs: the new rules may differ in a comment, a label or a
        # file's place (the provenance), which no document corrects.
        return None
    digest = "sha256:" + sha256_hex(canonical_bytes(
        {"correct": number, "base_commit": base_commit, "commit": ruleset.commit}))
    original = {"number": number, "issue_date": row.issue_date, "base_commit": base_commit,
                "base_issue_date": base_issue_date}
    return store(archive, Draft(
        kind=kind, customer=customer, period=row.period, issue_date=issue_date,
        commit=ruleset.commit, idempotency_key=key, request_digest=digest,
        evaluation=evaluation, usage=usage, usage_count=row.usage_count,
        seller=seller_for(ruleset, issue_date), original=original),
        precondition=_still_latest(row, (base_commit, base_issue_date)))


def _still_latest(row: DocumentRow, state: tuple[str, str]) -> Precondition:
    """Under the issuing lock: the invoice's latest state is still the one corrected.

    Two corrections computed at once against the same state would otherwise both be
    issued, crediting the same difference twice.
    """
    def check(db: Session) -> None:
        if _latest_state(db, row) != state:
            raise CorrectedMeanwhile(f"{row.number} was corrected by another request while "
                                     "this correction was computed; ask again")

    return check


def _already(archive: Archive, key: str, number: str, commit: str) -> Issued | None:
    """The correction already issued under ``key``; a conflict if it is another request."""
    with session(archive.engine) as db:
        done = db.exec(select(DocumentRow).where(DocumentRow.idempotency_key == key)).first()
    if done is None:
        return None
    if (done.original_number, done.rules_commit) != (number, commit):
        raise IdempotencyConflict(
            f"idempotency key {key!r} was used for {done.number} "
            f"({_described(done)}); this request corrects {number} at {commit[:12]}")
    return issued(done, created=False)


def _described(row: DocumentRow) -> str:
    if row.original_number is None:
        return f"not a correction: {row.kind.replace('_', ' ')}"
    return f"the correction of {row.original_number} at {row.rules_commit[:12]}"


def _latest_state(db: Session, row: DocumentRow) -> tuple[str, str]:
    """Commit and issue date of the invoice's latest correction, else its own."""
    last = db.exec(select(DocumentRow).where(DocumentRow.original_number == row.number)
                   .order_by(col(DocumentRow.position).desc())).first()
    state = last if last is not None else row
    return state.rules_commit, state.issue_date
