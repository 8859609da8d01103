"""Structured access logs: one JSON line per request, tied to a request id.

The id comes from the client's ``X-Request-ID`` when it is a sane token, or is made here;
it is echoed in the response, in problem details and in the server log of a 500.
"""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import msgspec
from litestar.enums import ScopeType
from litestar.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["AccessLog", "LogLine", "Sink"]

Sink = Callable[[bytes], object]
_HEADER = b"x-request-id"
_SANE_ID = re.compile(rb"[A-Za-z0-9._:-]{1,128}")


class LogLine(msgspec.Struct, frozen=True, kw_only=True):
    """One access-log entry."""

    time: str
    request_id: str
    method: str
    path: str
    status: int
    duration_ms: float
    client: str | None
    key: str | None
    """Name of the API key used, never the key."""


class AccessLog:
    """ASGI middleware around the whole app (so 404s and 405s are logged too)."""

    def __init__(self, app: ASGIApp, sink: Sink | None) -> None:
        self.app = app
        self.sink = sink
        self._encoder = msgspec.json.Encoder()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Serve the request, adding ``X-Request-ID`` and writing its log line."""
        if scope["type"] != ScopeType.HTTP:
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        request_id = _request_id(scope)
        state: dict[str, Any] = scope.setdefault("state", {})
        state["request_id"] = request_id
        header = (_HEADER, request_id.encode())
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", ()), header]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            if self.sink is not None:
                self._write(scope, state, request_id, status, started)

    def _write(self, scope: Scope, state: dict[str, Any], request_id: str, status: int,
               started: float) -> None:
        client = scope.get("client")
        line = LogLine(time=datetime.now(UTC).isoformat(timespec="milliseconds"),
                       request_id=request_id, method=str(scope.get("method", "")),
                       path=scope["path"], status=status,
                       duration_ms=round((time.perf_counter() - started) * 1000, 3),
                       client=client[0] if client else None, key=state.get("key"))
        assert self.sink is not None
        self.sink(self._encoder.encode(line) + b"\n")


def _request_id(scope: Scope) -> str:
    for name, value in scope["headers"]:
        if name == _HEADER and _SANE_ID.fullmatch(value):
            return value.decode()
    return uuid.uuid4().hex
