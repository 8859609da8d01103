"""The evaluation as the JSON document of CONTRACT.md, and its digest.

Amounts are strings with two decimals, rates and quantities decimal strings, instants
RFC 3339 in the ruleset's time zone. The digest is the SHA-256 of the canonical bytes of
everything else.
"""

from __future__ import annotations

from decimal import Decimal
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from engine.canonical import canonical_bytes, indented, sha256_hex
from engine.instants import isoformats
from engine.money import format_amount, format_decimal, format_price, format_rate
from engine.results import Evaluation, Line, MentionResult, Provenance, TaxLine

__all__ = ["evaluation_bytes", "to_document"]


def to_document(evaluation: Evaluation) -> dict[str, Any]:
    """The evaluation as plain JSON data, ``digest`` included."""
    return _digested(evaluation)[0]


def evaluation_bytes(evaluation: Evaluation) -> bytes:
    """What the CLI prints and the API answers: the document, indented, sorted keys."""
    return indented(_digested(evaluation)[1])


def _digested(evaluation: Evaluation) -> tuple[dict[str, Any], bytes]:
    """The document with its digest, and its canonical bytes, the content encoded once.

    The digest covers every other key. Keys are sorted, so ``digest`` sits between the
    keys that sort before it and those after: each side is encoded once, and the two are
    joined without the digest to compute it, then with it.
    """
    document = _content(evaluation)
    if "digest" in document:  # an extra key of that name: the digest replaces it
        document["digest"] = "sha256:" + sha256_hex(canonical_bytes(document))
        return document, canonical_bytes(document)
    before = canonical_bytes({k: v for k, v in document.items() if k < "digest"})
    after = canonical_bytes({k: v for k, v in document.items() if k > "digest"})
    document["digest"] = "sha256:" + sha256_hex(_joined(before, after))
    return document, _joined(before, canonical_bytes({"digest": document["digest"]}), after)


def _joined(*objects: bytes) -> bytes:
    """The canonical bytes of JSON objects' members, in order, as one object.

    >>> _joined(b'{"a":1}', b'{}', b'{"b":[2],"c":{}}')
    b'{"a":1,"b":[2],"c":{}}'
    """
    return b"{" + b",".join([o[1:-1] for o in objects if o != b"{}"]) + b"}"


def _content(evaluation: Evaluation) -> dict[str, Any]:
    """Every key of the document but ``digest``."""
    zone = ZoneInfo(evaluation.timezone)
    period, lines = evaluation.period, evaluation.lines
    instants = [period.start, period.end]
    for line in lines:
        instants += (line.usage_from, line.usage_to)
    start, end, *uses = isoformats([value.astimezone(zone) for value in instants])
    document: dict[str, Any] = {
        "customer_id": evaluation.customer_id,
        "period": {"label": period.label, "start": start, "end": end},
        "commit": evaluation.commit,
        "timezone": evaluation.timezone,
        "tax_point": evaluation.tax_point.astimezone(zone).date().isoformat(),
        "issue_date": (None if evaluation.issue_date is None
                       else evaluation.issue_date.isoformat()),
        "lines": [_line(line, uses[2 * n], uses[2 * n + 1]) for n, line in enumerate(lines)],
        "taxes": [_tax(tax) for tax in evaluation.taxes],
        "mentions": [_mention(m) for m in evaluation.mentions],
        "totals": {"net": format_amount(evaluation.totals.net),
                   "tax": format_amount(evaluation.totals.tax),
                   "gross": format_amount(evaluation.totals.gross),
                   "currency": evaluation.totals.currency},
        "usage": {"records": evaluation.usage_count, "digest": evaluation.usage_digest},
    }
    for key, value in evaluation.extra:
        document[key] = value
    return document


def _provenance(p: Provenance) -> dict[str, Any]:
    data: dict[str, Any] = {"rule_id": p.rule_id, "version": p.version, "path": p.path,
                            "line": p.line, "blob": p.blob, "commit": p.commit}
    if p.override_id is not None:
        data["override_id"] = p.override_id
    return data


def _line(line: Line, usage_from: str, usage_to: str) -> dict[str, Any]:
    data = dict(_described(line.rule_id, line.version, line.provenance, line.label,
                           line.component, line.tier, line.unit, line.vat_rate,
                           line.vat_category))
    data["provenance"] = dict(data["provenance"])  # callers own what they are given
    # Not cached: 50 and 50.00 are equal keys, but print as written.
    data["unit_price"] = format_price(line.unit_price)
    data["quantity"] = format_decimal(line.quantity)
    data["amount"] = format_amount(line.amount)
    data["usage_from"] = usage_from
    data["usage_to"] = usage_to
    return data


@lru_cache(maxsize=16384)
def _described(rule_id: str, version: str, provenance: Provenance, label: str,
               component: str, tier: int | None, unit: str,
               vat_rate: Decimal | None, vat_category: str | None) -> dict[str, Any]:
    """What a line shows that does not depend on the usage, rendered once.

    The same for every evaluation of the same rule version at the same commit; callers
    copy it.
    """
    return {
        "rule_id": rule_id, "version": version, "label": label,
        "component": component, "tier": tier, "unit": unit,
        "unit_price": None,
        "vat_rate": None if vat_rate is None else format_rate(vat_rate),
        "vat_category": vat_category, "provenance": _provenance(provenance),
    }


def _tax(tax: TaxLine) -> dict[str, Any]:
    data: dict[str, Any] = {"category": tax.category, "rate": format_rate(tax.rate),
                            "base": format_amount(tax.base), "amount": format_amount(tax.amount)}
    if tax.exemption_reason is not None:
        data["exemption_reason"] = tax.exemption_reason
    if tax.exemption_code is not None:
        data["exemption_code"] = tax.exemption_code
    if tax.provenance:
        data["provenance"] = [_provenance(p) for p in tax.provenance]
    return data


def _mention(mention: MentionResult) -> dict[str, Any]:
    data: dict[str, Any] = {"id": mention.id, "text": mention.text}
    if mention.provenance is not None:
        data["provenance"] = _provenance(mention.provenance)
    return data
