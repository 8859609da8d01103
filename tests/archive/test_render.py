"""PDF and Factur-X of every regime: schema, schematrons, and the same figures everywhere."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

import facturx
import msgspec
import pytest
from pypdf import PdfReader
from syrupy.assertion import SnapshotAssertion

from archive.context import Archive
from archive.correct import correct
from archive.issue import IssueRequest, issue_invoice
from archive.render import render
from archive.render.french import amount, rate
from archive.replay import load
from archive.run import billing_run
from archive.terms import notes
from archive.validate import failed_asserts, schematrons_for, xsd_errors
from engine.usage import UsageRecord
from tests.archive.conftest import PERIOD, TODAY, Rules
from tests.archive.regimes import REGIMES, taxed


def document_for(archive: Archive, usage: tuple[UsageRecord, ...], regime: str
                 ) -> dict[str, Any]:
    customer = REGIMES[regime][0]
    number = issue_invoice(archive, IssueRequest(customer_id=customer, period=PERIOD,
                                                 records=usage), TODAY).number
    return taxed(load(archive, number)[1], regime)


def fatal(xml: bytes, names: tuple[str, ...] = ("en16931", "fr-ctc")
          ) -> list[tuple[str, str, str]]:
    return [a for name in names for a in failed_asserts(xml, name) if a[1] != "warning"]


def pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def embedded_xml(data: bytes) -> bytes:
    _, xml = facturx.get_xml_from_pdf(data, check_xsd=False)
    return bytes(xml)


@pytest.mark.parametrize("regime", sorted(REGIMES))
def test_facturx_passes_xsd_and_schematrons(archive: Archive, usage: tuple[UsageRecord, ...],
                                            regime: str) -> None:
    document = document_for(archive, usage, regime)
    pdf, factur_x = render(document)
    xml = embedded_xml(factur_x)
    assert xsd_errors(xml) == []
    assert fatal(xml) == []
    text = pdf_text(pdf)
    evaluation = document["evaluation"]
    currency = evaluation["totals"]["currency"]
    for line in evaluation["lines"]:
        assert amount(line["amount"], currency) in text
        assert f">{line['amount']}</ram:LineTotalAmount>" in xml.decode()
    for tax in evaluation["taxes"]:
        assert f"{tax['category']} {rate(tax['rate'])} {amount(tax['base'], currency)}" in text
        assert f"<ram:BasisAmount>{tax['base']}</ram:BasisAmount>" in xml.decode()
    for key in ("net", "tax", "gross"):
        assert amount(evaluation["totals"][key], currency) in text
    assert document["customer"]["name"] in text and document["seller"]["siren"] in text
    assert "40 €" in text and "du 01/10/2026 au 31/10/2026" in text
    flat_text = " ".join(text.split())
    for _, note in notes(document):
        assert " ".join(note.split()) in flat_text
        assert f"<ram:Content>{escape(note)}</ram:Content>" in xml.decode()


def test_every_sample_customer_passes_the_schematrons(archive: Archive,
                                                      usage: tuple[UsageRecord, ...]) -> None:
    """Real documents, with the TVA and mentions the engine gives them at HEAD."""
    summary = billing_run(archive, PERIOD, usage, today=TODAY)
    assert summary.issued == 9
    checked = []
    for number in summary.numbers:
        row, document = load(archive, number)
        xml = embedded_xml(archive.files.get(row.facturx_sha256))
        names = schematrons_for(document)
        checked.append(names)
        assert (number, xsd_errors(xml), fatal(xml, names)) == (number, [], [])
    # Only the Belgian consumer (OSS, 21 %) is outside the French CTC exchange.
    assert checked.count(("en16931",)) == 1


def test_archived_files_match_the_archived_json(archive: Archive,
                                                usage: tuple[UsageRecord, ...]) -> None:
    number = issue_invoice(archive, IssueRequest(customer_id="C-0001", period=PERIOD,
                                                 records=usage), TODAY).number
    row, document = load(archive, number)
    pdf, _ = render(document)
    assert archive.files.get(row.pdf_sha256) == pdf
    xml = embedded_xml(archive.files.get(row.facturx_sha256))
    assert f"<ram:GrandTotalAmount>{row.gross}</ram:GrandTotalAmount>" in xml.decode()
    assert f"<ram:ID>{number}</ram:ID>" in xml.decode()


def test_credit_note_documents(archive: Archive, rules: Rules,
                               usage: tuple[UsageRecord, ...]) -> None:
    original = issue_invoice(archive, IssueRequest(customer_id="C-0001", period=PERIOD,
                                                   records=usage, rev=rules.base), TODAY)
    credit = correct(archive, original.number, rules.cheaper, TODAY)
    assert credit is not None
    row, document = load(archive, credit.number)
    xml = embedded_xml(archive.files.get(row.facturx_sha256))
    assert "<ram:TypeCode>381</ram:TypeCode>" in xml.decode()
    assert f"<ram:IssuerAssignedID>{original.number}</ram:IssuerAssignedID>" in xml.decode()
    assert xsd_errors(xml) == []
    text = pdf_text(archive.files.get(row.pdf_sha256))
    assert f"AVOIR N° {credit.number}" in text
    assert f"Se rapporte à la facture N° {original.number}" in text
    taxed_note = taxed(document, "fr-business")
    assert fatal(embedded_xml(render(taxed_note)[1])) == []


def test_snapshots(archive: Archive, usage: tuple[UsageRecord, ...],
                   snapshot: SnapshotAssertion) -> None:
    document = document_for(archive, usage, "fr-business")
    pdf, factur_x = render(document)
    assert embedded_xml(factur_x).decode() == snapshot(name="cii-xml")
    assert pdf_text(pdf) == snapshot(name="pdf-text")


def test_renderers_read_only_the_json(tmp_path: Path, archive: Archive,
                                      usage: tuple[UsageRecord, ...]) -> None:
    document = document_for(archive, usage, "overseas-reunion")
    again = msgspec.json.decode(msgspec.json.encode(document))
    (pdf, factur_x), (pdf_again, factur_x_again) = render(document), render(again)
    assert pdf == pdf_again  # Factur-X adds a metadata timestamp: compare its XML
    assert embedded_xml(factur_x) == embedded_xml(factur_x_again)
