"""Which French TVA territory a postal code belongs to: the longest matching prefix."""

from __future__ import annotations

from engine.rules.tax_fr import TaxRules, Territory

__all__ = ["territory_of"]


def territory_of(rules: TaxRules, postal_code: str) -> Territory | None:
    """The territory claiming the longest prefix of ``postal_code``, else the default one.

    Overseas departments are recognised by 971, 972, 973, 974 and 976, Corsica by 20.
    """
    code = postal_code.replace(" ", "")
    best: tuple[int, Territory] | None = None
    for territory in rules.territories:
        for prefix in territory.postal_prefixes:
            if code.startswith(prefix) and (best is None or len(prefix) > best[0]):
                best = (len(prefix), territory)
    if best is not None:
        return best[1]
    return next((t for t in rules.territories if t.default), None)
