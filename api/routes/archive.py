"""The archive for auditors and tax reviewers: ``/v1/archive/verify`` and ``/query``."""

from __future__ import annotations

import duckdb
from litestar import get, post
from litestar.datastructures import State
from litestar.params import JSONBody

from api.archive_errors import archive_errors
from api.decoding import decoder_opt
from api.errors import ApiProblem
from api.routes.common import problems, secured, services
from api.wire import QueryOut, QueryRequest, VerifyOut
from archive import query, verify
from archive.query import QueryLimits

__all__ = ["ROUTES"]

QUERY_LIMITS = QueryLimits()
"""Bounds of a query over HTTP: rows answered, seconds, memory (docs/api.md)."""


@get("/v1/archive/verify", **secured("auditor", "tax_reviewer"), sync_to_thread=True,
     tags=["archive"], summary="Check the hash chain and every archived file",
     responses=problems())
def verify_archive(state: State) -> VerifyOut:
    """Every problem found, each naming its record; ``intact`` when there is none."""
    report = verify(services(state).archive.get())
    return VerifyOut(intact=report.intact, records=report.records, files=report.files,
                     problems=list(report.problems), head=report.head)


@post("/v1/archive/query", **secured("tax_reviewer"), opt=decoder_opt(QueryRequest),
      sync_to_thread=True, status_code=200, tags=["archive"],
      summary="Read-only SQL over documents, lines, taxes and mentions",
      responses=problems("malformed-json", "invalid-request", "invalid-query", "too-large"))
def query_archive(data: JSONBody[QueryRequest], state: State) -> QueryOut:
    """Run one or more ``SELECT`` statements; a write or a file access is refused (422).

    At most 100,000 rows, 32 million characters of values, 30 seconds and 512 MB of DuckDB
    memory; beyond, 422.
    """
    archive = services(state).archive.get()
    try:
        with archive_errors():
            result = query(archive, data.sql, QUERY_LIMITS)
    except duckdb.Error as exc:
        raise ApiProblem("invalid-query", str(exc)) from None
    return QueryOut(columns=list(result.columns),
                    rows=[[None if v is None else str(v) for v in row] for row in result.rows])


ROUTES = (verify_archive, query_archive)
