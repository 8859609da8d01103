"""The French invoice PDF (placeholder until the full layout lands)."""

from __future__ import annotations

from typing import Any

from fpdf import FPDF

__all__ = ["invoice_pdf"]


def invoice_pdf(document: dict[str, Any]) -> bytes:
    """The document as a PDF."""
    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("Helvetica", size=12)
    pdf.cell(text=f"Facture {document['number']}")
    return bytes(pdf.output())
