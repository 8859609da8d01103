"""Rendering of archived documents: the French PDF and the Factur-X (PDF/A-3 + CII XML)."""

from __future__ import annotations

from typing import Any

from archive.render.facturx import facturx_pdf
from archive.render.pdf import invoice_pdf

__all__ = ["render"]


def render(document: dict[str, Any]) -> tuple[bytes, bytes]:
    """The document's PDF and its Factur-X file, both from the same JSON."""
    pdf = invoice_pdf(document)
    return pdf, facturx_pdf(document, pdf)
