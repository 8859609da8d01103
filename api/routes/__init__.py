"""Route handlers, one module per resource; ``ROUTES`` lists them all."""

from api.routes.archive import ROUTES as _ARCHIVE
from api.routes.corrections import ROUTES as _CORRECTIONS
from api.routes.evaluate import ROUTES as _EVALUATE
from api.routes.exports import ROUTES as _EXPORTS
from api.routes.health import ROUTES as _HEALTH
from api.routes.invoices import ROUTES as _INVOICES
from api.routes.page_assets import ROUTES as _PAGE
from api.routes.rulesets import ROUTES as _RULESETS
from api.routes.runs import ROUTES as _RUNS

__all__ = ["ROUTES"]

ROUTES = (*_EVALUATE, *_INVOICES, *_CORRECTIONS, *_RUNS, *_ARCHIVE, *_EXPORTS, *_RULESETS, *_HEALTH,
          *_PAGE)
