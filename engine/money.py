"""Exact money: decimals parsed from strings, rounded only here.

Every amount in Barème is a :class:`decimal.Decimal` built from a string. Rounding
happens at two documented points only: a line's net amount and a tax amount, both
half-up to the cent (EN 16931 BR-CO rules sum rounded figures).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from decimal import (
    ROUND_HALF_EVEN,
    ROUND_HALF_UP,
    Context,
    Decimal,
    DivisionByZero,
    InvalidOperation,
    Overflow,
    localcontext,
)
from typing import ParamSpec, TypeVar

__all__ = ["CENT", "EXACT", "ZERO", "DecimalSyntaxError", "exact", "format_amount",
           "format_decimal", "format_price", "format_rate", "parse_decimal", "round_cents"]

P = ParamSpec("P")
R = TypeVar("R")

CENT = Decimal("0.01")
ZERO = Decimal("0")
_DECIMAL_TEXT = re.compile(r"-?[0-9]+(\.[0-9]+)?\Z")
_PLAIN_DIGITS = 28
"""Characters of a decimal's text short enough to be plain: longer ones are normalised."""


EXACT = Context(prec=100, rounding=ROUND_HALF_EVEN,
                traps=[InvalidOperation, DivisionByZero, Overflow])
"""The arithmetic of an evaluation: 100 significant digits, so that sums and products of
quantities (below 10^15) and prices are exact rather than rounded to the default 28."""


def exact(function: Callable[P, R]) -> Callable[P, R]:
    """Run ``function`` in the :data:`EXACT` context (of the calling thread).

    >>> exact(lambda: Decimal("123456789012345.123456789") * Decimal("1.000000007"))()
    Decimal('123456789876542.646543204864197523')
    """
    @functools.wraps(function)
    def run(*args: P.args, **kwargs: P.kwargs) -> R:
        with localcontext(EXACT):
            return function(*args, **kwargs)

    return run


class DecimalSyntaxError(ValueError):
    """A text that is not a plain decimal number such as ``"0.0420"``."""


def parse_decimal(text: str) -> Decimal:
    """Parse a plain decimal string; refuse exponents, spaces, NaN and floats.

    >>> parse_decimal("0.0420")
    Decimal('0.0420')
    >>> parse_decimal("1e3")
    Traceback (most recent call last):
    ...
    engine.money.DecimalSyntaxError: expected a decimal string such as "12.50"; got '1e3'
    """
    if not isinstance(text, str) or not _DECIMAL_TEXT.match(text):
        raise DecimalSyntaxError(f'expected a decimal string such as "12.50"; got {text!r}')
    try:
        return Decimal(text)
    except InvalidOperation as exc:  # pragma: no cover - the pattern already guards
        raise DecimalSyntaxError(f"not a decimal: {text!r}") from exc


def round_cents(value: Decimal) -> Decimal:
    """Round half-up to the cent.

    >>> round_cents(Decimal("0.125")), round_cents(Decimal("-0.125"))
    (Decimal('0.13'), Decimal('-0.13'))
    """
    return value.quantize(CENT, rounding=ROUND_HALF_UP, context=EXACT)


def format_amount(value: Decimal) -> str:
    """Render a cent-rounded amount with exactly two decimals.

    >>> format_amount(Decimal("50.4")), format_amount(Decimal("-0.004"))
    ('50.40', '0.00')
    """
    rounded = round_cents(value)
    return str(rounded if rounded else rounded.copy_abs())  # never "-0.00"


def format_decimal(value: Decimal) -> str:
    """Render a quantity, price or rate without exponent or trailing zeros.

    >>> format_decimal(Decimal("1200.000")), format_decimal(Decimal("0.20"))
    ('1200', '0.2')
    >>> format_decimal(Decimal("1E+3")), format_decimal(Decimal("-12.50"))
    ('1000', '-12.5')
    """
    if value == 0:
        return "0"
    text = str(value)
    if "E" in text or len(text) > _PLAIN_DIGITS:
        return format(value.normalize(EXACT), "f")
    # Already without exponent and too short for normalize() to round: only trailing
    # zeros after the point (and a bare point) differ, and they go in a string method.
    return text.rstrip("0").rstrip(".") if "." in text else text


def format_price(value: Decimal) -> str:
    """A unit price with the precision it was written with, never in exponent form.

    >>> format_price(Decimal("0.0420")), format_price(Decimal("-0.15"))
    ('0.0420', '-0.15')
    """
    return format(value, "f")


def format_rate(value: Decimal) -> str:
    """A rate with at least two decimals, as EN 16931 and CONTRACT.md print it.

    >>> format_rate(Decimal("0.2")), format_rate(Decimal("0.055")), format_rate(Decimal("0"))
    ('0.20', '0.055', '0.00')
    """
    text = format_decimal(value)
    whole, _, frac = text.partition(".")
    return f"{whole}.{frac.ljust(2, '0')}"
