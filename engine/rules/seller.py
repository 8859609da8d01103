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
    name: str
    legal_form: str
    """SAS, SARL, SA…"""
    share_capital: Decimal
    address: str
    postal_code: str
    """Postal code of the registered office (selects the seller's TVA territory)."""
    siren: str
    rcs: str
    """Trade register entry as printed, e.g. ``RCS Paris 123 456 782``."""
    vat_number: str
    size: str
    """large, mid_size, sme or micro (loi 2008-776 art. 51, décret 2008-1354)."""
    debits_option: bool = False
    """Opted to pay TVA on debits rather than on receipts (CGI art. 269-2-c)."""
    terms: PaymentTerms
    line: int = 0


class Seller(msgspec.Struct, frozen=True, kw_only=True):
    """The seller, as one item with dated versions."""

    id: str
    versions: tuple[SellerVersion, ...]
    origin: Origin
