"""Page-level benchmarks on the example site (issues: banner render time, gate overhead, widget weight).

Run with ``python -m benchmarks.bench_pages`` (or ``make bench`` for every benchmark). Each target is a
ratio of two timings taken in the same run, interleaved, median of several rounds: this machine is
shared and noisy, so no absolute time is ever compared.
"""

from __future__ import annotations

import gzip
import random
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from flask import Flask, request
from itsdangerous import URLSafeSerializer
from markupsafe import Markup

from benchmarks._timing import Verdicts, interleaved, median, ratio
from benchmarks.bench_codec import same_length_token
from examples.reviews.app import create_app

ROOT = Path(__file__).resolve().parents[1]
ARTICLE = "/movie-review-her"
ORIGIN = {"Origin": "http://localhost"}
SHIPPED = "banner HTML + CSS + JS, as every first visit gets it"


def consent_cookie(app: Flask, action: str, **form: str | list[str]) -> dict[str, str]:
    """Headers carrying the consent cookie a visitor gets for ``action`` (``form``: more fields, such as
    the ticked ``category`` of a custom save).

    The benchmarks send cookies as a plain header from clients without a cookie jar: the test client's
    jar costs more per request than the extension does, and would blur the comparison.
    """
    client = app.test_client()
    data = {"action": action, "next": "/", **form}
    response = client.post("/consent/", data=data, headers=ORIGIN)
    assert response.status_code == 303, response.status_code
    cookie = client.get_cookie(app.extensions["consent"].codec.name)
    assert cookie is not None
    headers = {"Cookie": f"{cookie.key}={cookie.value}", "Accept-Language": "en"}
    assert app.test_client(use_cookies=False).get("/consent/status", headers=headers).get_json()["decided"]
    return headers


HELPERS = (
    "consent_head",
    "consent_scripts",
    "consent_banner",
    "consent_settings_link",
    "consent_embed",
    "consent_placeholder",
)


def inline_baseline(app: Flask, headers: dict[str, str]) -> Flask:
    """The same site without the extension: each helper replaced by the markup it produced, inline."""
    captured: dict[tuple[Any, ...], Markup] = {}
    allowed: dict[str, bool] = {}
    env = app.jinja_env
    originals = {name: env.globals[name] for name in HELPERS}
    proxy = env.globals["consent"]

    def recorder(name: str) -> Callable[..., Markup]:
        def call(*args: Any, **kwargs: Any) -> Markup:
            out: Markup = originals[name](*args, **kwargs)
            captured[(name, args, tuple(sorted(kwargs.items())))] = out
            allowed.update({v.id: proxy.allows(v.id) for v in proxy.registry.vendors})
            return out

        return call

    env.globals.update({name: recorder(name) for name in HELPERS})
    try:
        app.test_client(use_cookies=False).get(ARTICLE, headers=headers)
    finally:
        env.globals.update(originals)

    class Inline:
        def allows(self, vendor_id: str) -> bool:
            return allowed[vendor_id]

    def replay(name: str) -> Callable[..., Markup]:
        return lambda *args, **kwargs: captured[(name, args, tuple(sorted(kwargs.items())))]

    baseline = Flask("examples.reviews.app", root_path=str(ROOT / "examples" / "reviews"))
    baseline.config.update(app.config)
    baseline.jinja_env.globals.update({name: replay(name) for name in HELPERS}, consent=Inline())
    for rule in app.url_map.iter_rules():
        if not rule.endpoint.startswith("consent.") and rule.endpoint != "static":
            baseline.add_url_rule(
                rule.rule, rule.endpoint, app.view_functions[rule.endpoint], methods=rule.methods
            )
    own = baseline.template_context_processors[None]  # Flask's default one is there already
    own.extend(f for f in app.template_context_processors[None] if f not in own)
    return baseline


def verification_floor(app: Flask, headers: dict[str, str], rounds: int, number: int) -> None:
    """What verifying the cookie alone adds to the inline page: the least any gated page can cost while
    every request verifies its cookie (no verified-cookie cache), for this page size.

    The inline page gets one hook that reads the consent cookie (find, verify, decode), and, as the
    yardstick the issue names, one that runs itsdangerous' ``URLSafeSerializer.loads`` on a token of the
    same length; nothing else is added. Printed, not judged: it says how much of each bar the
    verification leaves for everything else, and how much the gated page costs beyond it.
    """
    codec = app.extensions["consent"].codec
    value = codec.value_in(headers["Cookie"])
    assert value is not None
    serializer = URLSafeSerializer("benchmark key", salt="benchmark")
    token = same_length_token(serializer, len(value), random.Random(7))

    def with_hook(hook: Callable[[], None]) -> Any:
        site = inline_baseline(app, headers)
        site.before_request(hook)
        return site.test_client(use_cookies=False)

    def read_cookie() -> None:
        codec.decode(codec.value_in(request.environ.get("HTTP_COOKIE")))

    def loads() -> None:
        serializer.loads(token)

    clients = {
        "inline, no extension": inline_baseline(app, headers).test_client(use_cookies=False),
        "inline + our cookie read": with_hook(read_cookie),
        "inline + itsdangerous loads": with_hook(loads),
        "gated": app.test_client(use_cookies=False),
    }
    samples = interleaved(
        {name: lambda c=c: c.get(ARTICLE, headers=headers) for name, c in clients.items()},  # type: ignore[misc]
        rounds=rounds,
        number=number,
    )
    print("The floor: verifying the cookie alone on the inline page (after Reject all)")
    for name in clients:
        share = ratio(samples, name, "inline, no extension")
        print(f"  {name:<30} {median(samples, name) * 1e6:8.1f} µs  {share:6.3f}x")
    above = ratio(samples, "gated", "inline + our cookie read")
    print(f"  {'gated / inline + our cookie read (what is above the floor)':<62} {above:6.3f}x")


def widget_weight() -> dict[str, int]:
    app = create_app({"TESTING": True})
    client = app.test_client()
    with app.test_request_context(ARTICLE):
        from consent.flask.helpers import consent_banner

        banner_html = str(consent_banner())
    panel_html = client.get("/consent/preferences?fragment=1&next=/").get_data(as_text=True)
    css = (ROOT / "widget" / "static" / "consent.css").read_bytes()
    js = (ROOT / "widget" / "static" / "consent.js").read_bytes()

    def gz(data: bytes) -> int:
        return len(gzip.compress(data, 9))

    sizes = {
        "banner HTML (first layer and dialog, in the page)": gz(banner_html.encode()),
        "consent.css": gz(css),
        "consent.js": gz(js),
    }
    sizes[SHIPPED] = sum(sizes.values())
    # The second layer is fetched only when the visitor opens it: reported, not part of every page.
    sizes["preferences panel HTML (fetched when opened)"] = gz(panel_html.encode())
    sizes["everything, panel included"] = (
        sizes[SHIPPED] + sizes["preferences panel HTML (fetched when opened)"]
    )
    return sizes


def peer_weights() -> dict[str, int]:
    modules = ROOT / "node_modules"
    peers = {
        "vanilla-cookieconsent (umd.js + css)": [
            modules / "vanilla-cookieconsent" / "dist" / "cookieconsent.umd.js",
            modules / "vanilla-cookieconsent" / "dist" / "cookieconsent.css",
        ],
        "klaro (klaro.js, CSS inside)": [modules / "klaro" / "dist" / "klaro.js"],
    }
    out = {}
    for name, paths in peers.items():
        if all(p.exists() for p in paths):
            out[name] = sum(len(gzip.compress(p.read_bytes(), 9)) for p in paths)
    return out


def main(rounds: int = 21, number: int = 100) -> int:
    verdict = Verdicts()

    def report(label: str, value: float, target: float) -> None:
        print(f"  {label:<62} {value:6.3f}x  (target <= {target}x)  {verdict(value <= target)}")

    app = create_app({"TESTING": True})
    client = app.test_client(use_cookies=False)
    first = {"Accept-Language": "en"}
    rejected = consent_cookie(app, "reject_all")
    accepted = consent_cookie(app, "accept_all")

    def compare(label: str, cases: dict[str, Callable[[], object]], target: float) -> None:
        """Time two cases side by side; report the first's cost as a ratio of the second's."""
        samples = interleaved(cases, rounds=rounds, number=number)
        for name in samples:
            print(f"  {name:<30} {median(samples, name) * 1e6:8.1f} µs")
        numerator, denominator = cases
        report(label, ratio(samples, numerator, denominator), target)

    print("Render time of the example article (in-process, median of interleaved rounds)")
    compare(
        "first visit (banner) / decided visit (no banner)",
        {
            "first visit": lambda: client.get(ARTICLE, headers=first),
            "decided visit": lambda: client.get(ARTICLE, headers=rejected),
        },
        1.3,
    )

    # The bars: after Reject all and after a custom choice within 1.05x of the same page written
    # inline without the extension, after Accept all within 1.10x.
    custom = consent_cookie(app, "custom", category=["functional", "statistics"])
    for label, headers, target, scripts in (
        ("rejected all", rejected, 1.05, 1),
        ("custom choice", custom, 1.05, 5),
        ("accepted all", accepted, 1.10, 20),
    ):
        inline = inline_baseline(app, headers).test_client(use_cookies=False)
        gated_html = client.get(ARTICLE, headers=headers).get_data(as_text=True)
        inline_html = inline.get(ARTICLE, headers=headers).get_data(as_text=True)
        if gated_html != inline_html or gated_html.count("<script") < scripts:
            print(f"  the inline baseline does not render the same page ({label})", file=sys.stderr)
            return 2
        compare(
            f"{label}: gated / same page inline without extension",
            {
                f"gated ({label})": lambda h=headers: client.get(ARTICLE, headers=h),  # type: ignore[misc]
                "inline, no extension": lambda i=inline, h=headers: i.get(ARTICLE, headers=h),  # type: ignore[misc]
            },
            target,
        )

    verification_floor(app, rejected, rounds, number)

    print("Widget weight for the seed registry (gzip -9 bytes)")
    sizes = widget_weight()
    for name, size in sizes.items():
        print(f"  {name:<50} {size:7,d} B")
    for name, size in peer_weights().items():
        print(f"  {name:<50} {size:7,d} B  (for comparison)")
    shipped = verdict(sizes[SHIPPED] <= 10 * 1024)
    print(f"  {'banner as shipped with every page, within 10 KB':<50} {shipped}")
    return verdict.status


if __name__ == "__main__":
    raise SystemExit(main())
