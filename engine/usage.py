"""Usage records: parsed from rows with located errors, deduplicated by ``event_id``.

Records arrive as mappings (a CSV row, a JSON line, a Parquet row); each is checked
field by field and every problem names the source, the record number and the field.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any

import msgspec

from engine.diagnostics import Diagnostic
from engine.money import DecimalSyntaxError, parse_decimal

_PLAIN = re.compile(r"[0-9]+(\.[0-9]+)?\Z")
MAX_QUANTITY_TEXT = 40
"""Longest quantity text read: past it, a number is refused before any arithmetic, which
a million digits would make slow or overflow."""
_RFC3339 = re.compile(
    r"\d{4}-\d\d-\d\d(?:T|(t))\d\d:\d\d:\d\d(?:\.(\d+))?(?:Z|(z)|[+-]\d\d:\d\d)\Z", re.ASCII)
"""RFC 3339 ``date-time``: groups are a lower-case ``t``, the fraction, a lower-case ``z``."""
_NO_OFFSET = re.compile(r"\d{4}-\d\d-\d\d[Tt]\d\d:\d\d(?::\d\d(?:\.\d+)?)?\Z", re.ASCII)

__all__ = ["REQUIRED_FIELDS", "RESERVED_NAMES", "Timed", "UsageRecord", "dedupe", "parse_record",
           "parse_records", "parse_timestamp", "plain_record"]

REQUIRED_FIELDS = ("event_id", "customer_id", "metric", "quantity", "timestamp")
RESERVED_NAMES = frozenset(REQUIRED_FIELDS)
"""Field names no attribute may take."""


class UsageRecord(msgspec.Struct, frozen=True, kw_only=True):
    """One usage event."""

    event_id: str
    """Unique per event; the idempotency key."""
    customer_id: str
    metric: str
    """E.g. ``compute.vcpu_hours``."""
    quantity: Decimal
    """Non-negative, exact."""
    timestamp: datetime
    """Aware instant of the event."""
    attributes: tuple[tuple[str, str], ...] = ()
    """Other columns (region, sku, …), sorted by name."""
    source: str = ""
    """File or request the record came from."""
    row: int = 0
    """1-based record number in ``source``."""

    def content(self) -> tuple[object, ...]:
        """What must match for two records with one ``event_id`` to be the same event."""
        return (self.customer_id, self.metric, self.quantity, self.timestamp, self.attributes)


Timed = tuple[datetime, str, "UsageRecord"]
"""A record with its instant in UTC and its event id: its sort key, computed once."""


def parse_timestamp(text: str) -> datetime:
    """An RFC 3339 instant with an explicit offset, in the years 1900 to 2999.

    >>> parse_timestamp("2026-10-14T09:30:00Z").isoformat()
    '2026-10-14T09:30:00+00:00'
    >>> parse_timestamp("2026-10-14t11:30:00.5+02:00").isoformat()
    '2026-10-14T11:30:00.500000+02:00'
    >>> parse_timestamp("2026-10-14T09:30:00")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: timestamp '2026-10-14T09:30:00' has no UTC offset; write it as RFC 3339 ...
    >>> parse_timestamp("2026-10-14 09:30:00Z")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: timestamp '2026-10-14 09:30:00Z' is not RFC 3339 ...
    """
    match = _RFC3339.match(text)
    if match is None:
        if _NO_OFFSET.match(text):
            raise ValueError(f"timestamp {text!r} has no UTC offset; write it as RFC 3339 such "
                             "as 2026-10-14T09:30:00Z or 2026-10-14T11:30:00+02:00")
        raise ValueError(f"timestamp {text!r} is not RFC 3339 (date, 'T', time with "
                         "seconds, offset); expected such as 2026-10-14T09:30:00Z or "
                         "2026-10-14T11:30:00+02:00")
    lower_t, fraction, lower_z = match.groups()
    if fraction is not None and len(fraction) > 6:
        if fraction[6:].strip("0"):
            raise ValueError(f"timestamp {text!r} is finer than a microsecond, which is "
                             "not kept; round it to at most 6 decimals of a second")
        text = text[:match.start(2) + 6] + text[match.end(2):]
    if text[-6] in "+-" and (int(text[-5:-3]) > 23 or int(text[-2:]) > 59):
        raise ValueError(f"timestamp {text!r} has offset {text[-6:]}, outside -23:59 to "
                         "+23:59")
    try:
        value = datetime.fromisoformat(text if lower_t is None and lower_z is None
                                       else text.upper())
    except ValueError as exc:
        raise ValueError(f"timestamp {text!r} is not a valid date and time: {exc}") from None
    if not 1900 <= value.year <= 2999:
        raise ValueError(f"timestamp {text!r} is outside the years 1900 to 2999")
    return value


def _quantity(value: Any) -> Decimal:
    if value.__class__ is str and len(value) > MAX_QUANTITY_TEXT:
        raise ValueError(f"quantity has {len(value)} characters; at most "
                         f"{MAX_QUANTITY_TEXT} are read (quantities are below 10^15)")
    if value.__class__ is str and _PLAIN.match(value):
        return Decimal(value)  # digits, at most one point, no sign: finite and ≥ 0
    if isinstance(value, bool):
        raise ValueError(f"quantity must be a decimal number; got {value!r}")
    if isinstance(value, Decimal):
        number = value
    elif isinstance(value, int):
        number = Decimal(value)
    elif isinstance(value, float):
        # Parquet and CSV readers may hand a binary float: take its shortest repr, exactly.
        number = Decimal(repr(value))
    else:
        try:
            number = parse_decimal(str(value).strip())
        except DecimalSyntaxError:
            raise ValueError(f"quantity must be a decimal number such as 12.5; "
                             f"got {value!r}") from None
    if not number.is_finite():
        raise ValueError(f"quantity must be a finite number; got {_shown(value)}")
    if number and abs(number.adjusted()) > MAX_QUANTITY_TEXT:
        raise ValueError(f"quantity {number:.3E} is out of range; quantities are below 10^15 "
                         f"and read to {MAX_QUANTITY_TEXT} digits")
    if number < 0:
        raise ValueError(f"quantity must be ≥ 0; got {_shown(value)}")
    return number


def _shown(value: Any) -> str:
    """A quantity as its file gave it: text quoted, a number as written (not its repr)."""
    return repr(value) if isinstance(value, str) else str(value)


def parse_record(row: Mapping[str, Any], source: str, position: int
                 ) -> tuple[UsageRecord | None, list[Diagnostic]]:
    """One record from a row, or ``None`` and the problems, each naming its field."""
    problems = [_problem(source, position, field, "usage.missing_field",
                         "required and missing or empty")
                for field in REQUIRED_FIELDS if _blank(row.get(field))]
    if problems:
        return None, problems
    quantity = timestamp = None
    try:
        quantity = _quantity(row["quantity"])
    except ValueError as exc:
        problems.append(_problem(source, position, "quantity", "usage.bad_quantity", str(exc)))
    try:
        given = row["timestamp"]
        # A typed timestamp (Parquet) is its ISO text, which the same rules then check.
        timestamp = parse_timestamp(given.isoformat() if isinstance(given, datetime)
                                    else str(given))
    except ValueError as exc:
        problems.append(_problem(source, position, "timestamp", "usage.bad_timestamp",
                                 str(exc)))
    nested = [k for k, v in row.items() if isinstance(v, dict | list | tuple)]
    problems += [_problem(source, position, str(k), "usage.bad_attribute",
                          "an attribute is a text or a number, not a list or an object")
                 for k in nested]
    if quantity is None or timestamp is None or nested:
        return None, problems
    attributes = (tuple(sorted((str(k), _attribute_text(v)) for k, v in row.items()
                               if k not in RESERVED_NAMES and v is not None and v != ""))
                  if len(row) > len(RESERVED_NAMES) else ())
    return UsageRecord(event_id=str(row["event_id"]), customer_id=str(row["customer_id"]),
                       metric=str(row["metric"]), quantity=quantity, timestamp=timestamp,
                       attributes=attributes, source=source, row=position), problems


def _attribute_text(value: Any) -> str:
    """An attribute as text: JSON's ``true`` and ``false`` stay as written."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _blank(value: Any) -> bool:
    return value is None or (value.__class__ is str and not value.strip())


def _problem(source: str, position: int, field: str, code: str, message: str) -> Diagnostic:
    return Diagnostic(path=source, line=position, column=0, code=code,
                      message=f"field {field!r}: {message}")


def plain_record(fields: tuple[str, str, str, str, str], attributes: Mapping[str, str],
                 source: str, position: int) -> UsageRecord | None:
    """The record of well-formed text fields, else ``None``: :func:`parse_record` then.

    ``fields`` are the event id, customer id, metric, quantity and timestamp. A fast path
    for typed input (the API's): it gives what :func:`parse_record` gives, and leaves
    anything that needs a located message to it.
    """
    event_id, customer_id, metric, quantity, timestamp = fields
    if not (event_id.strip() and customer_id.strip() and metric.strip()
            and len(quantity) <= MAX_QUANTITY_TEXT and _PLAIN.match(quantity)):
        return None
    try:
        instant = parse_timestamp(timestamp)
    except ValueError:
        return None
    return UsageRecord(event_id=event_id, customer_id=customer_id, metric=metric,
                       quantity=Decimal(quantity), timestamp=instant,
                       attributes=_attributes(attributes), source=source, row=position)


def _attributes(attributes: Mapping[str, str]) -> tuple[tuple[str, str], ...]:
    """The non-empty attributes, sorted by name."""
    if not attributes:
        return ()
    if len(attributes) == 1:  # the usual case, without building and sorting a list
        (item,) = attributes.items()
        return (item,) if item[1] else ()
    pairs = [(k, v) for k, v in attributes.items() if v]
    pairs.sort()
    return tuple(pairs)


def parse_records(rows: Iterable[Mapping[str, Any]], source: str, first: int = 1
                  ) -> tuple[list[UsageRecord], list[Diagnostic]]:
    """Every parsable record of ``rows`` and every problem, record numbers from ``first``."""
    records: list[UsageRecord] = []
    problems: list[Diagnostic] = []
    for offset, row in enumerate(rows):
        record, errors = parse_record(row, source, first + offset)
        problems.extend(errors)
        if record is not None:
            records.append(record)
    return records, problems


def dedupe(records: Iterable[UsageRecord]) -> tuple[list[UsageRecord], list[Diagnostic]]:
    """Keep one record per ``event_id``; a reused id with other content is a conflict."""
    seen: dict[str, UsageRecord] = {}
    problems: list[Diagnostic] = []
    for record in records:
        first = seen.setdefault(record.event_id, record)
        if first is not record and first.content() != record.content():
            problems.append(Diagnostic(
                path=record.source, line=record.row, column=0, code="usage.duplicate_conflict",
                message=f"field 'event_id': {record.event_id!r} was already used by record "
                        f"{first.row} of {first.source} with different content; an event id "
                        "identifies one event"))
    return list(seen.values()), problems
