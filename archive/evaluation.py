"""Evaluate for a document: the engine's ``evaluate`` at the document's issue date."""

from __future__ import annotations

import inspect
from collections.abc import Sequence
from datetime import date
from typing import Any

from engine.customers import Customer
from engine.evaluate import evaluate
from engine.results import Evaluation
from engine.rules.ruleset import Ruleset
from engine.timeline import BillingPeriod
from engine.usage import UsageRecord

__all__ = ["evaluate_on"]

_TAKES_ISSUE_DATE = "issue_date" in inspect.signature(evaluate).parameters


def evaluate_on(ruleset: Ruleset, customer: Customer, period: BillingPeriod,
                records: Sequence[UsageRecord], issue_date: date) -> Evaluation:
    """The evaluation as of ``issue_date`` (mentions in force then), where the engine uses it."""
    extra: dict[str, Any] = {"issue_date": issue_date} if _TAKES_ISSUE_DATE else {}
    return evaluate(ruleset, customer, period, records, **extra)
