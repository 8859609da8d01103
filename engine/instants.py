"""RFC 3339 text of many instants at once, exactly as :meth:`datetime.isoformat` writes it.

An evaluation writes dozens of instants (each record's in the usage digest, each line's
first and last use in the document). ``isoformat`` builds each one through a format
string; msgspec writes a whole list in C for about the price of one. Its text differs
from ``isoformat``'s in two ways only, both handled here: UTC is written ``Z`` rather
than ``+00:00``, and an offset is cut to whole minutes. Offsets with seconds are the
local mean times of the tz database, the last of which ended in 1972
(``Africa/Monrovia``, −0:44:30); instants before 1973 are left to ``isoformat``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import msgspec

__all__ = ["isoformats"]

_ENCODER = msgspec.json.Encoder()
_TEXTS = msgspec.json.Decoder(list[str])
_WHOLE_MINUTES_SINCE = 1973
"""Every offset of the tz database from this year on is a whole number of minutes."""


def isoformats(values: Sequence[datetime]) -> list[str]:
    """``[value.isoformat() for value in values]``; fast for UTC and tz-database instants.

    >>> from zoneinfo import ZoneInfo
    >>> paris = ZoneInfo("Europe/Paris")
    >>> for text in isoformats([datetime(2026, 10, 1, 4, 48, tzinfo=UTC),
    ...                         datetime(2026, 10, 1, 6, 48, 0, 120000, tzinfo=paris),
    ...                         datetime(2026, 1, 1, tzinfo=ZoneInfo("Europe/London")),
    ...                         datetime(1890, 1, 1, tzinfo=paris)]):
    ...     print(text)
    2026-10-01T04:48:00+00:00
    2026-10-01T06:48:00.120000+02:00
    2026-01-01T00:00:00+00:00
    1890-01-01T00:00:00+00:09:21
    """
    texts = _TEXTS.decode(_ENCODER.encode(values))
    for position, value in enumerate(values):
        zone = value.tzinfo
        if zone is UTC:
            texts[position] = texts[position][:-1] + "+00:00"
        elif zone.__class__ is not ZoneInfo or value.year < _WHOLE_MINUTES_SINCE:
            texts[position] = value.isoformat()
        elif texts[position][-1] == "Z":
            texts[position] = texts[position][:-1] + "+00:00"
    return texts
