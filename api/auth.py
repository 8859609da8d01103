"""Who may do what: ``Authorization: Bearer <key>``, checked against the key ring, and roles.

A missing or unknown key is 401; a known key without a needed role is 403. In development
mode (loopback only) every request acts with every role.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from litestar.connection import ASGIConnection
from litestar.handlers.base import BaseRouteHandler

from api.errors import ApiProblem
from api.keys import ROLES, ApiKey, KeyRing, Role

__all__ = ["DEV_KEY", "Guard", "requires"]

Guard = Callable[[ASGIConnection[Any, Any, Any, Any], BaseRouteHandler],
                 Coroutine[Any, Any, None]]
DEV_KEY = ApiKey(name="dev", roles=ROLES, salt="", digest="")
"""The identity of every request in development mode."""
_CHALLENGE = {"WWW-Authenticate": 'Bearer realm="bareme"'}


def requires(*roles: Role) -> Guard:
    """A guard that lets through keys holding at least one of ``roles``."""
    allowed = frozenset(roles)

    # Async on purpose: Litestar runs a sync guard in a worker thread, on every request.
    async def guard(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
        key = _authenticate(connection)
        connection.scope["state"]["key"] = key.name
        if allowed.isdisjoint(key.roles):
            raise ApiProblem("forbidden", f"this operation needs the role "
                             f"{' or '.join(sorted(allowed))}; the key "
                             f"{key.name!r} has {', '.join(key.roles)}")

    return guard


def _authenticate(connection: ASGIConnection[Any, Any, Any, Any]) -> ApiKey:
    state = connection.app.state
    if state.dev:
        return DEV_KEY
    header = connection.headers.get("authorization", "")
    scheme, _, presented = header.partition(" ")
    if scheme.lower() != "bearer" or not presented.strip():
        raise ApiProblem("unauthorized", "send 'Authorization: Bearer <key>'",
                         headers=_CHALLENGE)
    ring: KeyRing = state.keyring
    key = ring.identify(presented.strip())
    if key is None:
        raise ApiProblem("unauthorized", "this API key is not known",
                         headers={"WWW-Authenticate": 'Bearer realm="bareme", '
                                                      'error="invalid_token"'})
    return key
