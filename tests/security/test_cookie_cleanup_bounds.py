"""#13.1: deleting declined vendors' cookies is bounded whatever the request's Host and cookies say.

The attack: a reject-all post with a Host of 400 labels and 700 ``_ga_*`` cookies made one response of
281,401 ``Set-Cookie`` headers (140 MB). Parent domains now come from configuration only, and one
response expires at most ``MAX_EXPIRED_COOKIES`` cookies.
"""

from __future__ import annotations

import time

from flask_helpers import example_app

from consent.flask.http import MAX_EXPIRED_COOKIES

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
