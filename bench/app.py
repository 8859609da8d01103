"""The API plus a bare endpoint, served together for the benchmark.

``POST /bench/bare`` decodes the same body into the same struct (strictly, by msgspec) and
answers a constant: the cost of the framework, the server and decoding, without evaluation.
"""

from __future__ import annotations

from litestar import Litestar, Response, post
from litestar.params import JSONBody

from api.decoding import decoder_opt
from api.server import app_from_environment
from api.wire import EvaluateRequest

_CONSTANT = b'{"ok":true}'


@post("/bench/bare", opt=decoder_opt(EvaluateRequest), status_code=200)
async def bare(data: JSONBody[EvaluateRequest]) -> Response[bytes]:
    del data
    return Response(_CONSTANT, media_type="application/json")


def app() -> Litestar:
    served = app_from_environment()
    served.register(bare)
    return served
