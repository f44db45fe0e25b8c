"""Shared fixtures: the example site's registry and a factory for synthetic registries."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from consent.loader import load_registry
from consent.regions import default_vendors, policy_of
from consent.registry import Registry
from consent.state import ConsentState

ROOT = Path(__file__).resolve().parents[1]
SEED_REGISTRY = ROOT / "examples" / "reviews" / "vendors.toml"
CATEGORY_IDS = ("necessary", "functional", "statistics", "marketing")


def registry_data(vendor_count: int, *, first_number: int = 1) -> dict[str, Any]:
    """Raw data for a registry of ``vendor_count`` vendors spread over the four usual categories."""
    categories = [
        {
            "id": "necessary",
            "title": "Necessary",
            "required": True,
            "justification": "Keeps the site secure.",
        },
        {"id": "functional", "title": "Features", "order": 1},
        {"id": "statistics", "title": "Statistics", "order": 2},
        {"id": "marketing", "title": "Marketing", "order": 3},
    ]
    vendors = [
        {
            "id": f"vendor-{n}",
            "number": n,
            "name": f"Vendor {n}",
            "category": CATEGORY_IDS[n % 4],
            "policy_url": f"https://vendor-{n}.example.com/privacy",
            "hosts": [f"cdn.vendor-{n}.example.com"],
        }
        for n in range(first_number, first_number + vendor_count)
    ]
    return {"name": "Synthetic", "categories": categories, "vendors": vendors}


def vendor(vendor_id: str, number: int, category: str, **extra: Any) -> dict[str, Any]:
    """Raw data for one vendor of a hand-written test registry."""
    return {
        "id": vendor_id,
        "number": number,
        "name": vendor_id.title(),
        "category": category,
        "policy_url": f"https://{vendor_id}.example.com/privacy",
        **extra,
    }


def read_in(state: ConsentState, reg: Registry, code: str | None, *, gpc: bool = False) -> ConsentState:
    """``state`` as a request from ``code`` sees it: its region's policy and defaults."""
    region = reg.policy_for(code)
    return state.in_region(policy_of(region), default_vendors(reg, region, gpc))


@pytest.fixture(scope="session")
def seed_registry() -> Registry:
    return load_registry(SEED_REGISTRY)


@pytest.fixture
def registry(seed_registry: Registry) -> Registry:
    return seed_registry


@pytest.fixture(scope="session")
def make_registry() -> Callable[..., Registry]:
    def make(vendor_count: int = 40, **kwargs: Any) -> Registry:
        return Registry.model_validate(registry_data(vendor_count, **kwargs))

    return make


# -- Flask: the example site ------------------------------------------------------------------------


@pytest.fixture
def app() -> Any:
    """The example site (``examples/reviews``) in testing mode."""
    from flask_helpers import example_app

    return example_app()


@pytest.fixture
def client(app: Any) -> Any:
    return app.test_client()
