"""Sample data for the demo: a believable set of customers and a month of their usage.

Deterministic (seeded), so that two runs of the demo print the same figures.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import msgspec
import yaml

from engine.timeline import BillingPeriod

__all__ = ["SAMPLE_CUSTOMERS", "sample_usage", "write_sample"]

SAMPLE_CUSTOMERS: tuple[dict[str, str], ...] = (
    {"id": "C-0001", "name": "Atelier Numérique SAS", "kind": "business", "country": "FR",
     "postal_code": "75011", "siren": "123456782", "vat_number": "FR11123456782",
     "address": "12 rue de la Roquette, 75011 Paris"},
    {"id": "C-0002", "name": "Banque Lumière SA", "kind": "business", "country": "FR",
     "postal_code": "69002", "siren": "552100554", "vat_number": "FR96552100554",
     "address": "3 quai Saint-Antoine, 69002 Lyon"},
    {"id": "C-0003", "name": "Marie Dupont", "kind": "consumer", "country": "FR",
     "postal_code": "33000", "address": "8 cours de l'Intendance, 33000 Bordeaux"},
    {"id": "C-0004", "name": "Sucrerie de Bourbon SARL", "kind": "business", "country": "FR",
     "postal_code": "97400", "siren": "732829320", "vat_number": "FR44732829320",
     "address": "21 rue de Paris, 97400 Saint-Denis"},
    {"id": "C-0005", "name": "Cayenne Data SAS", "kind": "business", "country": "FR",
     "postal_code": "97300", "siren": "402236467", "vat_number": "FR22402236467",
     "address": "5 avenue du Général de Gaulle, 97300 Cayenne"},
    {"id": "C-0006", "name": "Berliner Rechenwerk GmbH", "kind": "business", "country": "DE",
     "postal_code": "10115", "vat_number": "DE136695976",
     "address": "Invalidenstraße 117, 10115 Berlin"},
    {"id": "C-0007", "name": "Acme Cloud Inc.", "kind": "business", "country": "US",
     "postal_code": "94105", "address": "500 Howard Street, San Francisco, CA 94105"},
    {"id": "C-0008", "name": "Jan Peeters", "kind": "consumer", "country": "BE",
     "postal_code": "1000", "address": "Rue Neuve 1, 1000 Bruxelles"},
    {"id": "C-0009", "name": "Maquis Logiciel SARL", "kind": "business", "country": "FR",
     "postal_code": "20000", "siren": "383474814", "vat_number": "FR89383474814",
     "address": "2 cours Napoléon, 20000 Ajaccio"},
)

# Metric, daily quantity range (low, high, decimals): a plausible mix per customer size.
_PROFILE: tuple[tuple[str, int, int, int], ...] = (
    ("compute.vcpu_hours", 24, 480, 1),
    ("compute.ram_gb_hours", 96, 1920, 1),
    ("compute.gpu_hours", 0, 12, 2),
    ("storage.block_gb_months", 3, 60, 3),
    ("storage.object_gb_months", 10, 4000, 3),
    ("storage.object_requests", 5_000, 900_000, 0),
    ("network.egress_gb", 1, 400, 2),
)


def sample_usage(period: BillingPeriod, seed: int = 20261001) -> Iterator[dict[str, Any]]:
    """A day-by-day usage record per customer and metric, with a few reserved-capacity users."""
    rng = random.Random(seed)  # noqa: S311 - reproducible sample data, not secrets
    days = (period.end - period.start).days
    for customer in SAMPLE_CUSTOMERS:
        scale = rng.choice((0.2, 0.5, 1.0, 2.0))
        metrics = [m for m in _PROFILE if rng.random() < 0.85 or m[0] == "compute.vcpu_hours"]
        if customer["id"] in ("C-0002", "C-0006"):
            metrics.append(("compute.reserved_vcpu_hours", 400, 800, 0))
        for metric, low, high, decimals in metrics:
            for day in range(days):
                at = (period.start + timedelta(days=day, hours=rng.randint(0, 23),
                                               minutes=rng.randint(0, 59)))
                quantity = Decimal(str(round(rng.uniform(low, high) * scale, decimals)))
                yield {"event_id": f"{customer['id']}-{metric}-{at:%Y%m%d}",
                       "customer_id": customer["id"], "metric": metric,
                       "quantity": str(quantity), "timestamp": at.isoformat(),
                       "region": rng.choice(("fr-par", "fr-par", "fr-mrs"))}


def write_sample(folder: Path, period: BillingPeriod) -> tuple[Path, Path]:
    """Write ``customers.yaml`` and ``usage-<period>.jsonl`` unless they exist; return them."""
    folder.mkdir(parents=True, exist_ok=True)
    customers = folder / "customers.yaml"
    usage = folder / f"usage-{period.label}.jsonl"
    if not customers.exists():
        customers.write_text(yaml.safe_dump(list(SAMPLE_CUSTOMERS), allow_unicode=True,
                                            sort_keys=False), encoding="utf-8")
    if not usage.exists():
        encoder = msgspec.json.Encoder()
        with usage.open("wb") as handle:
            for row in sample_usage(period):
                handle.write(encoder.encode(row) + b"\n")
    return customers, usage
