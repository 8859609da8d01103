"""What every route shares: the app's services, documented error responses, engine errors."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import msgspec
from litestar.datastructures import State
from litestar.openapi.datastructures import ResponseSpec

from api.archive_access import ArchiveAccess
from api.auth import requires
from api.convert import diagnostics_out
from api.customers import CustomerDirectory
from api.errors import PROBLEM_JSON, TITLES, ApiProblem
from api.keys import Role
from api.memo import EvaluationMemo
from api.rules import RuleBook
from api.settings import ApiSettings
from api.wire import Problem
from engine.diagnostics import DiagnosticsError
from engine.store.git import RevisionError

__all__ = ["Services", "problems", "rules_errors", "secured", "services"]


class Services(msgspec.Struct, frozen=True, kw_only=True):
    """The app's shared objects, kept in ``app.state.services``."""

    settings: ApiSettings
    rules: RuleBook
    customers: CustomerDirectory
    memo: EvaluationMemo
    archive: ArchiveAccess
    """The archive of issued documents, opened on first use."""


def services(state: State) -> Services:
    """The services of the app whose state this is."""
    found: Services = state.services
    return found


def secured(*roles: Role) -> dict[str, Any]:
    """Route options for a route that needs a key with one of ``roles``."""
    return {"guards": [requires(*roles)], "security": [{"apiKey": []}]}


def problems(*slugs: str | tuple[str, int]) -> dict[int, ResponseSpec]:
    """OpenAPI responses for these problem slugs (plus 400, 401, 403, 500: always possible).

    A slug answered with another status than its usual one comes with it: ``(slug, 404)``.
    """
    wanted = {(s, TITLES[s][0]) if isinstance(s, str) else s for s in
              (*slugs, "bad-request", "unauthorized", "forbidden", "internal")}
    by_status: dict[int, list[str]] = {}
    for slug, status in sorted(wanted):
        by_status.setdefault(status, []).append(slug)
    return {status: ResponseSpec(data_container=Problem, media_type=PROBLEM_JSON,
                                 generate_examples=False,
                                 description="Problem details: " + ", ".join(names))
            for status, names in sorted(by_status.items())}


@contextmanager
def rules_errors(not_found_status: int = 422) -> Iterator[None]:
    """Turn revision and ruleset errors of the block into problem details."""
    try:
        yield
    except RevisionError as exc:
        raise ApiProblem("unknown-revision", str(exc), status=not_found_status) from None
    except DiagnosticsError as exc:
        raise ApiProblem("invalid-ruleset", f"{len(exc.diagnostics)} problem(s) in the rules",
                         diagnostics_out(exc.diagnostics)) from None
