"""``POST /v1/invoices/{number}/corrections``: a credit note or corrective invoice (billing).

The invoice's archived usage is evaluated again under the rules asked for (``rev`` or
``as_known_at``) and compared with its latest state (:func:`archive.correct`); the
difference is issued, in a worker thread, as a credit note (381) or a corrective invoice
(384). The same idempotency key with the same request (same invoice, same commit) answers
200 with the document already issued; with another request it is 409.
"""

from __future__ import annotations

import anyio.to_thread
import msgspec
from litestar import Response, post
from litestar.datastructures import State
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import FromPath, JSONBody

from api.archive_errors import archive_errors
from api.decoding import decoder_opt
from api.errors import ApiProblem
from api.routes.common import Services, problems, rules_errors, secured, services
from api.routes.invoices import IdempotencyHeader, idempotency_key_of, issued_out
from api.wire import CorrectionRequest, DiagnosticOut, IssuedOut
from archive import correct

__all__ = ["ROUTES", "correct_request"]


@post("/v1/invoices/{number:str}/corrections", **secured("billing"),
      opt=decoder_opt(CorrectionRequest), status_code=201, tags=["invoices"],
      summary="Correct an invoice under other rules: a credit note or corrective invoice",
      responses={201: ResponseSpec(data_container=IssuedOut, generate_examples=False,
                                   description="The correction issued now"),
                 200: ResponseSpec(data_container=IssuedOut, generate_examples=False,
                                   description="Already issued for this request"),
                 **problems("malformed-json", "invalid-request", "unknown-document",
                            "not-correctable", "nothing-to-correct", "unknown-revision",
                            "invalid-ruleset", "idempotency-conflict", "corrected-meanwhile",
                            "altered-document", "too-large")})
async def create_correction(number: FromPath[str], data: JSONBody[CorrectionRequest],
                            state: State,
                            idempotency_key: IdempotencyHeader = None) -> Response[bytes]:
    """Issue the difference between the invoice's latest state and the rules asked for."""
    if bool(data.rev) == bool(data.as_known_at):
        message = "give either 'rev' or 'as_known_at' (the rules to correct to)"
        raise ApiProblem("invalid-request", message, [DiagnosticOut(
            path="body", line=0, column=0, code="request.rules", message=message,
            pointer="/rev")])
    key = idempotency_key_of(data.idempotency_key, idempotency_key)
    out = await anyio.to_thread.run_sync(correct_request, number, data, key, services(state))
    return Response(msgspec.json.encode(out), status_code=201 if out.created else 200,
                    media_type="application/json")


def correct_request(number: str, data: CorrectionRequest, key: str | None,
                    found: Services) -> IssuedOut:
    """Issue the correction of ``number`` (blocking: database, git, rendering)."""
    archive = found.archive.get()
    with archive_errors(), rules_errors():
        commit = archive.rules.ruleset(data.rev, data.as_known_at).commit
        done = correct(archive, number, commit, idempotency_key=key)
        if done is None:
            raise ApiProblem("nothing-to-correct", f"{number} evaluated under "
                             f"{data.rev or data.as_known_at} ({commit[:12]}) gives the same "
                             "lines and totals as its latest state; nothing issued")
        return issued_out(archive, done)


ROUTES = (create_correction,)
