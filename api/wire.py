"""Wire types of the HTTP API: what clients send and receive, as msgspec structs.

Requests refuse unknown fields. Quantities and amounts travel as decimal strings: a JSON
number passes through binary floating point in most clients, so it is refused.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

import msgspec
from msgspec import Meta

__all__ = ["BillingRunRequest", "ChangeOut", "CorrectionRequest", "CustomerIn",
           "DiagnosticOut", "DiffOut", "EvaluateRequest", "EvaluationOut", "Health",
           "IssueInvoiceRequest", "IssuedOut", "Problem", "QueryOut", "QueryRequest", "Ready",
           "ReplayOut", "RulesetOut", "RunOut", "TotalsOut",
           "UsageIn", "ValidateRequest", "ValidationOut", "VerifyOut", "VersionOut",
           "VersionsOut"]

DecimalText = Annotated[str, Meta(description="Decimal string, such as \"12.5\"; never a "
                                              "JSON number.", examples=["12.5"])]


class _In(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Base of request structs: unknown fields are errors."""


class UsageIn(_In, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """One usage event, as in CONTRACT.md."""

    event_id: str
    metric: Annotated[str, Meta(examples=["compute.vcpu_hours"])]
    quantity: DecimalText
    timestamp: Annotated[str, Meta(description="RFC 3339 with offset.",
                                   examples=["2026-10-14T09:30:00Z"])]
    customer_id: str | None = None
    """Defaults to the request's customer; any other id is an error."""
    unit: Annotated[str | None, Meta(examples=["s"])] = None
    """Unit of ``quantity`` when not the metric's own: converted exactly as declared in
    ``rulesets/metrics.yaml`` (``s`` to hours, ``B`` to GB…), as ``bareme usage ingest``
    converts a ``unit`` column."""
    attributes: dict[str, str] = {}
    """Other columns of the record (region, sku, …), available to rules."""


class CustomerIn(_In, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """A customer given inline, as in CONTRACT.md."""

    id: str
    name: str
    kind: Literal["business", "consumer"] = "business"
    country: Annotated[str, Meta(description="ISO 3166-1 alpha-2.", examples=["FR"])] = "FR"
    postal_code: str = ""
    siren: str | None = None
    vat_number: str | None = None
    address: str = ""


class EvaluateRequest(_In, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """``POST /v1/evaluate``: a customer's usage for one billing month."""

    customer: Annotated[str | CustomerIn, Meta(
        description="The customer inline, or its id in the customer directory.")]
    usage: list[UsageIn]
    period: Annotated[str, Meta(description="Billing month, YYYY-MM.", examples=["2026-10"])]
    rev: str | None = None
    """Commit, branch or tag of the rules; HEAD by default."""
    as_known_at: str | None = None
    """RFC 3339 instant: use the last commit at or before it (instead of ``rev``)."""


class ValidateRequest(_In, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """``POST /v1/rulesets/validate``: rule files to check, by path in a rules repository."""

    files: dict[str, str]
    """Path (``rulesets/…`` or ``legal_mentions/…``) to UTF-8 content."""
    base: str | None = None
    """When given, the files are laid over this revision's files before checking."""


class DiagnosticOut(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    """One located problem."""

    path: str
    """File, or ``usage`` / ``customer`` / ``body`` for parts of the request."""
    line: int
    """1-based line; for ``usage``, the record number."""
    column: int
    code: str
    message: str
    pointer: str | None = None
    """JSON pointer into the request body, when the problem is in it."""
    parameter: str | None = None
    """The query parameter at fault, when the problem is in one (``path`` is ``query``)."""


class Problem(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    """RFC 9457 problem details (``application/problem+json``)."""

    type: str
    """Stable URI of the kind of problem."""
    title: str
    status: int
    detail: str | None = None
    instance: str | None = None
    request_id: str | None = None
    diagnostics: list[DiagnosticOut] = []


class VersionOut(msgspec.Struct, frozen=True, kw_only=True):
    """A ruleset version: a commit that changed rules."""

    commit: str
    date: str
    author: str
    subject: str


class VersionsOut(msgspec.Struct, frozen=True, kw_only=True):
    """Ruleset versions, newest first."""

    head: str
    versions: list[VersionOut]


class RulesetOut(msgspec.Struct, frozen=True, kw_only=True):
    """The rules of one commit, as loaded."""

    commit: str
    timezone: str
    currency: str
    rules: list[dict[str, Any]]
    overrides: list[dict[str, Any]]
    extensions: dict[str, Any]


class ValidationOut(msgspec.Struct, frozen=True, kw_only=True):
    """Whether uploaded rule files form a valid ruleset, and every problem."""

    valid: bool
    rules: int
    diagnostics: list[DiagnosticOut]


class ChangeOut(msgspec.Struct, frozen=True, kw_only=True):
    """One difference between two rulesets."""

    kind: str
    family: str
    item: str
    description: str
    version: str | None = None
    field: str | None = None
    before: Any = None
    after: Any = None


class DiffOut(msgspec.Struct, frozen=True, kw_only=True):
    """Rule-by-rule changes from ``base`` to ``head``."""

    base: str
    head: str
    changes: list[ChangeOut]


class Health(msgspec.Struct, frozen=True, kw_only=True):
    """The process answers."""

    status: str


class Ready(msgspec.Struct, frozen=True, kw_only=True):
    """The rules repository is readable and its HEAD ruleset valid."""

    status: str
    commit: str


class _PeriodOut(msgspec.Struct, frozen=True, kw_only=True):
    label: str
    start: str
    end: str


class _ProvenanceOut(msgspec.Struct, frozen=True, kw_only=True):
    rule_id: str
    version: str
    path: str
    line: int
    blob: str
    commit: str
    override_id: str | None = None


class _LineOut(msgspec.Struct, frozen=True, kw_only=True):
    rule_id: str
    version: str
    label: str
    component: str
    tier: int | None
    quantity: str
    unit: str
    unit_price: str
    amount: str
    vat_rate: str | None
    vat_category: str | None
    usage_from: str
    usage_to: str
    provenance: _ProvenanceOut


class _TaxOut(msgspec.Struct, frozen=True, kw_only=True):
    category: str
    rate: str
    base: str
    amount: str
    exemption_reason: str | None = None
    exemption_code: str | None = None
    provenance: list[_ProvenanceOut] = []


class _MentionOut(msgspec.Struct, frozen=True, kw_only=True):
    id: str
    text: str
    provenance: _ProvenanceOut | None = None


class _TotalsOut(msgspec.Struct, frozen=True, kw_only=True):
    net: str
    tax: str
    gross: str
    currency: str


class _UsageSummary(msgspec.Struct, frozen=True, kw_only=True):
    records: int
    digest: str


class EvaluationOut(msgspec.Struct, frozen=True, kw_only=True):
    """The evaluation of CONTRACT.md (documentation only: the API sends the engine's bytes)."""

    customer_id: str
    period: _PeriodOut
    commit: str
    timezone: str
    tax_point: str
    issue_date: str | None = None
    lines: list[_LineOut]
    taxes: list[_TaxOut]
    mentions: list[_MentionOut]
    totals: _TotalsOut
    usage: _UsageSummary
    digest: str


class IssueInvoiceRequest(_In, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """``POST /v1/invoices``: issue one customer's invoice for one billing month."""

    customer_id: Annotated[str, Meta(description="A customer of the operational store.",
                                     examples=["C-0001"])]
    period: Annotated[str, Meta(description="Billing month, YYYY-MM.", examples=["2026-10"])]
    usage: list[UsageIn]
    rev: str | None = None
    """Commit, branch or tag of the rules; HEAD by default."""
    idempotency_key: str | None = None
    """Or the ``Idempotency-Key`` header; default ``invoice:<customer>:<period>``."""


class TotalsOut(msgspec.Struct, frozen=True, kw_only=True):
    """A document's totals."""

    net: DecimalText
    tax: DecimalText
    gross: DecimalText
    currency: str


class IssuedOut(msgspec.Struct, frozen=True, kw_only=True):
    """An issued (or already issued) document."""

    number: Annotated[str, Meta(examples=["F-2026-000001"])]
    kind: str
    """``invoice``, ``credit_note`` or ``corrective_invoice``."""
    created: bool
    """False when this request had already been answered (same idempotency key)."""
    customer_id: str
    period: str
    totals: TotalsOut
    digest: str
    """Digest of the archived evaluation (``sha256:…``)."""
    commit: str
    """The rules commit the document was evaluated at."""
    original: str | None = None
    """For a credit note or corrective invoice: the number of the invoice it corrects."""


class ReplayOut(msgspec.Struct, frozen=True, kw_only=True):
    """An archived document evaluated again at its archived commit."""

    number: str
    commit: str
    identical: bool
    """Whether the replay gave byte-identical canonical JSON."""
    archived_digest: str
    replayed_digest: str
    differences: list[str]
    """Each differing value as ``path: archived → replayed``."""


class VerifyOut(msgspec.Struct, frozen=True, kw_only=True):
    """The hash chain and archived files, checked."""

    intact: bool
    records: int
    files: int
    problems: list[str]
    """Each problem names its record."""
    head: str
    """``position:hash`` of the chain head."""


class QueryRequest(_In, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """``POST /v1/archive/query``: read-only SQL over documents, lines, taxes and mentions."""

    sql: Annotated[str, Meta(examples=["SELECT number, gross FROM documents"])]


class QueryOut(msgspec.Struct, frozen=True, kw_only=True):
    """A query's columns and rows; every value as a string (or null)."""

    columns: list[str]
    rows: list[list[str | None]]


class CorrectionRequest(_In, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """``POST /v1/invoices/{number}/corrections``: correct an invoice under other rules."""

    rev: Annotated[str | None, Meta(examples=["main"])] = None
    """Commit, branch or tag of the corrected rules (give this or ``as_known_at``)."""
    as_known_at: Annotated[str | None, Meta(examples=["2026-11-15T00:00:00Z"])] = None
    """RFC 3339 instant: the rules as known then (the last commit at or before it)."""
    idempotency_key: str | None = None
    """Or the ``Idempotency-Key`` header; default ``correct:<number>:<commit>``."""


class BillingRunRequest(_In, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """``POST /v1/billing-runs``: every stored customer's invoice for one billing month."""

    period: Annotated[str, Meta(description="Billing month, YYYY-MM.", examples=["2026-10"])]
    usage: list[UsageIn] | None = None
    """Usage of every customer, each record with its ``customer_id``; when left out, the
    usage stored by ``bareme usage ingest`` for the period."""
    rev: str | None = None
    """Commit, branch or tag of the rules; HEAD by default."""


class RunOut(msgspec.Struct, frozen=True, kw_only=True):
    """What a billing run did; run again, it issues only what is still missing."""

    period: str
    issued: int
    """Invoices issued by this run."""
    already_issued: int
    """Invoices found issued by an earlier run or request (same idempotency key)."""
    without_usage: int
    """Stored customers with no usage in the period: nothing issued for them."""
    totals: TotalsOut
    """Of the invoices issued by this run only."""
    seconds: float
    numbers: list[str]
    """Every invoice of the period this run issued or found, in customer order."""
