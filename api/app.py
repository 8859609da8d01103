"""The Litestar application: ``create_app(settings)``.

Routes are in :mod:`api.routes`; wire types in :mod:`api.wire`; errors are problem
details (:mod:`api.errors`); every request is logged as one JSON line with its id.
"""

from __future__ import annotations

import functools
import sys
from pathlib import Path
from typing import Any

import anyio
from litestar import Litestar, Request
from litestar.datastructures import State
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import JsonRenderPlugin
from litestar.openapi.spec import Components, SecurityScheme
from litestar.params import CookieParameter, HeaderParameter

from api.access_log import AccessLog, Sink
from api.archive_access import ArchiveAccess
from api.customers import CustomerDirectory, FileDirectory, NoDirectory
from api.decoding import StrictRequest
from api.errors import ApiProblem, exception_handlers
from api.keys import KeyRing
from api.memo import EvaluationMemo
from api.routes import ROUTES
from api.routes.common import Services
from api.routes.page_assets import swagger_page
from api.rules import RuleBook
from api.settings import ApiSettings

__all__ = ["create_app"]

VERSION = "1.0.0"


def create_app(settings: ApiSettings, log_sink: Sink | None = None) -> Litestar:
    """The API for ``settings``; access-log lines go to ``log_sink`` or per the settings."""
    found = Services(settings=settings, rules=RuleBook(settings.repo, settings.head_ttl),
                     customers=_directory(settings), memo=EvaluationMemo(settings.memo_size),
                     archive=ArchiveAccess(settings.repo, settings.data_dir,
                                           settings.database_url))
    app = Litestar(
        route_handlers=list(ROUTES),
        state=_state(settings, found),
        exception_handlers=exception_handlers(),  # type: ignore[arg-type]
        openapi_config=_openapi(),
        request_class=StrictRequest,
        request_max_body_size=settings.max_body_bytes,
        on_startup=[_limit_evaluations],
        before_request=_one_value_per_parameter,
        logging_config=None,
        debug=False,
    )
    # Around Litestar's own handler, so that unrouted requests (404, 405) are logged too.
    app.asgi_handler = AccessLog(app.asgi_handler, log_sink or _sink(settings.access_log))
    return app


async def _one_value_per_parameter(request: Request[Any, Any, Any]) -> None:
    """Refuse, on the API's routes, a query parameter given twice or that none takes.

    Which of two values counts would be a guess, and an unknown parameter (``?rev=`` where
    none is read) would be silently ignored. A coroutine: Litestar runs a plain function
    hook in a worker thread, which cost every request some 50 µs.
    """
    values = request.query_params
    if not values or not request.url.path.startswith("/v1/"):
        return
    accepted = _query_names(request.route_handler)
    for name in values:
        if len(values.getall(name)) > 1:
            raise ApiProblem("bad-request", f"query parameter {name!r} is given more than "
                             "once (which value would count is a guess)")
        if name not in accepted:
            takes = ", ".join(repr(n) for n in sorted(accepted)) or "none"
            raise ApiProblem("bad-request", f"unknown query parameter {name!r}; "
                             f"{request.url.path} takes {takes}")


@functools.cache
def _query_names(handler: Any) -> frozenset[str]:
    """The query parameters a route handler reads, by their names on the wire."""
    names = set()
    for name, field in handler.parsed_fn_signature.parameters.items():
        kwarg = field.kwarg_definition
        if (name in _NOT_QUERY or isinstance(kwarg, HeaderParameter | CookieParameter)
                or getattr(kwarg, "header", None) or getattr(kwarg, "cookie", None)
                or f"{{{name}" in "".join(handler.paths)):
            continue
        names.add(getattr(kwarg, "name", None) or getattr(kwarg, "query", None) or name)
    return frozenset(names)


_NOT_QUERY = frozenset({"state", "request", "data", "scope", "headers", "cookies", "socket"})


def _limit_evaluations(app: Litestar) -> None:
    """Made in the event loop: how many evaluations may run in threads at once."""
    app.state.evaluation_threads = anyio.CapacityLimiter(
        app.state.services.settings.evaluation_threads)


def _state(settings: ApiSettings, found: Services) -> State:
    return State({"services": found, "keyring": KeyRing(settings.keys), "dev": settings.dev})


def _directory(settings: ApiSettings) -> CustomerDirectory:
    if settings.customers_file:
        return FileDirectory(settings.customers_file)
    return NoDirectory()


def _openapi() -> OpenAPIConfig:
    return OpenAPIConfig(
        title="Barème", version=VERSION,
        description="Versioned billing rules (pricing, French TVA, legal mentions) evaluated "
                    "at every timestamp. Errors are RFC 9457 problem details.",
        path="/schema",
        render_plugins=[JsonRenderPlugin(), swagger_page()],
        components=Components(security_schemes={
            "apiKey": SecurityScheme(type="http", scheme="bearer",
                                     description="Authorization: Bearer <API key>")}),
    )


def _sink(target: str) -> Sink | None:
    if not target:
        return None
    if target == "-":
        stream = sys.stdout.buffer

        def write(line: bytes) -> None:
            stream.write(line)
            stream.flush()

        return write
    handle = Path(target).open("ab", buffering=0)  # noqa: SIM115 - lives as long as the app
    return handle.write
