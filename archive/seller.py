"""The seller printed on documents: from the ruleset when it declares one, else a default.

Kept behind :func:`seller_for` so that documents pick up ``rulesets/seller.yaml`` (versioned
like every rule) as soon as the ruleset carries it.
"""

from __future__ import annotations

from datetime import date

import msgspec

from engine.rules.ruleset import Ruleset

__all__ = ["DEFAULT_SELLER", "Seller", "seller_for"]


class Seller(msgspec.Struct, frozen=True, kw_only=True):
    """The issuer's identity, as mandatory mentions require it (CGI ann. II art. 242 nonies A)."""

    name: str
    legal_form: str = ""
    address: str
    postal_code: str
    city: str
    country: str = "FR"
    siren: str
    vat_number: str
    rcs: str = ""
    """*Registre du commerce et des sociétés*, e.g. ``RCS Paris 802 100 008``."""
    share_capital: str = ""
    """Decimal string, euros."""
    vat_on_debits: bool = False
    """Opted for TVA *d'après les débits*: printed when true."""
    iban: str = ""
    email: str = ""
    payment_days: int = 30
    """Days from the issue date to the payment due date (the seller's payment terms)."""


DEFAULT_SELLER = Seller(
    name="Nuage Hexagonal", legal_form="SAS", address="8 rue des Serveurs",
    postal_code="75011", city="Paris", siren="802100008", vat_number="FR84802100008",
    rcs="RCS Paris 802 100 008", share_capital="100000.00",
    iban="FR7630006000011234567890189", email="facturation@nuage-hexagonal.example")
"""Used until the ruleset declares its seller."""


def seller_for(ruleset: Ruleset, on: date) -> Seller:
    """The seller in force on ``on`` according to ``rulesets/seller.yaml`` (else the default).

    The payment identifiers (IBAN, billing mailbox) are not part of the ruleset yet and
    come from :data:`DEFAULT_SELLER`.
    """
    declared = ruleset.seller
    if declared is None:
        return DEFAULT_SELLER
    versions = [v for v in declared.versions if v.effective_from <= on]
    if not versions:
        return DEFAULT_SELLER
    version = versions[-1]
    street, _, town = version.address.rpartition(", ")
    city = town.removeprefix(version.postal_code).strip() if town else ""
    return msgspec.structs.replace(
        DEFAULT_SELLER, name=version.name, legal_form=version.legal_form,
        address=street or version.address, postal_code=version.postal_code,
        city=city or DEFAULT_SELLER.city, siren=version.siren, vat_number=version.vat_number,
        rcs=version.rcs, share_capital=format(version.share_capital, "f"),
        vat_on_debits=version.debits_option, payment_days=version.terms.due_days)
