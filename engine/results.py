"""What an evaluation returns: priced lines, taxes, mentions and totals, with provenance."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import msgspec

from engine.timeline import BillingPeriod

__all__ = ["Evaluation", "Line", "MentionResult", "Provenance", "TaxLine", "Totals"]


class Provenance(msgspec.Struct, frozen=True, kw_only=True, cache_hash=True):
    """The rule text behind a figure: rule, version, file, line, blob and commit."""

    rule_id: str
    version: str
    """``effective_from`` of the version, ``YYYY-MM-DD``."""
    path: str
    line: int
    """Line of the version in ``path``."""
    blob: str
    commit: str
    override_id: str | None = None
    """The customer override that set this price, if any."""
    override_path: str | None = None
    override_line: int | None = None


class Line(msgspec.Struct, frozen=True, kw_only=True):
    """One invoice line: a rule, a version and a component (a tier, a fee, a minimum…)."""

    rule_id: str
    version: str
    label: str
    """French designation, as printed."""
    component: str
    """``units``, ``included``, ``flat_fee``, ``package``, ``fee``, ``minimum``,
    ``percentage`` or ``discount``."""
    tier: int | None
    quantity: Decimal
    unit: str
    unit_price: Decimal
    """Full precision, excluding tax; for ``percentage`` and ``discount`` lines, the rate."""
    amount: Decimal
    """Net amount, rounded half-up to the cent."""
    vat_rate_name: str
    """TVA category of the rule: normal, intermediate, reduced or super_reduced."""
    usage_from: datetime
    """Timestamp of the first usage record priced on this line (valid time of the price)."""
    usage_to: datetime
    provenance: Provenance
    vat_category: str | None = None
    """EN 16931 VAT category code, once taxed."""
    vat_rate: Decimal | None = None


class TaxLine(msgspec.Struct, frozen=True, kw_only=True):
    """TVA for one (category, rate): base is the sum of the line nets, amount rounded."""

    category: str
    rate: Decimal
    base: Decimal
    amount: Decimal
    exemption_reason: str | None = None
    exemption_code: str | None = None
    provenance: tuple[Provenance, ...] = ()


class MentionResult(msgspec.Struct, frozen=True, kw_only=True):
    """A legal mention in force, with its text filled in."""

    id: str
    text: str
    provenance: Provenance | None = None


class Totals(msgspec.Struct, frozen=True, kw_only=True):
    """Invoice totals: sums of rounded figures."""

    net: Decimal
    tax: Decimal
    gross: Decimal
    currency: str


class Evaluation(msgspec.Struct, frozen=True, kw_only=True):
    """The full answer for one customer and one billing period at one commit."""

    customer_id: str
    period: BillingPeriod
    commit: str
    timezone: str
    lines: tuple[Line, ...]
    taxes: tuple[TaxLine, ...]
    mentions: tuple[MentionResult, ...]
    totals: Totals
    tax_point: datetime
    """*Fait générateur*: the instant that selects the TVA rules (end of the period)."""
    usage_count: int
    usage_digest: str
    """SHA-256 of the canonical usage records evaluated."""
    extra: tuple[tuple[str, object], ...] = ()
    """Further keys added by the tax and mention stages (regime, reasons…)."""
    issue_date: date | None = None
    """Invoice date at which the mentions were selected (default: last day of the period)."""
