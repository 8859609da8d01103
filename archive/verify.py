"""Walk the hash chain and every archived file; name each record that was tampered with.

Checks, in order: positions are 1…n without gap; each record's hash matches its content
(altered); each ``prev_hash`` is the previous record's hash (deleted, inserted or
reordered, told apart by where the link points); each series is numbered 1…last without
gap; the chain head matches the last record (a deleted tail); each file's SHA-256
matches its record (altered or missing file).
"""

from __future__ import annotations

import hashlib

import msgspec
from sqlmodel import select

from archive.context import Archive
from archive.db import session
from archive.records import ChainHead, DocumentRow, SeriesCounter
from archive.seal import GENESIS, record_hash

__all__ = ["FILE_FIELDS", "Report", "verify"]

FILE_FIELDS = ("json_sha256", "pdf_sha256", "facturx_sha256", "usage_sha256")


class Report(msgspec.Struct, frozen=True, kw_only=True):
    """The outcome: records checked and every problem found, each naming its record."""

    records: int
    files: int
    problems: tuple[str, ...]
    head: str
    """``position:hash`` of the chain head: record it elsewhere to anchor the chain."""

    @property
    def intact(self) -> bool:
        """Whether nothing was found."""
        return not self.problems


def verify(archive: Archive) -> Report:
    """Check the whole archive."""
    with session(archive.engine) as db:
        rows = list(db.exec(select(DocumentRow).order_by(DocumentRow.position)).all())  # type: ignore[arg-type]
        head = db.get(ChainHead, 1)
        counters = list(db.exec(select(SeriesCounter)).all())
    problems = _chain(rows) + _series(rows, counters)
    problems += _head(rows, head)
    files, missing = _files(archive, rows)
    return Report(records=len(rows), files=files, problems=tuple(problems + missing),
                  head=f"{head.position}:{head.hash}" if head else "")


def _chain(rows: list[DocumentRow]) -> list[str]:
    problems: list[str] = []
    index_of = {row.record_hash: i for i, row in enumerate(rows)}
    previous = GENESIS
    for index, row in enumerate(rows):
        expected = 1 if index == 0 else rows[index - 1].position + 1
        if row.position != expected:
            problems.append(f"{row.number}: at position {row.position}, expected {expected}: "
                            "a record before it was deleted")
        if record_hash(row) != row.record_hash:
            problems.append(f"{row.number}: altered: its content no longer matches its hash")
        if row.prev_hash != previous:
            problems.append(_broken_link(rows, index, index_of))
        previous = row.record_hash
    return problems


def _broken_link(rows: list[DocumentRow], index: int, index_of: dict[str, int]) -> str:
    row = rows[index]
    found = rows[index - 1].number if index else "the start of the chain"
    sealed_after = -1 if row.prev_hash == GENESIS else index_of.get(row.prev_hash)
    if sealed_after is None:
        return f"{row.number}: the record sealed before it is missing (deleted); it follows {found}"
    if sealed_after < index - 1:
        intruders = ", ".join(r.number for r in rows[sealed_after + 1:index])
        return f"{intruders}: inserted: {row.number} was sealed right after " + (
            rows[sealed_after].number if sealed_after >= 0 else "the start of the chain")
    after = rows[sealed_after].number if sealed_after >= 0 else "the start of the chain"
    return f"{row.number}: reordered: it was sealed after {after} but follows {found}"


def _series(rows: list[DocumentRow], counters: list[SeriesCounter]) -> list[str]:
    problems: list[str] = []
    seqs: dict[str, list[int]] = {}
    for row in rows:
        seqs.setdefault(row.series, []).append(row.seq)
        if row.number != f"{row.series}-{row.seq:06d}":
            problems.append(f"{row.number}: number does not match series {row.series} "
                            f"and sequence {row.seq}")
    last = {c.name: c.last for c in counters}
    for series in sorted(set(seqs) | set(last)):
        present = set(seqs.get(series, ()))
        for seq in range(1, max([last.get(series, 0), *present]) + 1):
            if seq not in present:
                problems.append(f"{series}-{seq:06d}: missing (deleted): series {series} "
                                "has no record with this number")
    return problems


def _head(rows: list[DocumentRow], head: ChainHead | None) -> list[str]:
    if head is None:
        return ["chain head: missing"]
    end = rows[-1] if rows else None
    if (end is None and head.position == 0) or (
            end is not None and (head.hash, head.position) == (end.record_hash, end.position)):
        return []
    sealed_last = next((i for i, r in enumerate(rows) if r.record_hash == head.hash), None)
    if sealed_last is not None:
        return [f"{row.number}: inserted after the chain head ({rows[sealed_last].number})"
                for row in rows[sealed_last + 1:]]
    at = end.number if end else "an empty archive"
    return [f"chain head: expects position {head.position} ({head.hash[:12]}…) but the chain "
            f"ends at {at}: the last record(s) were deleted or altered"]


def _files(archive: Archive, rows: list[DocumentRow]) -> tuple[int, list[str]]:
    problems: list[str] = []
    count = 0
    for row in rows:
        for field in FILE_FIELDS:
            digest = getattr(row, field)
            path = archive.files.path(digest)
            what = field.removesuffix("_sha256")
            if not path.is_file():
                problems.append(f"{row.number}: {what} file missing: {path}")
                continue
            count += 1
            if hashlib.sha256(path.read_bytes()).hexdigest() != digest:
                problems.append(f"{row.number}: {what} file altered: {path}")
    return count, problems
