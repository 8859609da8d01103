"""Valid time: local dates of a ruleset's time zone, billing periods, versions in force.

A version holds on the half-open interval ``[effective_from, next effective_from)``;
``effective_from`` is a local date in the ruleset's time zone, so a version effective
2026-07-01 in ``Europe/Paris`` starts at 2026-06-30T22:00Z.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import msgspec

__all__ = ["BillingPeriod", "PeriodSyntaxError", "local_midnight", "parse_period",
           "utc_midnight", "version_at"]

_PERIOD = re.compile(r"([0-9]{4})-(0[1-9]|1[0-2])")
"""ASCII digits only, the whole text (``fullmatch``): ``2026-10\n`` or full-width digits
would name the same month under another label, and so another invoice key."""


class PeriodSyntaxError(ValueError):
    """A billing period that is not ``YYYY-MM``."""


def local_midnight(day: date, zone: ZoneInfo) -> datetime:
    """The instant a local date starts in ``zone``.

    >>> local_midnight(date(2014, 1, 1), ZoneInfo("Europe/Paris")).isoformat()
    '2014-01-01T00:00:00+01:00'
    """
    return datetime.combine(day, time(0, 0), tzinfo=zone)


def utc_midnight(day: date, zone: ZoneInfo) -> datetime:
    """:func:`local_midnight` as a UTC instant, which compares much faster than a zoned one.

    >>> utc_midnight(date(2026, 7, 1), ZoneInfo("Europe/Paris")).isoformat()
    '2026-06-30T22:00:00+00:00'
    """
    return local_midnight(day, zone).astimezone(UTC)


class BillingPeriod(msgspec.Struct, frozen=True, kw_only=True):
    """A calendar month in the ruleset's time zone, as a half-open interval of instants."""

    label: str
    """``YYYY-MM``."""
    start: datetime
    """First instant of the month, local midnight (aware)."""
    end: datetime
    """First instant of the next month (exclusive)."""

    def contains(self, instant: datetime) -> bool:
        """Whether ``instant`` falls in ``[start, end)``."""
        return self.start <= instant < self.end

    @property
    def tax_point(self) -> datetime:
        """*Fait générateur* of a continuous service billed per period: its last instant.

        The end is exclusive, so the tax point is one microsecond before it; the date of
        the tax point is the last day of the month.
        """
        return self.end - timedelta(microseconds=1)

    @property
    def last_day(self) -> date:
        """The last local date of the period."""
        return (self.end - timedelta(days=1)).date()


def parse_period(label: str, zone: ZoneInfo) -> BillingPeriod:
    """Turn ``YYYY-MM`` into a :class:`BillingPeriod` in ``zone``.

    >>> p = parse_period("2025-10", ZoneInfo("Europe/Paris"))
    >>> p.start.isoformat(), p.end.isoformat()
    ('2025-10-01T00:00:00+02:00', '2025-11-01T00:00:00+01:00')
    """
    match = _PERIOD.fullmatch(label)
    if not match:
        raise PeriodSyntaxError(f"period must be YYYY-MM, such as 2026-10; got {label!r}")
    year, month = int(match.group(1)), int(match.group(2))
    if not 1900 <= year <= 2999:
        raise PeriodSyntaxError(f"period {label!r} is outside the years 1900 to 2999")
    nxt = date(year + 1, 1, 1) if month == 12 else date(year, month + 1, 1)
    return BillingPeriod(label=label, start=local_midnight(date(year, month, 1), zone),
                         end=local_midnight(nxt, zone))


def version_at(starts: Sequence[datetime], instant: datetime) -> int | None:
    """Index of the version in force at ``instant``, given sorted start instants.

    >>> z = ZoneInfo("Europe/Paris")
    >>> starts = [local_midnight(date(2025, 1, 1), z), local_midnight(date(2026, 7, 1), z)]
    >>> version_at(starts, datetime(2026, 6, 30, 21, 59, tzinfo=ZoneInfo("UTC")))
    0
    >>> version_at(starts, datetime(2026, 6, 30, 22, 0, tzinfo=ZoneInfo("UTC")))
    1
    >>> version_at(starts, datetime(2024, 12, 31, 22, 59, tzinfo=ZoneInfo("UTC"))) is None
    True
    """
    index = bisect.bisect_right(starts, instant) - 1
    return index if index >= 0 else None
