"""Which rule rates a usage record: by metric, attributes and the rule's span in time."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from zoneinfo import ZoneInfo

from engine.diagnostics import Diagnostic
from engine.index import Route, pricing_index
from engine.rules.ruleset import Ruleset
from engine.usage import Timed, UsageRecord

__all__ = ["route_timed"]


def route_timed(ruleset: Ruleset, records: Iterable[Timed]
                ) -> tuple[dict[str, list[Timed]], list[Diagnostic]]:
    """Records grouped by the id of the rule that rates them, and the records no rule takes.

    Each record comes with its UTC instant (computed once by the caller) and event id.
    """
    routes = pricing_index(ruleset).routes
    routed: dict[str, list[Timed]] = {}
    problems: list[Diagnostic] = []
    for timed in records:
        instant, _, record = timed
        candidates = routes.get(record.metric)
        if not candidates:
            problems.append(_unknown_metric(routes, record))
            continue
        attributes: dict[str, str] | None = None  # made for the first rule with a 'where'
        chosen = first = None
        for route in candidates:
            if route.where:
                attributes = attributes or dict(record.attributes)
                if any(attributes.get(k) != v for k, v in route.where):
                    continue
            first = first or route
            if route.start <= instant and (route.end is None or instant < route.end):
                chosen = route.rule
                break
        if chosen is not None:
            routed.setdefault(chosen.id, []).append(timed)
        elif first is not None:
            problems.append(_out_of_force(first, record, ruleset.zone))
        else:
            problems.append(_no_match(candidates, dict(record.attributes), record))
    return routed, problems


def _unknown_metric(routes: dict[str, list[Route]], record: UsageRecord) -> Diagnostic:
    known = ", ".join(sorted(routes))
    return _problem(record, "metric", "usage.unknown_metric",
                    f"no rule rates metric {record.metric!r}; known metrics: {known}")


def _no_match(candidates: Sequence[Route], attributes: dict[str, str],
              record: UsageRecord) -> Diagnostic:
    wanted = "; ".join(f"{r.rule.id}: {dict(r.where)}" for r in candidates)
    return _problem(record, "metric", "usage.no_matching_rule",
                    f"no rule for metric {record.metric!r} matches the record's "
                    f"attributes {attributes}; rules expect {wanted}")


def _out_of_force(route: Route, record: UsageRecord, zone: ZoneInfo) -> Diagnostic:
    rule = route.rule
    if record.timestamp < route.start:
        start = route.start.astimezone(zone)
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
