"""The evaluation document prints every line as its own numbers say."""

from __future__ import annotations

from decimal import Decimal

import msgspec

from engine.document import to_document
from tests.conftest import pricing
from tests.engine.helpers import record, run

MINIMUM = """\
rules:
  - id: unit
    metric: unit
    label: Unit
    versions:
      - {effective_from: 2026-01-01, model: per_unit, unit_price: "1", minimum: "50"}
"""


def test_equal_unit_prices_print_as_written_line_after_line() -> None:
    evaluation = run(pricing(MINIMUM), [record("3", "2026-10-05T10:00:00Z", metric="unit")])
    [minimum] = [line for line in evaluation.lines if line.component == "minimum"]
    printed = []
    for price in ("47", "47.00", "47.0"):  # equal prices, written three ways
        line = msgspec.structs.replace(minimum, unit_price=Decimal(price))
        document = to_document(msgspec.structs.replace(evaluation, lines=(line,)))
        printed.append(document["lines"][0]["unit_price"])
    assert printed == ["47", "47.00", "47.0"]
