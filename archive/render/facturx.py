"""Factur-X: the PDF with its EN 16931 CII XML embedded (placeholder)."""

from __future__ import annotations

from typing import Any

__all__ = ["facturx_pdf"]


def facturx_pdf(document: dict[str, Any], pdf: bytes) -> bytes:
    """The Factur-X file of ``document``."""
    del document
    return pdf
