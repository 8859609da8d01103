"""``rulesets/seller.yaml``: the seller's identity and terms, versioned; identifiers checked."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from stdnum.eu import vat
from stdnum.fr import siren

from engine.loading.context import LoadContext
from engine.loading.dated import build_versions, item_origin
from engine.loading.yaml_nodes import PathKey
from engine.rules.origin import Origin
from engine.rules.seller import Seller, SellerVersion

__all__ = ["build_seller", "finish_seller"]


def build_seller(ctx: LoadContext, filename: str, blob: str,
                 data: dict[str, Any]) -> list[Seller]:
    """The seller of one schema-valid file, its SIREN and VAT number checked."""
    pointer: PathKey = ("seller",)
    raw = data["seller"]
    if not ctx.is_valid(filename, pointer):
        return []
    origin = item_origin(ctx, filename, blob, pointer)
    versions = build_versions(ctx, origin, raw["versions"], SellerVersion, _prepare)
    if versions is None:
        return []
    for index, version in enumerate(versions):
        _check_identifiers(ctx, origin, index, version)
    return [Seller(id=raw.get("id", "seller"), versions=versions, origin=origin)]


def _prepare(raw: dict[str, Any], pointer: PathKey) -> dict[str, Any]:
    del pointer
    terms = {**raw["terms"], "due_days": int(raw["terms"]["due_days"])}
    return {**raw, "terms": terms}


def _check_identifiers(ctx: LoadContext, origin: Origin, index: int,
                       version: SellerVersion) -> None:
    sub: PathKey = ("versions", index)
    if not siren.is_valid(version.siren):
        ctx.report_at(origin, (*sub, "siren"), "seller.siren.invalid",
                      f"SIREN {version.siren!r} fails its checksum (9 digits, Luhn key)")
        return
    expected = "FR" + siren.to_tva(version.siren)
    if not vat.is_valid(version.vat_number) or vat.compact(version.vat_number) != expected:
        ctx.report_at(origin, (*sub, "vat_number"), "seller.vat_number.invalid",
                      f"VAT number {version.vat_number!r} is not the one of SIREN "
                      f"{version.siren}; expected {expected}")


def finish_seller(ctx: LoadContext, items: Sequence[Seller],
                  finished: dict[str, Any]) -> tuple[Seller, ...]:
    """At most one seller."""
    del finished
    for extra in items[1:]:
        ctx.report_at(extra.origin, (), "seller.duplicate",
                      f"the seller is already described in {items[0].origin.path}; keep one "
                      "seller with successive versions")
    return tuple(items[:1])
