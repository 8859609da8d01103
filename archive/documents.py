"""The archived document: number, parties, dates and the evaluation it was computed from.

This JSON (canonical bytes) is what the archive seals, what the PDF and Factur-X
renderers read, and what replay compares: every figure printed comes from it.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import msgspec

from archive.seller import Seller
from engine.customers import Customer

__all__ = ["KINDS", "build_document"]

KINDS = {"invoice": ("F", "380"), "credit_note": ("A", "381"),
         "corrective_invoice": ("F", "384")}
"""Kind → (series prefix, UNTDID 1001 type code). Credit notes have their own series."""


def build_document(*, number: str, kind: str, issue_date: date, seller: Seller,
                   customer: Customer, evaluation: dict[str, Any],
                   original: dict[str, Any] | None = None) -> dict[str, Any]:
    """The document as plain JSON data (str, int, None, list, dict only)."""
    return {
        "number": number,
        "kind": kind,
        "type_code": KINDS[kind][1],
        "issue_date": issue_date.isoformat(),
        "seller": msgspec.to_builtins(seller),
        "customer": msgspec.to_builtins(customer),
        "original": original,
        "evaluation": evaluation,
    }
