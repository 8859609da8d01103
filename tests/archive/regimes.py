"""Documents under each TVA regime, built from a real document, for the renderer tests.

Until the TVA stage fills ``taxes``, these stand in for its output: each line gets the
regime's category and rate and the breakdown is computed per (category, rate) as
DESIGN.md says (half-up on the sum of the line nets).
"""

from __future__ import annotations

import copy
from decimal import Decimal
from typing import Any

from engine.canonical import canonical_bytes, sha256_hex
from engine.money import format_amount, round_cents

# regime → (customer id in the sample, category, rate, exemption reason, exemption code)
REGIMES: dict[str, tuple[str, str, str, str | None, str | None]] = {
    "fr-business": ("C-0001", "S", "0.20", None, None),
    "fr-consumer": ("C-0003", "S", "0.20", None, None),
    "eu-reverse-charge": ("C-0006", "AE", "0.00", "Autoliquidation", "VATEX-EU-AE"),
    "non-eu": ("C-0007", "O", "0.00", "TVA non applicable – art. 259-1 du CGI", "VATEX-EU-O"),
    "overseas-reunion": ("C-0004", "S", "0.085", None, None),
}


def taxed(document: dict[str, Any], regime: str) -> dict[str, Any]:
    """``document`` with the regime's TVA on every line, its breakdown and totals."""
    _, category, rate, reason, code = REGIMES[regime]
    out = copy.deepcopy(document)
    evaluation = out["evaluation"]
    for line in evaluation["lines"]:
        line["vat_category"], line["vat_rate"] = category, rate
    base = sum((Decimal(line["amount"]) for line in evaluation["lines"]), Decimal("0"))
    amount = round_cents(base * Decimal(rate))
    tax: dict[str, Any] = {"category": category, "rate": rate, "base": format_amount(base),
                           "amount": format_amount(amount)}
    if reason:
        tax["exemption_reason"] = reason
    if code:
        tax["exemption_code"] = code
    evaluation["taxes"] = [tax]
    evaluation["totals"] = {**evaluation["totals"], "tax": format_amount(amount),
                            "gross": format_amount(base + amount)}
    evaluation.pop("digest")
    evaluation["digest"] = "sha256:" + sha256_hex(canonical_bytes(evaluation))
    return out
