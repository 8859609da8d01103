"""Issued documents: numbering, sealing, hash chain, rendering, queries, replay.

The facade the API layer calls (``billing``, ``auditor`` and ``tax_reviewer`` roles):
:class:`Archive` opens the store; :func:`issue_invoice` (with :class:`IssueRequest`),
:func:`correct`, :func:`billing_run` issue; :func:`replay`, :func:`verify`,
:func:`query`, :func:`export` and :func:`export_zip` read.
"""

from archive.context import Archive
from archive.correct import CorrectedMeanwhile, NotCorrectable, correct
from archive.customers import UnknownCustomer, import_customers
from archive.export import AlteredFile, export, export_zip
from archive.issue import IdempotencyConflict, Issued, IssueRequest, NothingToBill, issue_invoice
from archive.query import QueryRefused, QueryResult, query
from archive.replay import AlteredInput, ReplayResult, UnknownDocument, load, replay
from archive.run import RunSummary, billing_run
from archive.verify import Report, verify

__all__ = ["AlteredFile", "AlteredInput", "Archive", "CorrectedMeanwhile",
           "IdempotencyConflict", "IssueRequest", "Issued", "NotCorrectable", "NothingToBill",
           "QueryRefused", "QueryResult",
           "ReplayResult", "Report", "RunSummary", "UnknownCustomer", "UnknownDocument",
           "billing_run", "correct", "export", "export_zip", "import_customers",
           "issue_invoice", "load", "query", "replay", "verify"]
