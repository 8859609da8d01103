"""The HTTP API of Barème: Litestar, msgspec wire types, API keys with roles."""

from api.app import create_app
from api.settings import ApiSettings

__all__ = ["ApiSettings", "create_app"]
