"""Registries of any size, written as TOML, JSON and YAML, for the scale benchmark and its test."""

from __future__ import annotations

import json
from typing import Any

CATEGORIES = ("necessary", "functional", "statistics", "marketing")


def registry_data(vendors: int) -> dict[str, Any]:
    """A registry shaped like a real one: every vendor with hosts, cookies and a script."""
    categories: list[dict[str, Any]] = [
        {"id": "necessary", "title": "Necessary", "required": True, "justification": "Security.", "order": 0},
        *(
            {"id": c, "title": c.title(), "description": f"What {c} is for.", "order": i}
            for i, c in enumerate(CATEGORIES[1:], 1)
        ),
    ]
    return {
        "name": "Scale",
        "default_locale": "en",
        "privacy_policy_url": "https://scale.example/privacy",
        "categories": categories,
        "vendors": [vendor(n) for n in range(1, vendors + 1)],
    }


def vendor(n: int) -> dict[str, Any]:
    return {
        "id": f"vendor-{n}",
        "number": n,
        "name": f"Vendor {n}",
        "category": CATEGORIES[1 + n % 3] if n > 4 else "necessary",
        "description": f"Vendor {n} measures and shows things.",
        "policy_url": f"https://vendor-{n}.example/privacy",
        "hosts": [f"cdn.vendor-{n}.example", f"*.track-{n}.example"],
        "cookies": [
            {"name": f"_v{n}", "party": "first", "lifetime": "13mo", "purpose": "Tells visits apart."},
            {"name": f"_v{n}_*", "party": "first", "lifetime": "1d", "purpose": "Throttles requests."},
        ],
        "scripts": [{"src": f"https://cdn.vendor-{n}.example/tag.js", "attributes": {"async": True}}],
    }


def as_json(data: dict[str, Any]) -> str:
    return json.dumps(data, indent=2)


def as_yaml(data: dict[str, Any]) -> str:
    import yaml

    return str(yaml.safe_dump(data, sort_keys=False))


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{k} = {_toml_value(v)}" for k, v in value.items()) + " }"
    raise TypeError(type(value))


def as_toml(data: dict[str, Any]) -> str:
    """The registry as its authors write it: arrays of tables, one per category, vendor and cookie."""
    lines = [f"{k} = {_toml_value(v)}" for k, v in data.items() if not isinstance(v, list)]
    for category in data["categories"]:
        lines += ["", "[[categories]]", *(f"{k} = {_toml_value(v)}" for k, v in category.items())]
    for item in data["vendors"]:
        lines += ["", "[[vendors]]"]
        lines += [f"{k} = {_toml_value(v)}" for k, v in item.items() if k not in ("cookies", "scripts")]
        for kind in ("cookies", "scripts"):
            for part in item[kind]:
                lines += [f"[[vendors.{kind}]]", *(f"{k} = {_toml_value(v)}" for k, v in part.items())]
    return "\n".join(lines) + "\n"


WRITERS = {"toml": as_toml, "json": as_json, "yaml": as_yaml}
