"""The SQL amount of a line is the engine's: the exact product rounded half-up once."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

import duckdb
import pytest
from hypothesis import given
from hypothesis import strategies as st

from batch.cents import with_amount
from engine.rating import round_line

NUMBERS = st.one_of(
    st.decimals(min_value=0, max_value=Decimal("99999999.999999999"), places=9),
    st.sampled_from([Decimal("0.005"), Decimal("0.015"), Decimal("9999999.999999999"),
                     Decimal("10000000"), Decimal("0.000000001"), Decimal("0.5")]))


def amounts(pairs: list[tuple[Decimal, Decimal]]) -> list[Decimal]:
    """``with_amount`` of each (quantity, price), in DuckDB."""
    connection = duckdb.connect()
    connection.execute("CREATE TABLE t (i INTEGER, quantity DECIMAL(38, 9), "
                       "price DECIMAL(38, 9))")
    connection.executemany("INSERT INTO t VALUES (?, ?, ?)",
                           [(i, q, p) for i, (q, p) in enumerate(pairs)])
    rows = connection.execute(f"SELECT amount FROM ({with_amount('t')}) ORDER BY i").fetchall()
    return [Decimal(amount) for (amount,) in rows]


@given(st.lists(st.tuples(NUMBERS, NUMBERS), min_size=1, max_size=20))
def test_amounts_are_the_exact_products_rounded_half_up(
        pairs: list[tuple[Decimal, Decimal]]) -> None:
    expected = [round_line("units", p, q, q * p) for q, p in pairs]
    assert amounts(pairs) == expected


@pytest.mark.parametrize(("quantity", "price", "amount"), [
    ("3", "0.015", "0.05"),                      # a half cent rounds up
    ("1", "0.004999999", "0.00"),
    ("0.999999999", "0.005000001", "0.01"),      # just above a half cent, 18 decimals
    ("0.999999999", "0.005000000", "0.00"),      # just below it
    ("9999999.999999999", "9999999.999999999", "99999999999999.98"),
    ("10000000", "0.005", "50000.00"),           # the 128-bit path
])
def test_edges_of_the_split(quantity: str, price: str, amount: str) -> None:
    exact = Decimal(quantity) * Decimal(price)
    assert exact.quantize(Decimal("0.01"), ROUND_HALF_UP) == Decimal(amount)
    assert amounts([(Decimal(quantity), Decimal(price))]) == [Decimal(amount)]
