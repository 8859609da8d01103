"""Payment terms printed on every document, and the notes Factur-X files them under.

The legal mentions stage of the engine supplies these texts when its rules are loaded;
until a mention of each kind is in force, the defaults below are printed so that no
document misses them (Code de commerce L441-10, D441-5: the 40 € indemnity in full).
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

__all__ = ["PAYMENT_DAYS", "due_date", "notes", "payment_days"]

PAYMENT_DAYS = 30
"""Payment due 30 days after the issue date, for a seller that states no terms."""

_DEFAULTS = (
    ("PMT", "Indemnité forfaitaire pour frais de recouvrement en cas de retard de paiement : "
            "40 € (articles L441-10 et D441-5 du Code de commerce)."),
    ("PMD", "Pénalités de retard : taux de refinancement de la BCE majoré de 10 points, "
            "exigibles dès le lendemain de la date d'échéance."),
    ("AAB", "Pas d'escompte pour paiement anticipé."),
)

_SUBJECTS = (("recouvrement", "PMT"), ("penalit", "PMD"), ("pénalit", "PMD"),
             ("escompte", "AAB"))


def payment_days(document: dict[str, Any]) -> int:
    """Days to pay, from the seller's terms archived with the document."""
    return int(document["seller"].get("payment_days", PAYMENT_DAYS))


def due_date(document: dict[str, Any]) -> date:
    """The payment due date: the seller's payment terms after the issue date.

    The engine's due-date mention is computed from the same terms, so the header, the
    mention and the Factur-X ``DueDateDateTime`` agree.
    """
    return date.fromisoformat(document["issue_date"]) + timedelta(days=payment_days(document))


def notes(document: dict[str, Any]) -> list[tuple[str, str]]:
    """(subject code, text) of every mention in force, then the defaults still missing."""
    found: list[tuple[str, str]] = []
    for mention in document["evaluation"]["mentions"]:
        key = f"{mention['id']} {mention['text']}".lower()
        subject = next((code for word, code in _SUBJECTS if word in key), "")
        found.append((subject, mention["text"]))
    have = {subject for subject, _ in found}
    return found + [(code, text) for code, text in _DEFAULTS if code not in have]
