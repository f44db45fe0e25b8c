"""What hostile requests cost, compared with ordinary ones in the same run (issue #13): ratios only.

Run from the repository root::

    python -m benchmarks.bench_security [--rounds 15] [--number 20]

Targets (ratios measured side by side, never absolute times):

(a) a reject-all post with a Host of 400 labels and 700 ``_ga_*`` cookies costs at most 1.5x the same
    post with a short Host (it once made 281,401 Set-Cookie headers), and at most 6x a post without
    cookies (parsing 700 cookies is most of it);
(b) matching 700 cookies against 2,000 declared wildcard patterns costs at most 3x matching them against
    two;
(c) the preferences page with a 100 KB ``Accept-Language`` costs at most 1.5x the page with a short one;
(d) building the Content-Security-Policy after Accept all costs at most a tenth of rendering the article
    for that visitor.

Exits with status 1 when a target is missed.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import Any

from benchmarks._timing import Verdicts, interleaved, ratio
from consent.cookies import declared_cookies
from consent.csp import build_policy
from consent.gate import decide
from consent.registry import Registry
from consent.state import ConsentState, Method
from examples.reviews.app import create_app

ARTICLE = "/movie-review-her"
HOST = ".".join(f"l{i}" for i in range(400)) + ".example"
COOKIES = "; ".join(f"_ga_{i:04d}=GS1.1.{i}" for i in range(700))
SHORT_LANGUAGE = "de-CH, de;q=0.9, en;q=0.8"
HUGE_LANGUAGE = ", ".join(f"x{i:05d}-private;q=0.{i % 9 + 1}" for i in range(100 * 1024 // 20))


def cookie_registry(patterns: int) -> Registry:
    vendors = [
        {
            "id": f"v-{n}",
            "number": n,
            "name": f"V{n}",
            "category": "statistics",
            "policy_url": "https://v.example/privacy",
            "cookies": [{"name": "_ga_*" if n == 1 else f"_v{n:04d}_*"}],
        }
        for n in range(1, patterns + 1)
    ]
    return Registry.model_validate(
        {"name": "bench", "categories": [{"id": "statistics", "title": "Statistics"}], "vendors": vendors}
    )


def cases() -> dict[str, Any]:
    app = create_app({"TESTING": True})
    client = app.test_client(use_cookies=False)

    def post(host: str, cookies: str | None) -> None:
        headers = {"Origin": f"http://{host}"} | ({"Cookie": cookies} if cookies else {})
        response = client.post(
            "/consent/", data={"action": "reject_all"}, headers=headers, base_url=f"http://{host}"
        )
        assert response.status_code == 303

    decision = app.test_client().post(
        "/consent/", data={"action": "accept_all"}, headers={"Origin": "http://localhost"}
    )
    accepted_cookie = {"Cookie": decision.headers["Set-Cookie"].split(";")[0], "Accept-Language": "en"}
    names = [f"_ga_{i:04d}" for i in range(700)]
    small, large = declared_cookies(cookie_registry(2)), declared_cookies(cookie_registry(2000))
    registry = app.extensions["consent"].registry
    accepted = decide(
        registry,
        ConsentState.undecided(registry).with_choices(
            {v.id: True for v in registry.optional_vendors()}, method=Method.CUSTOM
        ),
    )
    return {
        "hostile post": lambda: post(HOST, COOKIES),
        "short Host, same cookies": lambda: post("www.example", COOKIES),
        "plain post": lambda: post("www.example", None),
        "700 cookies, 2000 patterns": lambda: [large.owners(n) for n in names],
        "700 cookies, 2 patterns": lambda: [small.owners(n) for n in names],
        "100 KB Accept-Language": lambda: client.get(
            "/consent/preferences", headers={"Accept-Language": HUGE_LANGUAGE}
        ),
        "short Accept-Language": lambda: client.get(
            "/consent/preferences", headers={"Accept-Language": SHORT_LANGUAGE}
        ),
        "CSP after Accept all": lambda: build_policy(accepted, "n" * 24, strict_dynamic=True),
        "article after Accept all": lambda: client.get(ARTICLE, headers=accepted_cookie),
    }


TARGETS = (
    (
        "(a) hostile reject-all post / same cookies, short Host",
        "hostile post",
        "short Host, same cookies",
        1.5,
    ),
    ("(a) hostile reject-all post / post without cookies", "hostile post", "plain post", 6.0),
    ("(b) 700 cookies: 2000 / 2 patterns", "700 cookies, 2000 patterns", "700 cookies, 2 patterns", 3.0),
    (
        "(c) preferences: 100 KB / short Accept-Language",
        "100 KB Accept-Language",
        "short Accept-Language",
        1.5,
    ),
    (
        "(d) CSP after Accept all / the article for that visitor",
        "CSP after Accept all",
        "article after Accept all",
        0.1,
    ),
)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.bench_security", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--rounds", type=int, default=15, help="interleaved rounds (median taken)")
    parser.add_argument("--number", type=int, default=20, help="calls per case per round")
    args = parser.parse_args(argv)
    samples = interleaved(cases(), rounds=args.rounds, number=args.number)
    verdict = Verdicts()
    for label, numerator, denominator, target in TARGETS:
        found = ratio(samples, numerator, denominator)
        print(f"{label}: {found:.2f}x (target <= {target}x)  {verdict(found <= target)}")
    print("all targets met" if not verdict.missed else f"{verdict.missed} targets FAILED")
    return verdict.status


if __name__ == "__main__":
    sys.exit(main())
