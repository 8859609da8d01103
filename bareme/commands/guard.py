"""Archive errors as user errors: a message and exit 1, never a traceback."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from archive.context import Archive
from archive.correct import CorrectedMeanwhile, NotCorrectable
from archive.customers import UnknownCustomer
from archive.issue import IdempotencyConflict, NothingToBill
from archive.replay import AlteredInput, UnknownDocument
from bareme.errors import UserError
from bareme.settings import Settings

__all__ = ["archive_errors", "open_archive"]


@contextmanager
def archive_errors() -> Iterator[None]:
    """Turn the archive's refusals into :class:`UserError`."""
    try:
        yield
    except (UnknownCustomer, UnknownDocument) as exc:
        raise UserError(str(exc.args[0])) from None
    except (IdempotencyConflict, NotCorrectable, CorrectedMeanwhile, NothingToBill,
            AlteredInput) as exc:
        raise UserError(str(exc)) from None


def open_archive(settings: Settings) -> Archive:
    """The archive of these settings."""
    return Archive.open(settings.database_url, settings.data_dir, settings.repo)
