"""The registries the audit's tests share: a clean one, and one with a finding of every severity."""

from __future__ import annotations

from typing import Any

from conftest import registry_data

from consent.audit import AuditReport, audit
from consent.registry import Registry

SITE_POLICY = "https://www.mysite.org/privacy"


def clean() -> dict[str, Any]:
    """Eight vendors, two per category, each with its own host: nothing to report."""
    data = registry_data(8)
    data["privacy_policy_url"] = SITE_POLICY
    return data


def run(data: dict[str, Any]) -> AuditReport:
    return audit(Registry.model_validate(data))


def vendor(data: dict[str, Any], vendor_id: str) -> dict[str, Any]:
    return next(v for v in data["vendors"] if v["id"] == vendor_id)


def messy() -> dict[str, Any]:
    data = clean()
    del data["privacy_policy_url"]  # info
    vendor(data, "vendor-1")["cookies"] = [{"name": "a", "lifetime": "2y"}]  # error
    vendor(data, "vendor-2")["hosts"] = []  # info (nothing loaded)
    vendor(data, "vendor-3")["cookies"] = [{"name": "b"}]  # warning
    vendor(data, "vendor-4")["sale_share"] = True  # error
    return data


def documented() -> dict[str, Any]:
    data = messy()
    v1 = vendor(data, "vendor-1")
    v1.update(
        description="Counts | visits",
        without_consent="Nothing is counted.",
        cookies=[{"name": "_v", "lifetime": "2y", "purpose": "Tells visitors apart."}, {"name": "sid"}],
    )
    vendor(data, "vendor-2")["cookies"] = [{"name": "s", "lifetime": "session"}]
    return data
