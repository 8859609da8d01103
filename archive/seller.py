"""The seller printed on documents: from the ruleset when it declares one, else a default.

Kept behind :func:`seller_for` so that documents pick up ``rulesets/seller.yaml`` (versioned
like every rule) as soon as the ruleset carries it.
"""

from __future__ import annotations

from datetime import date
from typing import Any

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


DEFAULT_SELLER = Seller(
    name="Nuage Hexagonal", legal_form="SAS", address="8 rue des Serveurs",
    postal_code="75011", city="Paris", siren="802100008", vat_number="FR84802100008",
    rcs="RCS Paris 802 100 008", share_capital="100000.00",
    iban="FR7630006000011234567890189", email="facturation@nuage-hexagonal.example")
"""Used until the ruleset declares its seller."""


def seller_for(ruleset: Ruleset, on: date) -> Seller:
    """The seller in force on ``on`` according to ``ruleset``."""
    declared: Any = getattr(ruleset, "seller", None)
    if declared is None:
        return DEFAULT_SELLER
    at = getattr(declared, "at", None)
    value = at(on) if callable(at) else declared
    data = msgspec.to_builtins(value)
    known = {k: v for k, v in data.items() if k in Seller.__struct_fields__}
    return msgspec.convert({**msgspec.to_builtins(DEFAULT_SELLER), **known}, Seller)
