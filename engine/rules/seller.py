"""The seller's own identity and payment terms, versioned (a company moves, opts in)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import msgspec

from engine.rules.origin import Origin

__all__ = ["PaymentTerms", "Seller", "SellerVersion"]


class PaymentTerms(msgspec.Struct, frozen=True, kw_only=True):
    """Payment terms printed on every invoice (Code de commerce L441-9, L441-10, D441-5)."""

    due_days: int
    """Days from the issue date to the due date."""
    late_penalty: str
    """Late-payment penalty rate, as printed (e.g. the ECB rate plus 10 points)."""
    recovery_indemnity: Decimal
    """Fixed recovery indemnity in euros (40.00, D441-5)."""
    early_payment_discount: str | None = None
    """Early-payment discount terms, as printed; ``None``: no discount."""


class SellerVersion(msgspec.Struct, frozen=True, kw_only=True):
    """Who the seller is from a date."""

    effective_from: date
    """First local date (ruleset time zone) on which this version holds."""
    name: str
    """Company name, as registered."""
    legal_form: str
    """SAS, SARL, SA…"""
    share_capital: Decimal
    """Share capital in euros."""
    address: str
    """Registered office, as printed."""
    postal_code: str
    """Postal code of the registered office (selects the seller's TVA territory)."""
    siren: str
    """Nine-digit SIREN (Luhn key checked)."""
    rcs: str
    """Trade register entry as printed, e.g. ``RCS Paris 123 456 782``."""
    vat_number: str
    """Intra-EU VAT number: FR, key and SIREN."""
    size: str
    """large, mid_size, sme or micro (loi 2008-776 art. 51, décret 2008-1354)."""
    debits_option: bool = False
    """Opted to pay TVA on debits rather than on receipts (CGI art. 269-2-c)."""
    terms: PaymentTerms
    """Payment terms printed on invoices."""
    line: int = 0
    """Line of the version in its file."""


class Seller(msgspec.Struct, frozen=True, kw_only=True):
    """The seller, as one item with dated versions."""

    id: str
    """Always ``seller``: the seller is one rule."""
    versions: tuple[SellerVersion, ...]
    """Dated versions, strictly increasing by ``effective_from``."""
    origin: Origin
    """Where the rule is written."""
