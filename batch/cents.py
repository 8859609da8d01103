"""A line's amount in SQL: ``round(quantity × unit price, 2)`` half-up, on 64-bit integers.

The exact product of two ``DECIMAL(38, 9)`` has 18 decimals in a 128-bit integer, and
DuckDB divides 128-bit integers bit by bit: rounding 800,000 of them to the cent costs
more than pricing them. When both factors are in ``[0, 10^7)`` (nearly always), the
product is split into parts that fit 64-bit decimals — with ``q = qi + qf`` and
``p = pi + pf`` (whole and fractional parts):

    q × p = qi·pi + (qi·pf + qf·pi) + qf·pf

``qi·pi`` is whole, so it leaves the cents alone; ``qf·pf`` (18 decimals, below 1) may
be truncated to 9 decimals: a sum ``y`` with 9 decimals and the exact ``x`` with
``y ≤ x < y + 10^-9`` are on the same side of every half cent (which has 3 decimals),
so they round alike. Other products take the 128-bit path. This is
:func:`engine.rating.round_line` for non-negative ordinary lines.
"""

from __future__ import annotations

__all__ = ["with_amount"]

_SMALL = "10000000"


def with_amount(source: str) -> str:
    """A query adding ``amount`` to every row of ``source`` (``quantity``, ``price``)."""
    small = (f"quantity >= 0 AND quantity < {_SMALL} AND price >= 0 "
             f"AND price < {_SMALL}")
    return f"""
        WITH split AS (
            SELECT *, {small} AS small,
                   (CASE WHEN {small} THEN quantity END)::DECIMAL(18, 9) AS q18,
                   (CASE WHEN {small} THEN price END)::DECIMAL(18, 9) AS p18
            FROM {source}
        ), parts AS (
            SELECT *, floor(q18)::DECIMAL(7, 0) AS qi, (q18 - floor(q18))::DECIMAL(9, 9) AS qf,
                   floor(p18)::DECIMAL(7, 0) AS pi, (p18 - floor(p18))::DECIMAL(9, 9) AS pf
            FROM split
        )
        SELECT * EXCLUDE (small, q18, p18, qi, qf, pi, pf),
               CASE WHEN small
                    THEN qi * pi + round(qi * pf + qf * pi
                                         + trunc(qf * pf, 9)::DECIMAL(9, 9), 2)
                    ELSE round(quantity * price, 2) END AS amount
        FROM parts"""  # noqa: S608 - the caller names a table of its own
