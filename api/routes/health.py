"""``/health`` (the process answers) and ``/ready`` (rules readable, HEAD ruleset valid)."""

from __future__ import annotations

from litestar import MediaType, Response, get, head
from litestar.datastructures import State

from api.errors import ApiProblem
from api.routes.common import problems, services
from api.wire import Health, Ready
from engine.diagnostics import DiagnosticsError
from engine.store.git import RevisionError

__all__ = ["ROUTES"]


@get("/health", tags=["operations"], summary="Liveness")
async def health() -> Health:
    """Always ``ok`` while the process serves requests."""
    return Health(status="ok")


@get("/ready", sync_to_thread=True, tags=["operations"], summary="Readiness",
     responses={503: problems("not-ready")[503]})
def ready(state: State) -> Ready:
    """Ready when the rules repository is readable and its HEAD ruleset is valid."""
    return _readiness(state)


def _readiness(state: State) -> Ready:
    rules = services(state).rules
    try:
        return Ready(status="ready", commit=rules.at().commit)
    except RevisionError as exc:
        raise ApiProblem("not-ready", str(exc)) from None
    except DiagnosticsError as exc:
        raise ApiProblem("not-ready", f"the HEAD ruleset has {len(exc.diagnostics)} "
                         "problem(s); run 'bareme validate --rev HEAD'") from None


@head("/health", include_in_schema=False)
async def health_head() -> Response[None]:
    """200 while the process serves requests (for load balancers that probe with HEAD)."""
    return Response(None, status_code=200, media_type=MediaType.TEXT)


@head("/ready", sync_to_thread=True, include_in_schema=False)
def ready_head(state: State) -> Response[None]:
    """200 when :func:`ready` would answer ready, else 503."""
    try:
        _readiness(state)
    except ApiProblem as problem:
        return Response(None, status_code=problem.status, media_type=MediaType.TEXT)
    return Response(None, status_code=200, media_type=MediaType.TEXT)


ROUTES = (health, health_head, ready, ready_head)
