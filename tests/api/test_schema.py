"""Property-based run of the OpenAPI document: no 500, no answer that breaks the schema.

Bounded (a few examples per operation) so the whole suite stays fast; CI runs it too.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_schema_conformance,
    status_code_conformance,
)

from api import create_app
from api.keys import keys_from_pairs
from tests.api.conftest import Rules
from tests.conftest import GitRepo

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_schema_conformance, negative_data_rejection]
EVERY_ROLE = "billing=all,pricing=all,auditor=all,tax_reviewer=all"


def _app() -> object:
    import tempfile

    root = Path(tempfile.mkdtemp(prefix="bareme-schema-")) / "rules"
    root.mkdir()
    rules = Rules(GitRepo(root))
    from api import ApiSettings

    return create_app(ApiSettings(repo=str(root), data_dir=str(root.parent / "data"),
                                  keys=keys_from_pairs(EVERY_ROLE),
                                  customers_file=str(rules.customers), access_log=""))


schema = schemathesis.openapi.from_asgi("/schema/openapi.json", _app())


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
@schema.parametrize()
@settings(max_examples=15, deadline=None,
          suppress_health_check=list(HealthCheck))
def test_the_api_keeps_its_schema(case: schemathesis.Case) -> None:  # type: ignore[type-arg]
    case.call_and_validate(headers={"Authorization": "Bearer all"}, checks=CHECKS)
