"""The facts conditions and placeholders read: customer, seller, terms, as texts.

Identifiers are checked with python-stdnum: an EU VAT number must pass its checksum and
belong to the customer's country; a SIREN must pass its Luhn key.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from functools import lru_cache

from stdnum.eu import vat
from stdnum.fr import siren

from engine.customers import FRENCH_TVA_COUNTRIES, Customer
from engine.money import round_cents
from engine.rules.seller import SellerVersion
from engine.rules.tax_fr import TaxRules
from engine.tax_fr.territory import territory_of

__all__ = ["Facts", "customer_facts", "french_amount", "french_date", "seller_facts"]

Facts = dict[str, str | None]
_VAT_PREFIX = {"GR": "EL", **dict.fromkeys(FRENCH_TVA_COUNTRIES, "FR")}


def french_date(day: date) -> str:
    """``DD/MM/YYYY``.

    >>> french_date(date(2026, 9, 1))
    '01/09/2026'
    """
    return day.strftime("%d/%m/%Y")


def french_amount(value: Decimal) -> str:
    """Euros as printed in French: grouped thousands, decimal comma, no cents when whole.

    >>> french_amount(Decimal("1200000.00")), french_amount(Decimal("7622.45"))
    ('1 200 000 €', '7 622,45 €')
    """
    cents = round_cents(value)
    whole, _, frac = f"{cents:,.2f}".replace(",", " ").partition(".")
    return f"{whole} €" if frac == "00" else f"{whole},{frac} €"


def vat_number_status(customer: Customer) -> str:
    """``valid``, ``invalid`` (checksum, format or country) or ``missing``."""
    if not customer.vat_number:
        return "missing"
    return _vat_status(customer.vat_number, customer.country)


# Identifier checks are pure and the same customers come back evaluation after
# evaluation: each distinct number is checked once.
@lru_cache(maxsize=65536)
def _vat_status(number: str, country: str) -> str:
    compact = vat.compact(number)
    prefix = _VAT_PREFIX.get(country, country)
    return "valid" if vat.is_valid(compact) and compact.startswith(prefix) else "invalid"


@lru_cache(maxsize=65536)
def _vat_compact(number: str) -> str:
    return str(vat.compact(number))


@lru_cache(maxsize=65536)
def _siren_checked(number: str) -> tuple[str, str]:
    """The SIREN as printed, and ``valid`` or ``invalid``."""
    return str(siren.format(number)), "valid" if siren.is_valid(number) else "invalid"


def _siren_status(customer: Customer) -> str:
    if not customer.siren:
        return "missing"
    return _siren_checked(customer.siren)[1]


def customer_facts(rules: TaxRules, customer: Customer, day: date) -> Facts:
    """What conditions may know about the customer on ``day`` (EU membership is dated)."""
    if customer.country in FRENCH_TVA_COUNTRIES:
        area = "france"
    else:
        area = "eu" if rules.is_member(customer.country, day) else "outside_eu"
    territory = territory_of(rules, customer.postal_code) if area == "france" else None
    return {
        "customer.id": customer.id, "customer.name": customer.name,
        "customer.kind": customer.kind, "customer.country": customer.country,
        "customer.postal_code": customer.postal_code or None,
        "customer.address": customer.address or None,
        "customer.siren": _siren_checked(customer.siren)[0] if customer.siren else None,
        "customer.vat_number": _vat_compact(customer.vat_number) if customer.vat_number else None,
        "customer.area": area,
        "customer.territory": territory.id if territory else None,
        "customer.vat_number_status": vat_number_status(customer),
        "customer.siren_status": _siren_status(customer),
    }


def seller_facts(version: SellerVersion | None) -> Facts:
    """What conditions may know about the seller and its payment terms."""
    if version is None:
        return {}
    terms = version.terms
    return {
        "seller.name": version.name, "seller.legal_form": version.legal_form,
        "seller.share_capital": french_amount(version.share_capital),
        "seller.address": version.address,
        "seller.siren": _siren_checked(version.siren)[0],
        "seller.rcs": version.rcs, "seller.vat_number": version.vat_number,
        "seller.size": version.size,
        "seller.debits_option": "true" if version.debits_option else "false",
        "terms.due_days": str(terms.due_days), "terms.late_penalty": terms.late_penalty,
        "terms.recovery_indemnity": french_amount(terms.recovery_indemnity),
        "terms.early_payment_discount": terms.early_payment_discount,
        "terms.has_early_payment_discount":
            "true" if terms.early_payment_discount else "false",
    }
