"""The API's fast path for typed records gives what the general row parser gives."""

from __future__ import annotations

import msgspec
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.usage import parse_record, plain_record

TEXT = st.sampled_from(["e1", "C-1", "compute.vcpu", " ", "", "é-ü", " padded "])
QUANTITIES = st.sampled_from(["1", "1.50", "0", "0.000000001", "12.123456789", "-1", "1e3",
                              "01", ".5", "5.", " 2", "NaN", "1_000", "١٢"])
TIMESTAMPS = st.sampled_from(["2026-10-14T09:30:00Z", "2026-10-14T09:30:00+02:00",
                              "2026-10-14t09:30:00z", "2026-10-14 09:30:00+02:00",
                              "2026-10-14T09:30:00", "2026-10-14", "not a time",
                              "2026-10-25T02:30:00+01:00"])
ATTRIBUTES = st.dictionaries(st.sampled_from(["region", "zone", "tier"]),
                             st.sampled_from(["fr-par", "", "nl-ams"]), max_size=3)


@settings(max_examples=500)  # a few milliseconds: both paths are cheap
@given(TEXT, TEXT, TEXT, QUANTITIES, TIMESTAMPS, ATTRIBUTES)
def test_the_fast_path_agrees_with_the_parser(event_id: str, customer_id: str, metric: str,
                                              quantity: str, timestamp: str,
                                              attributes: dict[str, str]) -> None:
    fast = plain_record((event_id, customer_id, metric, quantity, timestamp), attributes,
                        "usage", 7)
    parsed, problems = parse_record(
        {**attributes, "event_id": event_id, "customer_id": customer_id, "metric": metric,
         "quantity": quantity, "timestamp": timestamp}, "usage", 7)
    if fast is not None:  # it may decline what the parser accepts, never differ
        assert problems == []
        # Encoded, so that 1.50 differs from 1.5 and +02:00 from Z, as in a document.
        assert msgspec.json.encode(fast) == msgspec.json.encode(parsed)
