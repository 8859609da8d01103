"""Fill a mention's ``{field}`` placeholders from the invoice's facts."""

from __future__ import annotations

import re
from collections.abc import Mapping

__all__ = ["MISSING", "render"]

MISSING = "non communiqué"
"""Printed for a placeholder whose fact is unknown (a customer without SIREN…)."""
_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")


def render(text: str, facts: Mapping[str, str | None]) -> str:
    """``text`` with every ``{field}`` replaced by its value.

    >>> render("SIREN du client : {customer.siren}", {"customer.siren": "123 456 782"})
    'SIREN du client : 123 456 782'
    >>> render("{customer.siren}", {})
    'non communiqué'
    """
    return _PLACEHOLDER.sub(lambda m: facts.get(m.group(1)) or MISSING, text)
