"""``POST /v1/billing-runs``: every stored customer's invoice for a month (billing).

The run is :func:`archive.billing_run`, as ``bareme invoice run``: one transaction per
invoice under its default idempotency key (``invoice:<customer>:<period>``), so a run
stopped midway, or asked twice, issues only what is missing. Usage given in the body is
checked first and refused whole when a record cannot be billed (another period, an
unknown metric or customer), never left out; without it, the stored usage of the period
is billed. The run works in a worker thread and answers when it is done.
"""

from __future__ import annotations

from collections.abc import Sequence

import anyio.to_thread
from litestar import post
from litestar.datastructures import State
from litestar.params import JSONBody

from api.archive_errors import archive_errors
from api.convert import invalid_usage, records_of, stand_ins
from api.decoding import decoder_opt
from api.errors import ApiProblem
from api.routes.common import Services, problems, rules_errors, secured, services
from api.wire import BillingRunRequest, RunOut, TotalsOut
from archive import Archive, billing_run
from archive.customers import all_customers
from batch.store import UsageStore
from engine.diagnostics import Diagnostic
from engine.evaluate import check_usage
from engine.rules.ruleset import Ruleset
from engine.timeline import BillingPeriod, parse_period
from engine.usage import UsageRecord, dedupe

__all__ = ["ROUTES", "run_request"]


@post("/v1/billing-runs", **secured("billing"), opt=decoder_opt(BillingRunRequest),
      status_code=200, tags=["invoices"],
      summary="Issue every stored customer's invoice for a month (resumable)",
      responses=problems("malformed-json", "invalid-request", "invalid-usage",
                         "invalid-period", "nothing-to-bill", "unknown-revision",
                         "invalid-ruleset", "idempotency-conflict", "too-large"))
async def run_billing(data: JSONBody[BillingRunRequest], state: State) -> RunOut:
    """Issue what is missing for the period; counts, totals of this run and numbers."""
    found = services(state)
    if data.usage is not None and len(data.usage) > found.settings.max_records:
        raise ApiProblem("too-large", f"{len(data.usage)} usage records; at most "
                         f"{found.settings.max_records} per request")
    return await anyio.to_thread.run_sync(run_request, data, found)


def run_request(data: BillingRunRequest, found: Services) -> RunOut:
    """Run the billing of ``data`` (blocking: database, git, rendering)."""
    archive = found.archive.get()
    with archive_errors(), rules_errors():
        ruleset = archive.rules.ruleset(data.rev)
        period = parse_period(data.period, ruleset.zone)
        records = _records(archive, ruleset, period, data)
        summary = billing_run(archive, period.label, records, data.rev)
    return RunOut(period=summary.period, issued=summary.issued,
                  already_issued=summary.already_issued, without_usage=summary.without_usage,
                  totals=TotalsOut(net=summary.net, tax=summary.tax, gross=summary.gross,
                                   currency=ruleset.manifest.currency),
                  seconds=summary.seconds, numbers=list(summary.numbers))


def _records(archive: Archive, ruleset: Ruleset, period: BillingPeriod,
             data: BillingRunRequest) -> list[UsageRecord]:
    """The body's usage, every record checked; or the stored usage of the period."""
    if data.usage is None:
        stored = UsageStore(archive.data_dir).records(period.label)
        if not stored:
            raise ApiProblem("nothing-to-bill", f"no usage stored for {period.label}; ingest "
                             "it with 'bareme usage ingest' or give 'usage'")
        return stored
    parsed, problems = records_of(data.usage, "", ruleset.metrics)
    records, conflicts = dedupe(parsed)
    checked = records + stand_ins(data.usage, "", problems, parsed) if problems else records
    problems += conflicts + _unbillable(archive, ruleset, period, checked)
    if problems:
        raise invalid_usage(problems)
    if not records:
        raise ApiProblem("nothing-to-bill", f"no usage given for {period.label}")
    return records


def _unbillable(archive: Archive, ruleset: Ruleset, period: BillingPeriod,
                records: Sequence[UsageRecord]) -> list[Diagnostic]:
    """A problem for each record of an unknown customer, outside the period or unpriced."""
    known = {customer.id for customer in all_customers(archive.engine)}
    by_customer: dict[str, list[UsageRecord]] = {}
    for record in records:
        by_customer.setdefault(record.customer_id, []).append(record)
    problems = [Diagnostic(path=r.source, line=r.row, column=0, code="usage.unknown_customer",
                           message=f"field 'customer_id': no customer {r.customer_id!r} in "
                                   "the operational store")
                for r in records if r.customer_id not in known]
    for customer_id, mine in by_customer.items():
        if customer_id in known:
            problems += check_usage(ruleset, customer_id, period, mine)[1]
    return problems


ROUTES = (run_billing,)
