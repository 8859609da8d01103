"""Kinds of ruleset files: which paths each claims, its schema, and how it is built.

A family turns each schema-valid file it claims into typed items, then ``finish``
checks them across files and returns the value stored in the ruleset under its name.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from engine.loading.context import LoadContext
from engine.loading.mentions import build_mention, finish_mentions
from engine.loading.metrics import build_metrics, finish_metrics
from engine.loading.pricing import build_overrides, build_rules
from engine.loading.seller import build_seller, finish_seller
from engine.loading.tax_fr import (
    build_eu_rates,
    build_rates,
    build_regimes,
    build_territories,
    finish_eu_rates,
    finish_rates,
    finish_regimes,
    finish_territories,
)

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


def _tax_file(kind: str) -> Callable[[str], bool]:
    """``rulesets/tax_fr/<kind>.yaml`` or any YAML file under ``rulesets/tax_fr/<kind>/``."""
    def claims(path: str) -> bool:
        return _is_yaml(path) and (path.rsplit(".", 1)[0] == f"rulesets/tax_fr/{kind}"
                                   or path.startswith(f"rulesets/tax_fr/{kind}/"))
    return claims


def _seller(path: str) -> bool:
    return path in ("rulesets/seller.yaml", "rulesets/seller.yml")


def _mention(path: str) -> bool:
    return path.startswith("legal_mentions/") and _is_yaml(path)


def _metrics(path: str) -> bool:
    return path in ("rulesets/metrics.yaml", "rulesets/metrics.yml")


FAMILIES: tuple[Family, ...] = (
    Family(name="rules", schema="pricing", claims=_pricing, build=build_rules),
    Family(name="overrides", schema="overrides", claims=_overrides, build=build_overrides),
    Family(name="tax_territories", schema="tax_territories", claims=_tax_file("territories"),
           build=build_territories, finish=finish_territories),
    Family(name="tax_rates", schema="tax_rates", claims=_tax_file("rates"),
           build=build_rates, finish=finish_rates),
    Family(name="tax_eu_rates", schema="tax_eu_rates", claims=_tax_file("eu_rates"),
           build=build_eu_rates, finish=finish_eu_rates),
    Family(name="tax_regimes", schema="tax_regimes", claims=_tax_file("regimes"),
           build=build_regimes, finish=finish_regimes),
    Family(name="seller", schema="seller", claims=_seller, build=build_seller,
           finish=finish_seller),
    Family(name="mentions", schema="mention", claims=_mention, build=build_mention,
           finish=finish_mentions),
    Family(name="metrics", schema="metrics", claims=_metrics, build=build_metrics,
           finish=finish_metrics),
)
"""Families in the order they are finished; later ones may read earlier ones."""
