"""#13.1: deleting declined vendors' cookies is bounded whatever the request's Host and cookies say.

The attack: a reject-all post with a Host of 400 labels and 700 ``_ga_*`` cookies made one response of
281,401 ``Set-Cookie`` headers (140 MB). Parent domains now come from configuration only, and one
response expires at most ``MAX_EXPIRED_COOKIES`` cookies.
"""

from __future__ import annotations

import time

import pytest
from conftest import registry_data
from flask_helpers import example_app

from consent.cookies import DeclaredCookies, declared_cookies
from consent.flask.http import MAX_EXPIRED_COOKIES
from consent.registry import Registry, cookie_regex

HOST = ".".join(f"l{i}" for i in range(400)) + ".example"
COOKIES = "; ".join(f"_ga_{i:04d}=GS1.1.{i}" for i in range(700))


def attack(**config: object) -> tuple[list[str], float]:
    client = example_app(**config).test_client(use_cookies=False)
    start = time.perf_counter()
    response = client.post(
        "/consent/",
        data={"action": "reject_all"},
        headers={"Origin": f"http://{HOST}", "Cookie": COOKIES},
        base_url=f"http://{HOST}",
    )
    elapsed = time.perf_counter() - start
    assert response.status_code == 303
    return response.headers.getlist("Set-Cookie"), elapsed


def test_a_hostile_host_and_700_cookies_make_a_small_response() -> None:
    headers, _ = attack()
    expired = [h for h in headers if h.startswith("_ga_")]
    assert len(expired) == MAX_EXPIRED_COOKIES  # host-only, no domain taken from the Host header
    assert not any("Domain=" in h for h in expired)
    assert sum(len(h) for h in headers) < 8 * 1024


def test_configured_domains_bound_the_headers_too() -> None:
    headers, _ = attack(CONSENT_DECLINED_COOKIE_DOMAINS=["example", "l398.l399.example"])
    expired = [h for h in headers if h.startswith("_ga_")]
    assert len(expired) == 3 * MAX_EXPIRED_COOKIES  # host-only and the two configured domains
    assert {h.split("Domain=")[1].split(";")[0] for h in expired if "Domain=" in h} == {
        "example",
        "l398.l399.example",
    }
    assert sum(len(h) for h in headers) < 16 * 1024


def test_the_work_does_not_grow_with_the_host() -> None:
    """The same request with a short Host costs about the same (a ratio, never an absolute time)."""
    short = example_app().test_client(use_cookies=False)

    def timed(host: str) -> float:
        best = float("inf")
        for _ in range(5):
            start = time.perf_counter()
            short.post(
                "/consent/",
                data={"action": "reject_all"},
                headers={"Origin": f"http://{host}", "Cookie": COOKIES},
                base_url=f"http://{host}",
            )
            best = min(best, time.perf_counter() - start)
        return best

    assert timed(HOST) < 3 * timed("www.example")


def test_a_much_longer_host_changes_nothing() -> None:
    """The issue's second case (a longer Host made 505 MB): a 60 KB Host gives the same small response."""
    host = ".".join(f"label{i}" for i in range(8000))[: 60 * 1024].rstrip(".") + ".example"
    client = example_app().test_client(use_cookies=False)
    response = client.post(
        "/consent/",
        data={"action": "reject_all"},
        headers={"Origin": f"http://{host}", "Cookie": COOKIES},
        base_url=f"http://{host}",
    )
    assert response.status_code == 303
    headers = response.headers.getlist("Set-Cookie")
    assert len([h for h in headers if h.startswith("_ga_")]) == MAX_EXPIRED_COOKIES
    assert sum(len(h) for h in headers) < 8 * 1024


# -- matching cookies to the vendors that declare them -------------------------------------------------


def cookie_registry(patterns: dict[str, list[str]]) -> Registry:
    data = registry_data(len(patterns))
    for vendor, names in zip(data["vendors"], patterns.values(), strict=True):
        vendor["cookies"] = [{"name": name} for name in names]
    return Registry.model_validate(data)


MATCHING = cookie_registry(
    {
        "vendor-1": ["_ga", "_ga_*"],
        "vendor-2": ["_ga"],
        "vendor-3": ["*_session"],
        "vendor-4": ["a*b*c"],
    }
)


@pytest.mark.parametrize(
    ("cookie", "owners"),
    [
        ("_ga", {"vendor-1", "vendor-2"}),
        ("_ga_ABC123", {"vendor-1"}),
        ("_ga_", {"vendor-1"}),
        ("_gat", set()),
        ("x_session", {"vendor-3"}),
        ("_session", {"vendor-3"}),
        ("_ga_x_session", {"vendor-1", "vendor-3"}),
        ("abc", {"vendor-4"}),
        ("a--b--c", {"vendor-4"}),
        ("a--c--b", set()),
        ("_ga\n", set()),
        ("", set()),
    ],
)
def test_each_cookie_belongs_to_the_vendors_that_declare_it(cookie: str, owners: set[str]) -> None:
    table = declared_cookies(MATCHING)
    assert {v.id for v in MATCHING.vendors_in_mask(table.owners(cookie))} == owners
    assert {v.id for v in MATCHING.vendors for c in v.cookies if c.matches(cookie)} == owners


def test_the_patterns_are_compiled_once_per_registry() -> None:
    assert declared_cookies(MATCHING) is declared_cookies(MATCHING)
    cookie = MATCHING.vendor("vendor-1").cookies[1]
    assert cookie_regex(cookie.name) is cookie_regex(cookie.name)


def test_matching_700_cookies_does_not_grow_with_the_registrys_patterns() -> None:
    """700 cookies against 2,000 wildcard patterns cost about what they cost against two (a ratio)."""
    small = declared_cookies(cookie_registry({"a": ["_ga_*"], "b": ["_fbp*"]}))
    large = declared_cookies(
        cookie_registry({f"v{i}": [f"_v{i:04d}_*"] for i in range(1, 2001)} | {"a": ["_ga_*"]})
    )
    names = [f"_ga_{i:04d}" for i in range(700)]

    def timed(table: DeclaredCookies) -> float:
        best = float("inf")
        for _ in range(5):
            start = time.perf_counter()
            for name in names:
                table.owners(name)
            best = min(best, time.perf_counter() - start)
        return best

    assert all(large.owners(name) for name in names)
    assert timed(large) < 3 * timed(small)
