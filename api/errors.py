"""Errors as RFC 9457 problem details: a stable type, a human title, located diagnostics.

Every error the app answers goes through here; a 500 says only that it happened and which
request it was (the traceback goes to the server log under the same request id).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from typing import Any

import msgspec
from litestar import Request, Response
from litestar.exceptions import HTTPException, ValidationException
from sqlalchemy.exc import OperationalError

from api.wire import DiagnosticOut, Problem

__all__ = ["PROBLEM_JSON", "ApiProblem", "decode_problem", "exception_handlers", "problem_type"]

PROBLEM_JSON = "application/problem+json"
_LOG = logging.getLogger("bareme.api")

TITLES = {
    "malformed-json": (400, "The request body is not valid JSON"),
    "bad-request": (400, "The request is not valid"),
    "invalid-request": (422, "The request does not match the expected shape"),
    "invalid-usage": (422, "Some usage records cannot be evaluated"),
    "invalid-customer": (422, "The customer is not valid"),
    "unknown-customer": (422, "No such customer in the customer directory"),
    "nothing-to-bill": (422, "The customer has no usage in the period"),
    "invalid-query": (422, "The archive query is refused or fails"),
    "invalid-period": (422, "The billing period is not valid"),
    "invalid-dates": (422, "The date range is not valid"),
    "nothing-to-correct": (422, "The rules asked for give the same document: nothing to "
                                "correct"),
    "not-correctable": (422, "Only an invoice can be corrected"),
    "unknown-revision": (422, "The rules revision cannot be resolved"),
    "invalid-ruleset": (422, "The ruleset at this revision is not valid"),
    "unauthorized": (401, "A valid API key is required"),
    "forbidden": (403, "This API key's role does not allow this operation"),
    "not-found": (404, "Not found"),
    "unknown-document": (404, "No archived document with this number"),
    "idempotency-conflict": (409, "The idempotency key was used for a different request"),
    "corrected-meanwhile": (409, "The invoice was corrected by another request meanwhile"),
    "method-not-allowed": (405, "Method not allowed"),
    "too-large": (413, "The request is too large"),
    "not-ready": (503, "The rules repository is not ready"),
    "database-unavailable": (503, "The database cannot be used"),
    "altered-document": (500, "An archived file no longer matches its recorded hash"),
    "internal": (500, "Internal error"),
}
"""Problem slugs with their status and title; the slugs are stable and documented."""

_STATUS_SLUGS = {401: "unauthorized", 403: "forbidden", 404: "not-found",
                 405: "method-not-allowed", 413: "too-large"}
_MSGSPEC_AT = re.compile(r"^(?P<message>.*?)(?: - at `\$(?P<path>[^`]*)`)?$", re.DOTALL)
_UNKNOWN_FIELD = re.compile(r"^Object contains unknown field `([^`]*)`$")
_DECIMAL_FIELDS = frozenset({"quantity"})


def problem_type(slug: str) -> str:
    """The stable type URI of a problem slug.

    >>> problem_type("invalid-usage")
    'urn:bareme:problem:invalid-usage'
    """
    return f"urn:bareme:problem:{slug}"


class ApiProblem(Exception):
    """An error answered as problem details."""

    def __init__(self, slug: str, detail: str | None = None,
                 diagnostics: Sequence[DiagnosticOut] = (), status: int | None = None,
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(detail or slug)
        self.slug = slug
        self.status = status or TITLES[slug][0]
        self.detail = detail
        self.diagnostics = list(diagnostics)
        self.headers = headers or {}

    def response(self, request: Request[Any, Any, Any]) -> Response[bytes]:
        """The problem+json response of this error for ``request``."""
        problem = Problem(type=problem_type(self.slug), title=TITLES[self.slug][1],
                          status=self.status, detail=self.detail, instance=request.url.path,
                          request_id=request.scope["state"].get("request_id"),
                          diagnostics=self.diagnostics)
        return Response(msgspec.json.encode(problem), status_code=self.status,
                        media_type=PROBLEM_JSON, headers=self.headers)


def decode_problem(error: msgspec.DecodeError) -> ApiProblem:
    """A body msgspec refused: malformed JSON (400) or the wrong shape (422), located."""
    if not isinstance(error, msgspec.ValidationError):
        return ApiProblem("malformed-json", str(error))
    match = _MSGSPEC_AT.match(str(error))
    message, path = (match.group("message"), match.group("path") or "") if match else (
        str(error), "")
    pointer = _pointer(path)
    if unknown := _UNKNOWN_FIELD.match(message):
        pointer += "/" + unknown.group(1)
    field = pointer.rsplit("/", 1)[-1]
    if field in _DECIMAL_FIELDS and message.startswith("Expected `str`, got `"):
        message = (f"{field} must be a decimal string such as \"12.5\", not a JSON number "
                   "(numbers pass through binary floating point)")
    diagnostic = DiagnosticOut(path="body", line=0, column=0, code="request.invalid",
                               message=message, pointer=pointer)
    return ApiProblem("invalid-request", f"{message} at {pointer or '/'}", [diagnostic])


def _pointer(path: str) -> str:
    """A JSON pointer from msgspec's ``$``-relative path.

    >>> _pointer(".usage[0].quantity")
    '/usage/0/quantity'
    >>> _pointer(".usage[0].attributes[...]")  # a value under a key msgspec does not name
    '/usage/0/attributes'
    """
    return re.sub(r"\[(\d+)\]", r".\1", path.replace("[...]", "")).replace(".", "/")


def _on_problem(request: Request[Any, Any, Any], exc: Exception) -> Response[bytes]:
    assert isinstance(exc, ApiProblem)
    return exc.response(request)


def _on_http(request: Request[Any, Any, Any], exc: Exception) -> Response[bytes]:
    assert isinstance(exc, HTTPException)
    if isinstance(exc, ValidationException) and "decoder" in request.route_handler.opt:
        # The route's decoder accepted or refused any body given: this one had none.
        problem = ApiProblem("malformed-json", "the body is empty; send a JSON object")
    elif isinstance(exc, ValidationException):
        problem = ApiProblem("bad-request", str(exc.detail))
    elif exc.status_code == 413:
        limit = request.route_handler.resolve_request_max_body_size()
        problem = ApiProblem("too-large", f"the body exceeds {limit} bytes")
    elif exc.status_code in (404, 405):
        detail = (f"nothing at {request.url.path}" if exc.status_code == 404 else
                  f"{request.method} is not allowed on {request.url.path}")
        problem = ApiProblem(_STATUS_SLUGS[exc.status_code], detail, headers=exc.headers)
    elif exc.status_code in _STATUS_SLUGS:
        problem = ApiProblem(_STATUS_SLUGS[exc.status_code], headers=exc.headers)
    elif exc.status_code < 500:
        problem = ApiProblem("bad-request", str(exc.detail), status=exc.status_code)
    else:
        return _on_internal(request, exc)
    return problem.response(request)


def _on_internal(request: Request[Any, Any, Any], exc: Exception) -> Response[bytes]:
    request_id = request.scope["state"].get("request_id")
    _LOG.error("internal error in %s %s (request %s)", request.method, request.url.path,
               request_id, exc_info=exc)
    return ApiProblem("internal", "the error was logged with this request id").response(request)


def _on_database(request: Request[Any, Any, Any], exc: Exception) -> Response[bytes]:
    """The database cannot be reached or used: 503, with what the driver said (first line)."""
    assert isinstance(exc, OperationalError)
    _LOG.error("database error in %s %s", request.method, request.url.path, exc_info=exc)
    reason = str(exc.orig).strip().splitlines()[0] if exc.orig else "unreachable"
    return ApiProblem("database-unavailable", f"the database cannot be used: {reason}",
                      headers={"Retry-After": "30"}).response(request)


def exception_handlers() -> dict[type[Exception] | int, object]:
    """The app's handlers: problems, HTTP errors, the database, everything else as a 500."""
    return {ApiProblem: _on_problem, HTTPException: _on_http, OperationalError: _on_database,
            Exception: _on_internal}
