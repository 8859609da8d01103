from datetime import date

from archive.terms import due_date


def test_due_date_follows_the_sellers_terms() -> None:
    document = {"issue_date": "2026-11-03", "seller": {"payment_days": 45}}
    assert due_date(document) == date(2026, 12, 18)
    # Documents archived before the terms were recorded keep the 30 days they were issued with.
    assert due_date({"issue_date": "2026-11-03", "seller": {}}) == date(2026, 12, 3)
