"""The operational store's rows: the only mutable ORM objects of Barème.

Documents rows are append-only: the application never updates or deletes one, and the
database refuses it (triggers installed by migration 2). The series counters and the chain
head are the only rows that change, always inside the issuing transaction.
"""

from __future__ import annotations

from sqlmodel import Field, SQLModel

__all__ = ["ChainHead", "CustomerRow", "DocumentRow", "SchemaVersion", "SeriesCounter"]


class SchemaVersion(SQLModel, table=True):
    """One applied migration."""

    __tablename__ = "schema_version"
    version: int = Field(primary_key=True)
    description: str
    applied_at: str


class CustomerRow(SQLModel, table=True):
    """A customer as imported; ``data`` is the canonical JSON of the whole record."""

    __tablename__ = "customers"
    id: str = Field(primary_key=True)
    name: str
    kind: str
    country: str
    data: str


class SeriesCounter(SQLModel, table=True):
    """The last number issued in a series (``F-2026``, ``A-2026``): gapless numbering."""

    __tablename__ = "series"
    name: str = Field(primary_key=True)
    last: int = 0


class ChainHead(SQLModel, table=True):
    """The archive's last position and hash; locked by every issuance (one row, id 1)."""

    __tablename__ = "chain_head"
    id: int = Field(primary_key=True)
    position: int = 0
    hash: str = "0" * 64


class DocumentRow(SQLModel, table=True):
    """An issued invoice, credit note or corrective invoice, sealed in the hash chain."""

    __tablename__ = "documents"
    number: str = Field(primary_key=True)
    position: int = Field(unique=True, index=True)
    """Place in the archive's hash chain, from 1, gapless."""
    series: str = Field(index=True)
    seq: int
    kind: str
    """``invoice``, ``credit_note`` or ``corrective_invoice``."""
    type_code: str
    """UNTDID 1001: 380 invoice, 381 credit note, 384 corrective invoice."""
    customer_id: str = Field(index=True)
    period: str
    issue_date: str
    rules_commit: str
    """The ruleset commit the document was evaluated with."""
    original_number: str | None = None
    idempotency_key: str = Field(unique=True)
    request_digest: str
    currency: str
    net: str
    tax: str
    gross: str
    json_sha256: str
    pdf_sha256: str
    facturx_sha256: str
    usage_sha256: str
    usage_count: int
    created_at: str
    prev_hash: str
    record_hash: str
