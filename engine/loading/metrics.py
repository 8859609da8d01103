"""Metric declarations: typed from ``rulesets/metrics.yaml`` and checked against pricing."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from engine.loading.context import LoadContext
from engine.loading.yaml_nodes import PathKey
from engine.rules.metrics import Metric, UnitConversion
from engine.rules.origin import Origin
from engine.rules.pricing import PricingRule

__all__ = ["build_metrics", "finish_metrics"]


def build_metrics(ctx: LoadContext, filename: str, blob: str,
                  data: dict[str, Any]) -> list[Metric]:
    """Typed metrics of one schema-valid metrics file; problems go to ``ctx``."""
    metrics = []
    for index, raw in enumerate(data["metrics"]):
        pointer: PathKey = ("metrics", index)
        if not isinstance(raw, dict) or not ctx.is_valid(filename, pointer):
            continue
        origin = Origin(path=filename, line=ctx.line_of(filename, pointer), blob=blob,
                        pointer=pointer)
        accepts = tuple(_conversion(item) for item in raw.get("accepts", ()))
        metrics.append(Metric(id=raw["id"], unit=raw["unit"], accepts=accepts, origin=origin))
        _check_units(ctx, metrics[-1])
    return metrics


def _conversion(raw: dict[str, Any]) -> UnitConversion:
    factor, divisor = raw.get("factor"), raw.get("divisor")
    return UnitConversion(unit=raw["unit"], factor=Decimal(factor) if factor else None,
                          divisor=Decimal(divisor) if divisor else None)


def _check_units(ctx: LoadContext, metric: Metric) -> None:
    seen = {metric.unit}
    for index, conversion in enumerate(metric.accepts):
        if conversion.unit in seen:
            ctx.report_at(metric.origin, ("accepts", index, "unit"), "metric.duplicate_unit",
                          f"metric {metric.id!r} lists unit {conversion.unit!r} twice (or as "
                          "its canonical unit); each source unit has one conversion")
        seen.add(conversion.unit)


def finish_metrics(ctx: LoadContext, metrics: Sequence[Metric],
                   finished: dict[str, Any]) -> tuple[Metric, ...]:
    """The metrics, in file order; each must be unique and rated by a pricing rule."""
    rules: Sequence[PricingRule] = finished.get("rules", ())
    rated = {rule.metric for rule in rules if rule.metric is not None}
    by_id: dict[str, Metric] = {}
    for metric in metrics:
        first = by_id.setdefault(metric.id, metric)
        if first is not metric:
            ctx.report_at(metric.origin, ("id",), "metric.duplicate_id",
                          f"metric {metric.id!r} is already declared at "
                          f"{first.origin.path}:{first.origin.line}")
        elif metric.id not in rated:
            ctx.report_at(metric.origin, ("id",), "metric.unknown",
                          f"metric {metric.id!r} is rated by no pricing rule; known metrics: "
                          f"{', '.join(sorted(rated))}")
    return tuple(metrics)
