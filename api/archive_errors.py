"""The archive's refusals as problem details."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from api.errors import ApiProblem
from archive import (
    AlteredFile,
    AlteredInput,
    CorrectedMeanwhile,
    IdempotencyConflict,
    NotCorrectable,
    NothingToBill,
    QueryRefused,
    UnknownCustomer,
    UnknownDocument,
)
from engine.timeline import PeriodSyntaxError

__all__ = ["archive_errors"]

_SLUGS: tuple[tuple[type[Exception], str], ...] = (
    (UnknownDocument, "unknown-document"),
    (UnknownCustomer, "unknown-customer"),
    (IdempotencyConflict, "idempotency-conflict"),
    (CorrectedMeanwhile, "corrected-meanwhile"),
    (NothingToBill, "nothing-to-bill"),
    (PeriodSyntaxError, "invalid-period"),
    (QueryRefused, "invalid-query"),
    (NotCorrectable, "not-correctable"),
    (AlteredInput, "altered-document"),
    (AlteredFile, "altered-document"),
)


@contextmanager
def archive_errors() -> Iterator[None]:
    """Turn the archive's refusals raised in the block into :class:`ApiProblem`."""
    try:
        yield
    except tuple(kind for kind, _ in _SLUGS) as exc:
        slug = next(slug for kind, slug in _SLUGS if isinstance(exc, kind))
        raise ApiProblem(slug, str(exc.args[0]) if exc.args else slug) from None
