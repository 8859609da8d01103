"""Declarative conditions: which TVA regime applies, which mention is printed.

A condition is a mapping of field names to expected values, all of which must hold
(no code in YAML)::

    when:
      customer.kind: business            # equals
      customer.area: [eu, outside_eu]    # one of
      customer.vat_number_status: {not: valid}

Field values are texts; booleans are ``"true"`` / ``"false"``. The fields that exist are
listed in :data:`FIELDS`, each with the stage that knows it.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

import msgspec

__all__ = ["FIELDS", "REGIME_STAGES", "Condition", "Field", "holds"]


class Field(msgspec.Struct, frozen=True, kw_only=True):
    """A fact a condition or a placeholder may name."""

    stage: str
    """``customer``, ``seller``, ``terms``, ``tax`` or ``invoice``: who knows it."""
    values: tuple[str, ...] = ()
    """The values it may take, when they form a closed list."""
    doc: str = ""
    """What the fact means."""


def _f(stage: str, doc: str, *values: str) -> Field:
    return Field(stage=stage, values=values, doc=doc)


_BOOL = ("true", "false")
_TREATMENTS = ("french_vat", "not_applicable", "reverse_charge", "destination",
               "outside_scope")

FIELDS: Mapping[str, Field] = MappingProxyType({
    "customer.id": _f("customer", "Customer id."),
    "customer.name": _f("customer", "Name or company name."),
    "customer.kind": _f("customer", "business or consumer.", "business", "consumer"),
    "customer.country": _f("customer", "ISO 3166-1 alpha-2 country code."),
    "customer.postal_code": _f("customer", "Postal code."),
    "customer.address": _f("customer", "Postal address."),
    "customer.siren": _f("customer", "SIREN, formatted, of a French business."),
    "customer.vat_number": _f("customer", "Intra-EU VAT number, compact."),
    "customer.area": _f("customer", "france, eu (another member state) or outside_eu.",
                        "france", "eu", "outside_eu"),
    "customer.territory": _f("customer", "TVA territory id, for a customer in France."),
    "customer.vat_number_status": _f("customer", "Checked with python-stdnum.",
                                     "valid", "invalid", "missing"),
    "customer.siren_status": _f("customer", "Checked with python-stdnum.",
                                "valid", "invalid", "missing"),
    "seller.name": _f("seller", "Company name."),
    "seller.legal_form": _f("seller", "SAS, SARL, SA…"),
    "seller.share_capital": _f("seller", "Share capital, French format, e.g. 250 000 €."),
    "seller.address": _f("seller", "Registered office."),
    "seller.siren": _f("seller", "SIREN, formatted."),
    "seller.rcs": _f("seller", "Trade register entry, e.g. RCS Paris 123 456 782."),
    "seller.vat_number": _f("seller", "Intra-EU VAT number."),
    "seller.size": _f("seller", "Company size category (LME, décret 2008-1354).",
                      "large", "mid_size", "sme", "micro"),
    "seller.debits_option": _f("seller", "Opted for TVA on debits.", *_BOOL),
    "terms.due_days": _f("terms", "Days from issue to the due date."),
    "terms.late_penalty": _f("terms", "Late-payment penalty rate, as printed."),
    "terms.recovery_indemnity": _f("terms", "Fixed recovery indemnity, e.g. 40 €."),
    "terms.early_payment_discount": _f("terms", "Early-payment discount terms, as printed."),
    "terms.has_early_payment_discount": _f("terms", "Whether a discount is offered.", *_BOOL),
    "tax.regime": _f("tax", "Id of the regime rule applied."),
    "tax.treatment": _f("tax", "What the regime does.", *_TREATMENTS),
    "tax.territory": _f("tax", "TVA territory whose rates apply."),
    "tax.country": _f("tax", "Member state whose VAT applies (destination)."),
    "tax.rate": _f("tax", "Standard rate applied, as printed (e.g. 21 %)."),
    "tax.exemption_reason": _f("tax", "Exemption or non-application reason text."),
    "invoice.issue_date": _f("invoice", "Issue date, DD/MM/YYYY."),
    "invoice.due_date": _f("invoice", "Due date, DD/MM/YYYY."),
    "invoice.period_start": _f("invoice", "First day of the billed period, DD/MM/YYYY."),
    "invoice.period_end": _f("invoice", "Last day of the billed period, DD/MM/YYYY."),
    "invoice.tax_point": _f("invoice", "Tax point (fait générateur), DD/MM/YYYY."),
    "invoice.operations": _f("invoice", "Nature of the operations.",
                             "services", "goods", "mixed"),
})
"""Every field a condition or a mention placeholder may name."""

REGIME_STAGES = frozenset({"customer", "seller"})
"""What is known when the regime is chosen (the tax facts are its result)."""


class Condition(msgspec.Struct, frozen=True, kw_only=True):
    """One test on one field."""

    field: str
    """Name of a fact of :data:`FIELDS`, e.g. ``customer.kind``."""
    values: tuple[str, ...]
    """The field must equal one of these (or none of them when ``negate``)."""
    negate: bool = False
    """Whether the field must take none of ``values``."""


def holds(conditions: tuple[Condition, ...], facts: Mapping[str, str | None]) -> bool:
    """Whether every condition holds; a missing fact never equals a value.

    >>> c = (Condition(field="customer.kind", values=("business",)),)
    >>> holds(c, {"customer.kind": "business"}), holds(c, {"customer.kind": "consumer"})
    (True, False)
    >>> holds((Condition(field="x", values=("a",), negate=True),), {})
    True
    """
    return all((facts.get(c.field) in c.values) != c.negate for c in conditions)
