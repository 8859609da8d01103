"""Strict request bodies: decoded once, straight into the handler's struct, by msgspec.

Litestar's default path decodes JSON into Python objects and then converts them leniently;
a route that names a decoder in ``opt["decoder"]`` gets its body decoded directly and
strictly instead, with errors reported as problem details. A key given twice in an object
is refused: a decoder would keep the last value and bill a guess.
"""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Request

from api.errors import ApiProblem, decode_problem
from engine.json_keys import repeated_key

__all__ = ["StrictRequest", "decoder_opt"]

_PLAIN = msgspec.json.Decoder()


class StrictRequest(Request[Any, Any, Any]):
    """A request whose JSON body is decoded by the route's own msgspec decoder."""

    async def json(self) -> Any:
        """The body as the route's struct, or an :class:`~api.errors.ApiProblem`."""
        decoder = self.route_handler.opt.get("decoder")
        try:
            if decoder is None:
                return await super().json()
            body = await self.body()
            value = decoder.decode(body)
        except msgspec.ValidationError as exc:
            raise decode_problem(_syntax_error(body) or exc) from None
        except msgspec.DecodeError as exc:
            raise decode_problem(exc) from None
        except UnicodeDecodeError as exc:  # msgspec reads UTF-8 and refuses other bytes so
            raise ApiProblem("malformed-json", f"the body is not UTF-8 (byte "
                             f"{exc.object[exc.start]:#04x} in a string)") from None
        if twice := repeated_key(body, _PLAIN.decode(body)):
            raise ApiProblem("malformed-json", f"key {twice!r} appears more than once in an "
                             "object (which value would count is a guess)")
        return value


def _syntax_error(body: bytes) -> msgspec.DecodeError | None:
    """The syntax error of a body refused for its shape, if it has one.

    Malformed JSON is reported as such even where a missing field was met first.
    """
    try:
        _PLAIN.decode(body)
    except msgspec.DecodeError as exc:
        return exc
    except UnicodeDecodeError:
        return None
    return None


def decoder_opt(struct: type[Any]) -> dict[str, Any]:
    """Route ``opt`` that makes :class:`StrictRequest` decode the body as ``struct``."""
    return {"decoder": msgspec.json.Decoder(struct)}
