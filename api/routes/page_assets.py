"""The interactive API page's script and style (Swagger UI), served by the API itself.

The page at ``/schema/`` works without reaching the internet: its assets come from the
swagger-ui-py package, read once, rather than from a CDN.
"""

from __future__ import annotations

import functools
import importlib.util
from pathlib import Path

from litestar import Response, get
from litestar.exceptions import NotFoundException
from litestar.openapi.plugins import SwaggerRenderPlugin
from litestar.params import FromPath

__all__ = ["ROUTES", "swagger_page"]

_PATH = "/schema/assets"
_ASSETS = {"swagger-ui-bundle.js": "text/javascript",
           "swagger-ui-standalone-preset.js": "text/javascript",
           "swagger-ui.css": "text/css",
           "favicon-32x32.png": "image/png"}


def swagger_page() -> SwaggerRenderPlugin:
    """The Swagger UI page at ``/schema/``, loading its assets from this API."""
    return SwaggerRenderPlugin(path="/", js_url=f"{_PATH}/swagger-ui-bundle.js",
                               css_url=f"{_PATH}/swagger-ui.css",
                               standalone_preset_js_url=f"{_PATH}/swagger-ui-standalone-preset.js",
                               favicon=f"<link rel='icon' type='image/png' "
                                       f"href='{_PATH}/favicon-32x32.png'>")


@functools.cache
def _read(name: str) -> bytes:
    spec = importlib.util.find_spec("swagger_ui")
    if spec is None or not spec.submodule_search_locations:
        raise NotFoundException("the swagger-ui-py package is not installed")
    return (Path(next(iter(spec.submodule_search_locations))) / "static" / name).read_bytes()


@get(f"{_PATH}/{{name:str}}", include_in_schema=False, cache=False)
async def swagger_asset(name: FromPath[str]) -> Response[bytes]:
    """One of the page's assets; any other name is 404."""
    media_type = _ASSETS.get(name)
    if media_type is None:
        raise NotFoundException(f"no asset {name!r}")
    return Response(_read(name), media_type=media_type,
                    headers={"Cache-Control": "public, max-age=86400"})


ROUTES = (swagger_asset,)
