"""The difference between two evaluations of the same usage: what a correction carries.

Lines are matched by rule, version, component, tier, unit price and VAT; a correction
carries, per matched line, the difference of quantity and amount. TVA is computed on the
difference of the bases, per (category, rate), as on any document (EN 16931 BR-CO-17).
A credit note prints the differences with the opposite sign: a credit of 3.00 € is 3.00.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from engine.canonical import canonical_bytes, sha256_hex
from engine.money import ZERO, format_amount, format_decimal, format_rate, round_cents

__all__ = ["correction_document", "delta_net"]

_KEY = ("rule_id", "version", "component", "tier", "unit_price", "vat_category", "vat_rate")


def delta_net(base: dict[str, Any], new: dict[str, Any]) -> Decimal:
    """New net total minus base net total."""
    return Decimal(new["totals"]["net"]) - Decimal(base["totals"]["net"])


def correction_document(base: dict[str, Any], new: dict[str, Any], sign: int
                        ) -> dict[str, Any]:
    """The evaluation part of a correction: differing lines, their TVA, totals, digest.

    ``sign`` is -1 for a credit note (amounts printed as credited), +1 for a corrective
    invoice.
    """
    lines = _lines(base["lines"], new["lines"], sign)
    taxes = _taxes(lines, new["taxes"] + base["taxes"])
    net = sum((Decimal(line["amount"]) for line in lines), ZERO)
    tax = sum((Decimal(t["amount"]) for t in taxes), ZERO)
    document: dict[str, Any] = {
        "customer_id": new["customer_id"], "period": new["period"], "commit": new["commit"],
        "timezone": new["timezone"], "tax_point": new["tax_point"],
        "base": {"commit": base["commit"], "digest": base["digest"]},
        "replaces": {"commit": new["commit"], "digest": new["digest"]},
        "lines": lines, "taxes": taxes, "mentions": new["mentions"],
        "totals": {"net": format_amount(net), "tax": format_amount(tax),
                   "gross": format_amount(net + tax), "currency": new["totals"]["currency"]},
        "usage": new["usage"],
    }
    document["digest"] = "sha256:" + sha256_hex(canonical_bytes(document))
    return document


def _key(line: dict[str, Any]) -> tuple[Any, ...]:
    return tuple(line.get(k) for k in _KEY)


def _lines(base: list[dict[str, Any]], new: list[dict[str, Any]], sign: int
           ) -> list[dict[str, Any]]:
    old = {_key(line): line for line in base}
    keys = [_key(line) for line in new] + [k for k in old if k not in {_key(n) for n in new}]
    now = {_key(line): line for line in new}
    out = []
    for key in keys:
        before, after = old.get(key), now.get(key)
        quantity = _number(after, "quantity") - _number(before, "quantity")
        amount = _number(after, "amount") - _number(before, "amount")
        if quantity == 0 and amount == 0:
            continue
        line = dict(after or before or {})
        line["quantity"] = format_decimal(sign * quantity)
        line["amount"] = format_amount(sign * amount)
        out.append(line)
    return out


def _number(line: dict[str, Any] | None, field: str) -> Decimal:
    return ZERO if line is None else Decimal(line[field])


def _taxes(lines: list[dict[str, Any]], known: list[dict[str, Any]]) -> list[dict[str, Any]]:
    bases: dict[tuple[str, str], Decimal] = {}
    for line in lines:
        if line.get("vat_category") is None or line.get("vat_rate") is None:
            continue
        key = (line["vat_category"], line["vat_rate"])
        bases[key] = bases.get(key, ZERO) + Decimal(line["amount"])
    exemptions = {t["category"]: {k: t[k] for k in ("exemption_reason", "exemption_code")
                                  if k in t} for t in reversed(known)}
    return [{"category": category, "rate": format_rate(Decimal(rate)),
             "base": format_amount(base),
             "amount": format_amount(round_cents(base * Decimal(rate))),
             **exemptions.get(category, {})}
            for (category, rate), base in sorted(bases.items())]
