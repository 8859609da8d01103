"""Invariants of the TVA computation over arbitrary usage."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from engine.money import ZERO, round_cents
from tests.tax.helpers import customer, run

CATEGORIES = ("normal", "normal_bis", "intermediate", "reduced", "super_reduced")
quantities = st.decimals(min_value=Decimal("0"), max_value=Decimal("100000"), places=3,
                         allow_nan=False, allow_infinity=False)


@given(st.dictionaries(st.sampled_from(CATEGORIES), quantities.map(str), min_size=1),
       st.sampled_from(["2013-12", "2014-01", "2026-10"]),
       st.sampled_from(["75011", "97400", "97300", "20000"]))
def test_tax_is_per_rate_on_the_sum_of_line_nets(usage: dict[str, str], period: str,
                                                 postal: str) -> None:
    evaluation = run(customer(postal_code=postal), period, usage=usage)
    for tax in evaluation.taxes:
        nets = [line.amount for line in evaluation.lines
                if (line.vat_category, line.vat_rate) == (tax.category, tax.rate)]
        assert tax.base == sum(nets, ZERO)
        assert tax.amount == round_cents(tax.base * tax.rate)
    assert len({(t.category, t.rate) for t in evaluation.taxes}) == len(evaluation.taxes)
    assert evaluation.totals.tax == sum((t.amount for t in evaluation.taxes), ZERO)
    assert evaluation.totals.gross == evaluation.totals.net + evaluation.totals.tax
