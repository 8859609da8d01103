"""Kinds of ruleset files: which paths each claims, its schema, and how it is built.

A family turns each schema-valid file it claims into typed items, then ``finish``
checks them across files and returns the value stored in the ruleset under its name.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from engine.loading.context import LoadContext
from engine.loading.metrics import build_metrics, finish_metrics
from engine.loading.pricing import build_overrides, build_rules

__all__ = ["FAMILIES", "Family"]

Builder = Callable[[LoadContext, str, str, dict[str, Any]], list[Any]]
Finisher = Callable[[LoadContext, Sequence[Any], dict[str, Any]], Any]


@dataclass(frozen=True)
class Family:
    """One kind of ruleset file."""

    name: str
    """Key of the family's value once loaded."""
    schema: str
    """Schema file stem in ``rulesets/schemas/``."""
    claims: Callable[[str], bool]
    """Whether a repository path belongs to this family."""
    build: Builder
    """Typed items of one schema-valid file."""
    finish: Finisher | None = None
    """Cross-file checks given the items and the families already finished; returns the value."""


def _is_yaml(path: str) -> bool:
    return path.endswith((".yaml", ".yml"))


def _pricing(path: str) -> bool:
    return (path.startswith("rulesets/pricing/") and _is_yaml(path)
            and not path.startswith("rulesets/pricing/overrides/"))


def _overrides(path: str) -> bool:
    return path.startswith("rulesets/pricing/overrides/") and _is_yaml(path)


def _metrics(path: str) -> bool:
    return path in ("rulesets/metrics.yaml", "rulesets/metrics.yml")


FAMILIES: tuple[Family, ...] = (
    Family(name="rules", schema="pricing", claims=_pricing, build=build_rules),
    Family(name="overrides", schema="overrides", claims=_overrides, build=build_overrides),
    Family(name="metrics", schema="metrics", claims=_metrics, build=build_metrics,
           finish=finish_metrics),
)
"""Families in the order they are finished; later ones may read earlier ones."""
