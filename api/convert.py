"""Between wire and engine: the only module that sees both kinds of types.

Requests become engine inputs (with every problem located in the request body); engine
results become wire structs. Evaluations are not converted: the API answers the engine's
own bytes, so that they equal what ``bareme evaluate`` prints.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import msgspec

from api.customers import CustomerDirectory
from api.errors import ApiProblem
from api.wire import (
    ChangeOut,
    CustomerIn,
    DiagnosticOut,
    DiffOut,
    EvaluateRequest,
    RulesetOut,
    UsageIn,
    VersionOut,
    VersionsOut,
)
from engine.compare import Change
from engine.customers import Customer, parse_customers
from engine.diagnostics import Diagnostic
from engine.rules.metrics import Metric
from engine.rules.ruleset import Ruleset
from engine.store.git import CommitInfo
from engine.units import in_canonical_unit
from engine.usage import RESERVED_NAMES, UsageRecord, parse_record, plain_record

__all__ = ["USAGE_SOURCE", "changes_out", "customer_of", "diagnostics_out", "invalid_usage",
           "records_of", "ruleset_out", "stand_ins", "versions_out"]

_NOT_ATTRIBUTES = RESERVED_NAMES | {"unit"}
"""Names an attribute cannot take: the record's own fields."""
USAGE_SOURCE = "usage"
"""Source name of request usage records in diagnostics; their line is the record number."""
CUSTOMER_SOURCE = "customer"


def customer_of(request: EvaluateRequest, directory: CustomerDirectory) -> Customer:
    """The request's customer: inline, checked like a customers file, or looked up by id."""
    given = request.customer
    if isinstance(given, str):
        found = directory.get(given)
        if found is None:
            raise ApiProblem("unknown-customer", f"no customer {given!r} in the customer "
                             "directory; give the customer inline or configure a directory")
        return found
    customers, problems = parse_customers([_customer_row(given)], CUSTOMER_SOURCE)
    if problems or not customers:
        raise ApiProblem("invalid-customer", f"{len(problems)} problem(s) in 'customer'",
                         diagnostics_out(problems))
    return customers[0]


def _customer_row(customer: CustomerIn) -> dict[str, Any]:
    return {f: getattr(customer, f) for f in customer.__struct_fields__}


def records_of(usage: Iterable[UsageIn], customer_id: str,
               metrics: Mapping[str, Metric] | None = None
               ) -> tuple[list[UsageRecord], list[Diagnostic]]:
    """Usage records, checked as ``bareme evaluate`` checks a file's rows, and the problems.

    A record's ``unit`` is converted with the ruleset's ``metrics`` (:mod:`engine.units`).
    A record with a problem is left out; the caller adds what the engine's checks find
    in the others (:func:`invalid_usage`), so that one answer names every problem.
    """
    records: list[UsageRecord] = []
    problems: list[Diagnostic] = []
    for number, item in enumerate(usage, start=1):
        if item.attributes and not _NOT_ATTRIBUTES.isdisjoint(item.attributes):
            clash = sorted(_NOT_ATTRIBUTES.intersection(item.attributes))
            problems.append(Diagnostic(
                path=USAGE_SOURCE, line=number, column=0, code="usage.attribute_clash",
                message=f"field 'attributes': {', '.join(clash)} cannot be an attribute; "
                        "it is a field of the record"))
        owner = item.customer_id or customer_id
        record = plain_record((item.event_id, owner, item.metric, item.quantity,
                               item.timestamp), item.attributes, USAGE_SOURCE, number)
        if record is None:
            record, errors = parse_record(
                {**item.attributes, "event_id": item.event_id, "customer_id": owner,
                 "metric": item.metric, "quantity": item.quantity,
                 "timestamp": item.timestamp}, USAGE_SOURCE, number)
            problems += errors
        converted = (in_canonical_unit(record, item.unit, metrics) if record is not None
                     else None)
        if isinstance(converted, Diagnostic):
            problems.append(converted)
        elif converted is not None:
            records.append(converted)
    return records, problems


def stand_ins(usage: Sequence[UsageIn], customer_id: str, problems: Iterable[Diagnostic],
              kept: Iterable[UsageRecord]) -> list[UsageRecord]:
    """Records :func:`records_of` refused and did not keep, as records of quantity 0.

    Checked by the engine beside the others, they name a refused record's remaining
    problems (outside the period, another customer, an unknown metric) in the same
    answer. Only for answering problems: they are never priced.
    """
    refused = {d.line for d in problems if d.path == USAGE_SOURCE} - {r.row for r in kept}
    found = []
    for number in sorted(refused):
        if not 1 <= number <= len(usage):
            continue
        item = usage[number - 1]
        record, _ = parse_record(
            {**item.attributes, "event_id": item.event_id,
             "customer_id": item.customer_id or customer_id, "metric": item.metric,
             "quantity": "0", "timestamp": item.timestamp}, USAGE_SOURCE, number)
        if record is not None:
            found.append(record)
    return found


def invalid_usage(problems: Iterable[Diagnostic]) -> ApiProblem:
    """The 422 answer naming every problem of the usage, in record order."""
    found = sorted(problems, key=lambda d: d.line)
    return ApiProblem("invalid-usage", f"{len(found)} problem(s) in 'usage'",
                      diagnostics_out(found))


def diagnostics_out(diagnostics: Iterable[Diagnostic]) -> list[DiagnosticOut]:
    """Wire diagnostics; those about the request carry a JSON pointer into its body."""
    return [DiagnosticOut(path=d.path, line=d.line, column=d.column, code=d.code,
                          message=d.message, pointer=_pointer(d)) for d in diagnostics]


def _pointer(diagnostic: Diagnostic) -> str | None:
    if diagnostic.path == USAGE_SOURCE and diagnostic.line > 0:
        return f"/usage/{diagnostic.line - 1}"
    if diagnostic.path == CUSTOMER_SOURCE:
        return "/customer"
    return None


def versions_out(head: str, versions: Iterable[CommitInfo]) -> VersionsOut:
    """Ruleset versions on the wire."""
    return VersionsOut(head=head, versions=[
        VersionOut(commit=v.commit, date=v.date.isoformat(), author=v.author,
                   subject=v.subject) for v in versions])


def ruleset_out(ruleset: Ruleset) -> RulesetOut:
    """A ruleset's rules as plain JSON data (decimals as strings, dates ISO)."""
    return RulesetOut(commit=ruleset.commit, timezone=ruleset.manifest.timezone,
                      currency=ruleset.manifest.currency,
                      rules=[_plain(r) for r in ruleset.rules],
                      overrides=[_plain(o) for o in ruleset.overrides],
                      extensions={k: _plain(v) for k, v in ruleset.extensions.items()})


def _plain(value: Any) -> Any:
    return msgspec.to_builtins(value, str_keys=True)


def changes_out(base: str, head: str, changes: Iterable[Change]) -> DiffOut:
    """A diff on the wire, each change with its human line."""
    return DiffOut(base=base, head=head, changes=[
        ChangeOut(kind=c.kind, family=c.family, item=c.item, description=c.describe(),
                  version=c.version, field=c.field, before=_plain(c.before),
                  after=_plain(c.after)) for c in changes])
