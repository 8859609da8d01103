"""Date ranges given as query parameters: ``from`` and ``to`` (inclusive), or a ``year``.

Every wrong parameter is reported at once, each naming itself, as ``invalid-dates`` (422).
"""

from __future__ import annotations

import re
from datetime import date

from api.errors import ApiProblem
from api.wire import DiagnosticOut

__all__ = ["date_range"]

_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_YEAR = re.compile(r"[0-9]{4}")


def date_range(start: str | None, end: str | None, year: str | None = None) -> tuple[date, date]:
    """The first and last day asked for, or :class:`ApiProblem` naming each wrong parameter.

    >>> date_range("2026-01-01", "2026-03-31")
    (datetime.date(2026, 1, 1), datetime.date(2026, 3, 31))
    >>> date_range(None, None, "2025")
    (datetime.date(2025, 1, 1), datetime.date(2025, 12, 31))
    """
    if year is not None and (start, end) == (None, None):
        if _YEAR.fullmatch(year) and year != "0000":
            return date(int(year), 1, 1), date(int(year), 12, 31)
        raise _problem([_wrong("year", f"expected a year such as 2026; got {year!r}")])
    if year is not None:
        raise _problem([_wrong("year", "give either 'year' or 'from' and 'to', not both")])
    problems: list[DiagnosticOut] = []
    first, last = _parse("from", start, problems), _parse("to", end, problems)
    if first is None or last is None:
        raise _problem(problems)
    if last < first:
        raise _problem([_wrong("to", f"the range ends ({last}) before it starts ({first})",
                               "dates.reversed")])
    return first, last


def _parse(name: str, value: str | None, problems: list[DiagnosticOut]) -> date | None:
    """The date of parameter ``name``, or ``None`` with its problem added to ``problems``."""
    if value is None:
        problems.append(_wrong(name, "missing; give a date YYYY-MM-DD (or 'year')",
                               "dates.missing"))
        return None
    try:
        if _DATE.fullmatch(value):
            return date.fromisoformat(value)
    except ValueError:
        pass
    problems.append(_wrong(name, f"expected a date YYYY-MM-DD such as 2026-01-31; "
                                 f"got {value!r}"))
    return None


def _wrong(parameter: str, message: str, code: str = "dates.invalid") -> DiagnosticOut:
    return DiagnosticOut(path="query", line=0, column=0, code=code,
                         message=f"query parameter '{parameter}': {message}",
                         parameter=parameter)


def _problem(diagnostics: list[DiagnosticOut]) -> ApiProblem:
    detail = "; ".join(d.message for d in diagnostics)
    return ApiProblem("invalid-dates", detail, diagnostics)
