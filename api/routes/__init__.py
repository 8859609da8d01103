"""Route handlers, one module per resource; ``ROUTES`` lists them all."""

from api.routes.evaluate import ROUTES as _EVALUATE
from api.routes.health import ROUTES as _HEALTH
from api.routes.rulesets import ROUTES as _RULESETS

__all__ = ["ROUTES"]

ROUTES = (*_EVALUATE, *_RULESETS, *_HEALTH)
