"""Issued documents: ``POST /v1/invoices`` (billing) and the archived files and replay.

Issuing evaluates, numbers, seals and stores in one transaction (:mod:`archive.issue`);
it runs in a worker thread, like an evaluation, so that the loop keeps serving meanwhile.
A repeated request (same idempotency key, same request) answers 200 with the invoice
already issued; the same key with a different request is 409.
"""

from __future__ import annotations

from typing import Annotated, Any

import anyio.to_thread
import msgspec
from litestar import Response, get, post
from litestar.datastructures import State
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import FromPath, HeaderParameter, JSONBody

from api.archive_errors import archive_errors
from api.convert import invalid_usage, records_of, stand_ins
from api.decoding import decoder_opt
from api.errors import ApiProblem
from api.routes.common import Services, problems, rules_errors, secured, services
from api.wire import IssuedOut, IssueInvoiceRequest, ReplayOut, TotalsOut
from archive import Archive, Issued, IssueRequest, issue_invoice, load, replay
from archive.replay import AlteredInput
from engine.canonical import sha256_hex
from engine.evaluate import check_usage
from engine.timeline import parse_period

__all__ = ["ROUTES", "IdempotencyHeader", "idempotency_key_of", "issue_request", "issued_out"]

_READERS = secured("billing", "auditor", "tax_reviewer")
_PDF = "application/pdf"
IdempotencyHeader = Annotated[str | None, HeaderParameter(
    name="Idempotency-Key", required=False,
    description="Same key and same request: the same document (200); another request: 409.")]


@post("/v1/invoices", **secured("billing"), opt=decoder_opt(IssueInvoiceRequest),
      status_code=201, tags=["invoices"], summary="Issue a customer's invoice for a month",
      responses={201: ResponseSpec(data_container=IssuedOut, generate_examples=False,
                                   description="Issued now"),
                 200: ResponseSpec(data_container=IssuedOut, generate_examples=False,
                                   description="Already issued for this request"),
                 **problems("malformed-json", "invalid-request", "invalid-usage",
                            "invalid-period", "unknown-customer", "nothing-to-bill",
                            "unknown-revision", "invalid-ruleset", "idempotency-conflict",
                            "too-large")})
async def issue(data: JSONBody[IssueInvoiceRequest], state: State,
                idempotency_key: IdempotencyHeader = None) -> Response[bytes]:
    """Evaluate, number, seal and archive one invoice; answer its number, totals and digest."""
    found = services(state)
    if len(data.usage) > found.settings.max_records:
        raise ApiProblem("too-large", f"{len(data.usage)} usage records; at most "
                         f"{found.settings.max_records} per request")
    key = idempotency_key_of(data.idempotency_key, idempotency_key)
    out = await anyio.to_thread.run_sync(issue_request, data, key, found)
    return Response(msgspec.json.encode(out), status_code=201 if out.created else 200,
                    media_type="application/json")


def idempotency_key_of(in_body: str | None, in_header: str | None) -> str | None:
    """The key of the body or of the ``Idempotency-Key`` header; both given must agree."""
    if in_body is not None and in_header is not None and in_body != in_header:
        raise ApiProblem("invalid-request", "the Idempotency-Key header and the body's "
                         "'idempotency_key' differ; give one, or the same in both")
    return in_body if in_body is not None else in_header


def issue_request(data: IssueInvoiceRequest, key: str | None, found: Services) -> IssuedOut:
    """Issue the invoice of ``data`` (blocking: database, git, rendering)."""
    archive = found.archive.get()
    with archive_errors(), rules_errors():
        ruleset = archive.rules.ruleset(data.rev)
        period = parse_period(data.period, ruleset.zone)
        records, problems = records_of(data.usage, data.customer_id, ruleset.metrics)
        # A record for another customer or month is refused, never silently left out.
        problems += check_usage(ruleset, data.customer_id, period, records + stand_ins(
            data.usage, data.customer_id, problems, records))[1]
        if problems:
            raise invalid_usage(problems)
        done = issue_invoice(archive, IssueRequest(
            customer_id=data.customer_id, period=data.period, records=tuple(records),
            rev=data.rev, idempotency_key=key))
        return issued_out(archive, done)


def issued_out(archive: Archive, done: Issued) -> IssuedOut:
    """The answer for an issued document: what issuing said, with its digest and commit."""
    row, document = load(archive, done.number)
    return IssuedOut(number=done.number, kind=done.kind, created=done.created,
                     customer_id=done.customer_id, period=done.period,
                     totals=TotalsOut(net=done.net, tax=done.tax, gross=done.gross,
                                      currency=done.currency),
                     digest=document["evaluation"]["digest"], commit=row.rules_commit,
                     original=row.original_number)


@get("/v1/invoices/{number:str}", **_READERS, sync_to_thread=True, tags=["invoices"],
     summary="An archived document, exactly as archived",
     responses={200: ResponseSpec(data_container=dict[str, Any], generate_examples=False,
                                  description="The archived JSON document (its exact bytes)"),
                **problems("unknown-document")})
def show(number: FromPath[str], state: State) -> Response[bytes]:
    """The archived JSON bytes of ``number``."""
    return Response(_archived(state, number, "json_sha256"), media_type="application/json")


@get("/v1/invoices/{number:str}/pdf", **_READERS, sync_to_thread=True, tags=["invoices"],
     summary="An archived document's PDF",
     responses={200: ResponseSpec(data_container=bytes, media_type=_PDF,
                                  generate_examples=False, description="The archived PDF"),
                **problems("unknown-document")})
def pdf(number: FromPath[str], state: State) -> Response[bytes]:
    """The archived PDF of ``number``."""
    return Response(_archived(state, number, "pdf_sha256"), media_type=_PDF)


@get("/v1/invoices/{number:str}/facturx", **_READERS, sync_to_thread=True, tags=["invoices"],
     summary="An archived document's Factur-X (PDF/A-3 with its CII XML)",
     responses={200: ResponseSpec(data_container=bytes, media_type=_PDF,
                                  generate_examples=False,
                                  description="The archived Factur-X file"),
                **problems("unknown-document")})
def facturx(number: FromPath[str], state: State) -> Response[bytes]:
    """The archived Factur-X file of ``number``."""
    return Response(_archived(state, number, "facturx_sha256"), media_type=_PDF)


def _archived(state: State, number: str, field: str) -> bytes:
    """The archived file ``field`` of ``number``, checked against its recorded SHA-256."""
    archive = services(state).archive.get()
    with archive_errors():
        row, _ = load(archive, number)
        digest = getattr(row, field)
        data = archive.files.get(digest)
        if sha256_hex(data) != digest:
            raise AlteredInput(f"{number}: archived {field.removesuffix('_sha256')} file is "
                               "altered; run `bareme archive verify`")
    return data


@get("/v1/invoices/{number:str}/replay", **secured("auditor"), sync_to_thread=True,
     tags=["invoices"], summary="Evaluate an archived document again at its commit",
     responses=problems("unknown-document", "altered-document", "unknown-revision",
                        "invalid-ruleset"))
def replay_document(number: FromPath[str], state: State) -> ReplayOut:
    """Whether re-evaluating ``number`` gives byte-identical JSON, and what differs."""
    archive = services(state).archive.get()
    with archive_errors(), rules_errors():
        result = replay(archive, number)
    return ReplayOut(number=result.number, commit=result.commit, identical=result.identical,
                     archived_digest=result.archived_digest,
                     replayed_digest=result.replayed_digest,
                     differences=list(result.differences))


ROUTES = (issue, show, pdf, facturx, replay_document)
