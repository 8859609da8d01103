"""French typography for amounts, rates, quantities and dates on printed documents."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

__all__ = ["amount", "day", "quantity", "rate"]


def amount(text: str, currency: str = "EUR") -> str:
    """``"1234.50"`` → ``"1 234,50 €"``.

    >>> amount("-1234.5")
    '-1 234,50 €'
    """
    value = Decimal(text).quantize(Decimal("0.01"))
    whole, _, cents = f"{abs(value):.2f}".partition(".")
    grouped = f"{int(whole):,}".replace(",", " ")
    sign = "-" if value < 0 else ""
    return f"{sign}{grouped},{cents} {'€' if currency == 'EUR' else currency}"


def quantity(text: str) -> str:
    """A quantity or unit price with a decimal comma, as written: ``"0.0420"`` → ``"0,0420"``."""
    return text.replace(".", ",")


def rate(text: str) -> str:
    """``"0.20"`` → ``"20 %"``, ``"0.085"`` → ``"8,5 %"``.

    >>> rate("0.055")
    '5,5 %'
    """
    percent = (Decimal(text) * 100).normalize()
    return f"{format(percent, 'f').replace('.', ',')} %"


def day(iso: str) -> str:
    """``"2026-11-03"`` (or an instant) → ``"03/11/2026"``."""
    return date.fromisoformat(iso[:10]).strftime("%d/%m/%Y")
