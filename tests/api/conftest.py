"""An API over a throwaway rules repository, with one key per role."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import msgspec
import pytest
from litestar import Litestar
from litestar.testing import TestClient

from api import ApiSettings, create_app
from api.keys import keys_from_pairs
from api.routes.common import services
from archive import import_customers
from engine.customers import Customer
from tests.conftest import MANIFEST, GitRepo

ROOT = Path(__file__).resolve().parents[2]

KEYS = {"billing": "k-billing", "pricing": "k-pricing", "auditor": "k-auditor",
        "tax_reviewer": "k-tax"}
"""The plaintext key of each role (the app only sees their digests)."""

PRICING_V1 = """\
rules:
  - id: compute.vcpu
    metric: compute.vcpu_hours
    unit: vCPU-heure
    label: "Calcul — vCPU-heure"
    vat_rate: normal
    versions:
      - effective_from: 2024-01-01
        model: per_unit
        unit_price: "0.0450"
  - id: network.egress
    metric: network.egress_gb
    unit: Go
    label: "Réseau — trafic sortant"
    vat_rate: normal
    versions:
      - effective_from: 2024-01-01
        model: graduated
        included: "10"
        tiers:
          - {up_to: "100", unit_price: "0.05"}
          - {up_to: null, unit_price: "0.02"}
"""
PRICING_V2 = PRICING_V1.replace('unit_price: "0.0450"', 'unit_price: "0.0420"')

CUSTOMERS = """\
- id: C-0001
  name: "Atelier Numérique SAS"
  kind: business
  country: FR
  postal_code: "75011"
  siren: "123456782"
  vat_number: "FR11123456782"
  address: "12 rue de la Roquette, 75011 Paris"
"""

CUSTOMER: dict[str, Any] = {"id": "C-0001", "name": "Atelier Numérique SAS",
                            "kind": "business", "country": "FR", "postal_code": "75011",
                            "siren": "123456782", "vat_number": "FR11123456782",
                            "address": "12 rue de la Roquette, 75011 Paris"}


def usage(count: int = 3) -> list[dict[str, Any]]:
    """``count`` usage records of C-0001 in October 2026, on two metrics."""
    metrics = ("compute.vcpu_hours", "network.egress_gb")
    return [{"event_id": f"e{i}", "metric": metrics[i % 2], "quantity": f"{10 + i}.5",
             "timestamp": f"2026-10-{1 + i % 28:02d}T09:30:00Z",
             "attributes": {"region": "fr-par"}} for i in range(count)]


def auth(role: str) -> dict[str, str]:
    """Headers carrying the key of ``role``."""
    return {"Authorization": f"Bearer {KEYS[role]}"}


class Rules:
    """The rules repository of a test: two commits, the second lowering the vCPU price."""

    def __init__(self, repo: GitRepo) -> None:
        self.repo = repo
        self.v1 = repo.commit("catalogue", {"rulesets/ruleset.yaml": MANIFEST,
                                            "rulesets/pricing/rules.yaml": PRICING_V1},
                              date="2026-01-01T12:00:00+00:00")
        self.v2 = repo.commit("vCPU down", {"rulesets/pricing/rules.yaml": PRICING_V2},
                              date="2026-06-01T12:00:00+00:00")
        self.customers = repo.root.parent / "customers.yaml"
        self.customers.write_text(CUSTOMERS, encoding="utf-8")


@pytest.fixture
def rules(git_repo: GitRepo) -> Rules:
    """The rules repository, committed."""
    return Rules(git_repo)


def settings_for(rules: Rules, **changes: Any) -> ApiSettings:
    """Settings with a key per role and the customers file."""
    keys = keys_from_pairs(",".join(f"{role}={key}" for role, key in KEYS.items()))
    values: dict[str, Any] = {"repo": str(rules.repo.root), "keys": keys, "access_log": "",
                              "customers_file": str(rules.customers), **changes}
    return ApiSettings(**values)


@pytest.fixture
def log_lines() -> list[bytes]:
    """Access-log lines written by the app of :func:`client`."""
    return []


@pytest.fixture
def app(rules: Rules, log_lines: list[bytes]) -> Litestar:
    """The app over :func:`rules`."""
    return create_app(settings_for(rules), log_sink=log_lines.append)


@pytest.fixture
def client(app: Litestar) -> Iterator[TestClient[Litestar]]:
    """A test client of :func:`app`."""
    with TestClient(app) as test_client:
        yield test_client


def evaluate_body(**changes: Any) -> dict[str, Any]:
    """A valid evaluate request, with ``changes``."""
    return {"customer": CUSTOMER, "usage": usage(), "period": "2026-10", **changes}


def problem(response: Any, status: int, slug: str) -> dict[str, Any]:
    """The problem details of ``response``, checked for status, type and media type."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    data: dict[str, Any] = response.json()
    assert data["type"] == f"urn:bareme:problem:{slug}"
    assert data["status"] == status
    assert data["title"]
    return data


@pytest.fixture(scope="module")
def project_rules(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The project's own rulesets and legal mentions; tags ``cheaper`` and ``dearer``.

    ``cheaper`` lowers the vCPU-hour price (a credit note for an invoice of the catalogue),
    ``dearer`` raises it (then a corrective invoice); ``reworded`` only adds a comment line
    (the provenance moves, no amount); all are off the ``main`` branch.
    """
    root = tmp_path_factory.mktemp("rules")
    repo = GitRepo(root)
    for folder in ("rulesets", "legal_mentions"):
        shutil.copytree(ROOT / folder, root / folder)
    repo.commit("catalogue", date="2026-01-02T10:00:00+00:00")
    # Price changes on a side branch, tagged; HEAD stays at the catalogue.
    compute = (root / "rulesets/pricing/compute.yaml").read_text(encoding="utf-8")
    repo.git("checkout", "-q", "-b", "fixes")
    for tag, price, day in (("cheaper", "0.0410", "10"), ("dearer", "0.0435", "11")):
        repo.commit(f"vcpu {tag}", {"rulesets/pricing/compute.yaml": compute.replace(
            'unit_price: "0.0420"', f'unit_price: "{price}"')},
            date=f"2026-11-{day}T10:00:00+00:00")
        repo.git("tag", tag)
    # Another branch where only a comment moves the rules down a line: nothing billed differs.
    repo.git("checkout", "-q", "-b", "reword", "main")
    repo.commit("vcpu comment", {"rulesets/pricing/compute.yaml": "# reworded\n" + compute},
                date="2026-11-12T10:00:00+00:00")
    repo.git("tag", "reworded")
    repo.git("checkout", "-q", "main")
    return root


@pytest.fixture
def archive_app(project_rules: Path, tmp_path: Path) -> Litestar:
    """An app whose archive (SQLite, in a fresh data directory) knows customer C-0001."""
    keys = keys_from_pairs(",".join(f"{role}={key}" for role, key in KEYS.items()))
    app = create_app(ApiSettings(repo=str(project_rules), data_dir=str(tmp_path / "data"),
                                 keys=keys, access_log=""))
    import_customers(services(app.state).archive.get().engine,
                     [msgspec.convert(CUSTOMER, Customer)])
    return app


@pytest.fixture
def http(archive_app: Litestar) -> Iterator[TestClient[Litestar]]:
    """A test client of :func:`archive_app`."""
    with TestClient(archive_app) as test_client:
        yield test_client


def invoice_body(**changes: Any) -> dict[str, Any]:
    """A valid issue request for C-0001, October 2026, with ``changes``."""
    return {"customer_id": "C-0001", "period": "2026-10", "usage": usage(), **changes}


def issued(http: TestClient[Litestar], **changes: Any) -> dict[str, Any]:
    """Issue an invoice as ``billing``; its answer."""
    response = http.post("/v1/invoices", json=invoice_body(**changes), headers=auth("billing"))
    assert response.status_code == 201, response.text
    answer: dict[str, Any] = response.json()
    return answer
