"""Hand-made observations for the tests that need no browser."""

from __future__ import annotations

import time
from typing import Any

from consent.registry import Registry
from consent.scan.observations import ScanRun, SeenCookie, SeenRequest, SeenStorage, StateVisit

SITE = "https://news.example"
PAGE = SITE + "/"


def cookie(
    name: str, domain: str = "news.example", *, lifetime: float | None = 86400.0, **fields: Any
) -> SeenCookie:
    now = time.time()
    values: dict[str, Any] = {
        "name": name,
        "domain": domain,
        "path": "/",
        "expires": None if lifetime is None else now + lifetime,
        "http_only": False,
        "secure": False,
        "same_site": "Lax",
        "time": 1.0,
        "after_choice": True,
        "written_at": now,
    }
    values.update(fields)
    return SeenCookie(**values)


def storage(key: str, origin: str = SITE, **fields: Any) -> SeenStorage:
    values: dict[str, Any] = {
        "area": "local",
        "key": key,
        "origin": origin,
        "time": 1.0,
        "after_choice": True,
    }
    values.update(fields)
    return SeenStorage(**values)


def request(url: str, kind: str = "script", **fields: Any) -> SeenRequest:
    values: dict[str, Any] = {"url": url, "resource_type": kind, "time": 1.0, "after_choice": True}
    values.update(fields)
    return SeenRequest(**values)


def visit(
    state: str, *items: SeenCookie | SeenStorage | SeenRequest, page: str = PAGE, **fields: Any
) -> StateVisit:
    found = StateVisit(page, state, **fields)
    for item in items:
        if isinstance(item, SeenCookie):
            found.cookies.append(item)
        elif isinstance(item, SeenStorage):
            found.storage.append(item)
        else:
            found.requests.append(item)
    return found


def run(*visits: StateVisit) -> ScanRun:
    pages = list(dict.fromkeys(v.page for v in visits))
    states = list(dict.fromkeys(v.state for v in visits))
    return ScanRun(PAGE, SITE, pages, states, list(visits), duration=2.0, widget=True)


def with_vendor(registry: Registry, vendor_id: str, number: int, category: str, *hosts: str) -> Registry:
    """``registry`` plus one more vendor on ``hosts``."""
    data = registry.model_dump(mode="python")
    vendor = {"id": vendor_id, "number": number, "name": vendor_id.title(), "category": category}
    data["vendors"] = [
        *data["vendors"],
        {**vendor, "policy_url": f"https://{vendor_id}.test/", "hosts": list(hosts)},
    ]
    return Registry.model_validate(data)
