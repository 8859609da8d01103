"""``POST /v1/evaluate``: a customer's usage for one month, priced and taxed.

The answer is the engine's own bytes (:func:`engine.document.evaluation_bytes`), exactly
what ``bareme evaluate`` prints for the same inputs; a repeated request is answered from
:class:`~api.memo.EvaluationMemo` without leaving the event loop. A small evaluation (at
most ``inline_records`` records, under a millisecond: less than decoding a large body
holds the loop) runs in the loop, where handing it to a thread and back would cost more
than the work; a larger one runs in a worker thread, so that the loop keeps serving
other requests meanwhile. Evaluations are pure Python and hold the GIL: a few threads
(one by default) taking them in turn give more throughput and a shorter p99 than many
threads contending for the GIL.
"""

from __future__ import annotations

from typing import NamedTuple

import anyio.to_thread
from litestar import Response, post
from litestar.datastructures import State
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import JSONBody

from api.convert import customer_of, invalid_usage, records_of, stand_ins
from api.decoding import decoder_opt
from api.errors import ApiProblem
from api.routes.common import Services, problems, rules_errors, secured, services
from api.wire import DiagnosticOut, EvaluateRequest, EvaluationOut
from engine.customers import Customer
from engine.diagnostics import DiagnosticsError
from engine.document import evaluation_bytes
from engine.evaluate import check_usage, evaluate
from engine.timeline import PeriodSyntaxError, parse_period

__all__ = ["ROUTES", "Seen", "evaluate_request", "looked_up"]


@post("/v1/evaluate", **secured("billing", "auditor"),
      opt=decoder_opt(EvaluateRequest),
      status_code=200, tags=["evaluate"],
      summary="Evaluate usage for a customer and a month",
      responses={200: ResponseSpec(data_container=EvaluationOut, generate_examples=False,
                                   description="The evaluation (CONTRACT.md)"),
                 **problems("malformed-json", "invalid-request", "invalid-usage",
                            "invalid-period", "invalid-customer", "unknown-customer",
                            "unknown-revision", "invalid-ruleset", "too-large")})
async def evaluate_usage(data: JSONBody[EvaluateRequest], state: State) -> Response[bytes]:
    """Price, tax and annotate the usage; the same bytes as ``bareme evaluate``."""
    found = services(state)
    limit = found.settings.max_records
    if len(data.usage) > limit:
        raise ApiProblem("too-large", f"{len(data.usage)} usage records; at most {limit} "
                         "per request")
    seen = looked_up(data, found)
    answer = found.memo.get(seen.key) if seen is not None else None
    if answer is None and _small_and_ready(data, found):
        answer = evaluate_request(data, found, seen)
    elif answer is None:
        answer = await anyio.to_thread.run_sync(evaluate_request, data, found, seen,
                                              limiter=state.evaluation_threads)
    return Response(answer, media_type="application/json")


def _small_and_ready(data: EvaluateRequest, found: Services) -> bool:
    """Whether the evaluation may run in the loop: few records, rules already at hand.

    At hand: the commit is known and its ruleset parsed, so neither git nor parsing
    would hold the loop.
    """
    return (len(data.usage) <= found.settings.inline_records and data.as_known_at is None
            and found.rules.is_parsed(data.rev))


class Seen(NamedTuple):
    """A request's memo key at a commit known without git, with the customer it names."""

    commit: str
    customer: Customer
    key: bytes


def looked_up(data: EvaluateRequest, found: Services) -> Seen | None:
    """The memo key of a request whose commit is known without git (none without a memo)."""
    if not found.memo.enabled or data.as_known_at is not None:
        return None
    commit = found.rules.known_commit(data.rev)
    if commit is None:
        return None
    customer = customer_of(data, found.customers)
    return Seen(commit, customer, found.memo.key(commit, customer, data.period, data.usage))


def evaluate_request(data: EvaluateRequest, found: Services, seen: Seen | None = None) -> bytes:
    """The evaluation bytes of a request, or an :class:`ApiProblem` saying what is wrong.

    ``seen``: the request was looked up in the memo already (and missed) at that commit.
    """
    with rules_errors():
        ruleset = found.rules.at(data.rev, data.as_known_at)
    try:
        period = parse_period(data.period, ruleset.zone)
    except PeriodSyntaxError as exc:
        raise ApiProblem("invalid-period", str(exc), [DiagnosticOut(
            path="body", line=0, column=0, code="request.period", message=str(exc),
            pointer="/period")]) from None
    key: bytes | None = None
    if seen is not None and seen.commit == ruleset.commit:
        customer, key = seen.customer, seen.key
    else:
        customer = customer_of(data, found.customers)
        if found.memo.enabled:
            key = found.memo.key(ruleset.commit, customer, data.period, data.usage)
            if (remembered := found.memo.get(key)) is not None:
                return remembered
    records, problems = records_of(data.usage, customer.id, ruleset.metrics)
    if problems:
        raise invalid_usage(problems + check_usage(
            ruleset, customer.id, period,
            records + stand_ins(data.usage, customer.id, problems, records))[1])
    try:
        evaluation = evaluate(ruleset, customer, period, records)
    except DiagnosticsError as exc:
        raise invalid_usage(exc.diagnostics) from None
    answer = evaluation_bytes(evaluation)
    if key is not None:
        found.memo.put(key, answer)
    return answer


ROUTES = (evaluate_usage,)
