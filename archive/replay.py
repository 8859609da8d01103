"""Replay: re-evaluate an archived document from its archived usage at its archived commit.

The archived evaluation and the replayed one must be byte-identical canonical JSON
(DESIGN.md invariant 2). Where they differ, :func:`explain` says which line and field.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import msgspec

from archive.context import Archive
from archive.db import session
from archive.delta import correction_document
from archive.evaluation import evaluate_on
from archive.records import DocumentRow
from archive.usage import usage_from_bytes
from engine.canonical import canonical_bytes, sha256_hex
from engine.customers import Customer
from engine.document import to_document
from engine.timeline import parse_period
from engine.usage import UsageRecord

__all__ = ["AlteredInput", "ReplayResult", "UnknownDocument", "explain", "load", "recompute",
           "replay"]


class UnknownDocument(LookupError):
    """No archived document with this number."""


class AlteredInput(ValueError):
    """An archived file no longer matches its recorded SHA-256: nothing is replayed from it."""


def _checked(archive: Archive, row: DocumentRow, field: str) -> bytes:
    digest = getattr(row, field)
    data = archive.files.get(digest)
    if sha256_hex(data) != digest:
        raise AlteredInput(f"{row.number}: archived {field.removesuffix('_sha256')} file is "
                           "altered; run `bareme archive verify`")
    return data


class ReplayResult(msgspec.Struct, frozen=True, kw_only=True):
    """Whether the replay matched, both digests, and the differences line by line."""

    number: str
    commit: str
    identical: bool
    archived_digest: str
    replayed_digest: str
    differences: tuple[str, ...]


def load(archive: Archive, number: str) -> tuple[DocumentRow, dict[str, Any]]:
    """The row and the archived JSON document of ``number``."""
    with session(archive.engine) as db:
        row = db.get(DocumentRow, number)
    if row is None:
        raise UnknownDocument(f"no archived document numbered {number!r}")
    document: dict[str, Any] = msgspec.json.decode(_checked(archive, row, "json_sha256"))
    return row, document


def evaluation_at(archive: Archive, customer: Customer, period: str,
                  records: list[UsageRecord], commit: str, issue_date: str) -> dict[str, Any]:
    """The evaluation document of ``records`` at ``commit``, as of ``issue_date``."""
    ruleset = archive.rules.ruleset(commit)
    evaluation = evaluate_on(ruleset, customer, parse_period(period, ruleset.zone), records,
                             date.fromisoformat(issue_date))
    return to_document(evaluation)


def recompute(archive: Archive, row: DocumentRow, document: dict[str, Any]) -> dict[str, Any]:
    """The evaluation part of ``document``, computed again from the archived inputs."""
    records = usage_from_bytes(_checked(archive, row, "usage_sha256"), f"archive:{row.number}")
    customer = msgspec.convert(document["customer"], Customer)
    new = evaluation_at(archive, customer, row.period, records, row.rules_commit, row.issue_date)
    original = document["original"]
    if original is None:
        return new
    base = evaluation_at(archive, customer, row.period, records, original["base_commit"],
                         original["base_issue_date"])
    return correction_document(base, new, -1 if row.kind == "credit_note" else 1)


def replay(archive: Archive, number: str) -> ReplayResult:
    """Re-evaluate ``number`` and compare canonical bytes."""
    row, document = load(archive, number)
    archived = document["evaluation"]
    replayed = recompute(archive, row, document)
    identical = canonical_bytes(archived) == canonical_bytes(replayed)
    return ReplayResult(number=number, commit=row.rules_commit, identical=identical,
                        archived_digest=archived.get("digest", ""),
                        replayed_digest=replayed.get("digest", ""),
                        differences=() if identical else tuple(explain(archived, replayed)))


def explain(archived: Any, replayed: Any, path: str = "") -> list[str]:
    """Every leaf that differs, as ``path: archived → replayed``; lines named by rule."""
    if isinstance(archived, dict) and isinstance(replayed, dict):
        out: list[str] = []
        for key in sorted(set(archived) | set(replayed)):
            if key == "digest":
                continue
            out += explain(archived.get(key), replayed.get(key), f"{path}.{key}" if path else key)
        return out
    if isinstance(archived, list) and isinstance(replayed, list):
        out = []
        for index in range(max(len(archived), len(replayed))):
            a = archived[index] if index < len(archived) else None
            b = replayed[index] if index < len(replayed) else None
            out += explain(a, b, f"{path}[{index}]{_name(a if a is not None else b)}")
        return out
    if archived != replayed:
        return [f"{path}: archived {_show(archived)}, replayed {_show(replayed)}"]
    return []


def _name(item: Any) -> str:
    if isinstance(item, dict) and "rule_id" in item:
        tier = f" tier {item['tier']}" if item.get("tier") is not None else ""
        return f" ({item['rule_id']} {item.get('version', '')} {item.get('component', '')}{tier})"
    if isinstance(item, dict) and "category" in item:
        return f" (TVA {item['category']} {item.get('rate', '')})"
    return ""


def _show(value: Any) -> str:
    if value is None:
        return "(absent)"
    if isinstance(value, dict | list):
        return canonical_bytes(value).decode("utf-8")[:200]
    return repr(value)
