"""Which rule rates a usage record: by metric, attributes and the rule's span in time."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from engine.diagnostics import Diagnostic
from engine.rules.pricing import PricingRule
from engine.rules.ruleset import Ruleset
from engine.timeline import local_midnight
from engine.usage import UsageRecord

__all__ = ["route_records"]


def route_records(ruleset: Ruleset, records: Iterable[UsageRecord]
                  ) -> tuple[dict[str, list[UsageRecord]], list[Diagnostic]]:
    """Records grouped by the id of the rule that rates them, and the records no rule takes."""
    by_metric: dict[str, list[PricingRule]] = {}
    for rule in ruleset.rules:
        if rule.metric is not None:
            by_metric.setdefault(rule.metric, []).append(rule)
    routed: dict[str, list[UsageRecord]] = {}
    problems: list[Diagnostic] = []
    for record in records:
        chosen, problem = _route(ruleset, by_metric, record)
        if chosen is not None:
            routed.setdefault(chosen.id, []).append(record)
        elif problem is not None:
            problems.append(problem)
    return routed, problems


def _route(ruleset: Ruleset, by_metric: dict[str, list[PricingRule]], record: UsageRecord
           ) -> tuple[PricingRule | None, Diagnostic | None]:
    candidates = by_metric.get(record.metric)
    if not candidates:
        known = ", ".join(sorted(by_metric))
        return None, _problem(record, "metric", "usage.unknown_metric",
                              f"no rule rates metric {record.metric!r}; known metrics: {known}")
    attributes = dict(record.attributes)
    matching = [r for r in candidates if all(attributes.get(k) == v for k, v in r.where)]
    if not matching:
        wanted = "; ".join(f"{r.id}: {dict(r.where)}" for r in candidates)
        return None, _problem(record, "metric", "usage.no_matching_rule",
                              f"no rule for metric {record.metric!r} matches the record's "
                              f"attributes {attributes}; rules expect {wanted}")
    for rule in matching:
        if _in_force(ruleset, rule, record.timestamp):
            return rule, None
    return None, _out_of_force(ruleset, matching, record)


def _in_force(ruleset: Ruleset, rule: PricingRule, instant: datetime) -> bool:
    start = local_midnight(rule.versions[0].effective_from, ruleset.zone)
    end = local_midnight(rule.until, ruleset.zone) if rule.until else None
    return start <= instant and (end is None or instant < end)


def _out_of_force(ruleset: Ruleset, rules: Sequence[PricingRule],
                  record: UsageRecord) -> Diagnostic:
    rule = rules[0]
    start = local_midnight(rule.versions[0].effective_from, ruleset.zone)
    if record.timestamp < start:
        return _problem(record, "timestamp", "usage.before_first_version",
                        f"event {record.event_id!r} at {record.timestamp.isoformat()} is before "
                        f"rule {rule.id!r} takes effect ({start.isoformat()}, its first "
                        "version); it is not priced by the nearest version")
    return _problem(record, "timestamp", "usage.after_rule_end",
                    f"event {record.event_id!r} at {record.timestamp.isoformat()} is after rule "
                    f"{rule.id!r} ended ({rule.until}) and no other rule rates "
                    f"{record.metric!r} then")


def _problem(record: UsageRecord, field: str, code: str, message: str) -> Diagnostic:
    return Diagnostic(path=record.source, line=record.row, column=0, code=code,
                      message=f"field {field!r}: {message}")
