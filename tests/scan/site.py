"""A purpose-built site for the scanner: this package's banner and gate, plus one seeded fault.

Its "third parties" live under ``*.test`` names that the scanner maps to :mod:`tests.scan.fakes`.
Faults (``FAULTS``) are template changes a real site could make by mistake:

- ``before-consent``: the Trackly tag is hard-coded in the page, outside the gate;
- ``reject-leak``: the tag is shown to every visitor who decided, whatever they decided;
- ``undeclared``: an inline script sets Hotjar's ``_hjSessionUser_*`` cookie (which the registry does
  not list) once statistics are allowed.

Registry faults (stale entry, a shorter declared lifetime, a "first-party" cookie that is not) come
from variants of ``data/trackers.toml`` (:func:`registry_variant`).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from flask import Flask, render_template_string, request
from live_server import serve_app

from consent import Consent

DATA = Path(__file__).parent / "data"
REGISTRY = DATA / "trackers.toml"
COOKIE_DB = DATA / "cookies.csv"
FAULTS = ("none", "before-consent", "reject-leak", "undeclared")
TRACKLY_TAG = (
    "https://cdn.trackly.test/tracker.js?cookie=_trk&amp;max_age=31536000&amp;storage=trk_id"
    "&amp;chain=collect.trackly-sync.test&amp;chain_cookie=trk_uid"
)

PAGE = """<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>{{ title }} - scan test site</title>
  {{ consent_head() }}
  {{ consent_scripts("head") }}
  {% if fault == "before-consent" %}<script src="{{ tag|safe }}"></script>{% endif %}
  {% if fault == "reject-leak" and consent.is_decided %}<script src="{{ tag|safe }}"></script>{% endif %}
  {% if fault == "undeclared" and consent.allows_category("statistics") %}
  <script nonce="{{ consent_nonce() }}">document.cookie = "_hjSessionUser_42=1; max-age=31536000; path=/";</script>
  {% endif %}
</head>
<body>
  <main>
    <h1>{{ title }}</h1>
    <p><a href="/">Home</a> · <a href="/about">About</a> · <a href="/contact">Contact</a>
      · <a href="/private">Members</a> (robots.txt keeps scanners out)</p>
  </main>
  {{ consent_scripts("body") }}
  {{ consent_banner() }}
</body>
</html>
"""


def registry_variant(folder: Path, name: str, *replacements: tuple[str, str]) -> Path:
    """``data/trackers.toml`` with text replaced (each replacement must apply), written to ``folder``."""
    text = REGISTRY.read_text(encoding="utf-8")
    for old, new in replacements:
        assert old in text, f"{old!r} is not in {REGISTRY.name}"
        text = text.replace(old, new)
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def create_site(fault: str = "none", registry: Path = REGISTRY) -> Flask:
    assert fault in FAULTS, fault
    app = Flask(__name__)
    app.config.update(
        TESTING=True,
        SECRET_KEY="scan-test-site",
        CONSENT_REGISTRY=registry,
        CONSENT_COOKIE_SECURE=False,
        CONSENT_LEDGER_URL=None,
    )
    Consent(app)
    titles = {
        "/": "Home",
        "/about": "About",
        "/contact": "Contact",
        "/private": "Members",
        "/hidden": "Hidden",
    }

    def page(path: str) -> str:
        return render_template_string(PAGE, title=titles[path], fault=fault, tag=TRACKLY_TAG)

    for path in titles:
        app.add_url_rule(path, path.strip("/") or "home", lambda path=path: page(path))
    sitemap = '<?xml version="1.0"?><urlset><url><loc>{}/hidden</loc></url></urlset>'
    app.add_url_rule(
        "/sitemap.xml",
        "sitemap",
        lambda: (sitemap.format(request.host_url.rstrip("/")), 200, {"Content-Type": "application/xml"}),
    )
    app.add_url_rule(
        "/robots.txt",
        "robots",
        lambda: ("User-agent: *\nDisallow: /private\n", 200, {"Content-Type": "text/plain"}),
    )
    return app


FOREIGN_PAGE = """<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>A site with another consent manager</title>
  {% if choice == "yes" or (leak and choice) %}<script src="{{ tag|safe }}"></script>{% endif %}
</head>
<body>
  <h1>Another consent manager</h1>
  {% if not choice %}
  <div id="cmp" role="dialog" aria-label="Cookies">
    <p>We and our partners use cookies.</p>
    <button id="cmp-accept" onclick="document.cookie = 'cmp=yes; max-age=15552000; path=/'; location.reload()">OK</button>
    <button id="cmp-reject" onclick="document.cookie = 'cmp=no; max-age=15552000; path=/'; location.reload()">No thanks</button>
  </div>
  {% endif %}
</body>
</html>
"""


def create_foreign_site(*, leak: bool) -> Flask:
    """A site whose banner is not this package's: a ``cmp`` cookie holds the choice. With ``leak``, the
    Trackly tag loads for any decided visitor, Reject all included."""
    app = Flask(__name__)

    @app.get("/")
    def home() -> str:
        choice = request.cookies.get("cmp")
        return render_template_string(FOREIGN_PAGE, choice=choice, leak=leak, tag=TRACKLY_TAG)

    return app


@contextmanager
def serve_site(fault: str = "none", registry: Path = REGISTRY) -> Iterator[str]:
    """The test site on a free loopback port (``fault="foreign-leak"``: the foreign one); yields its URL."""
    app = create_foreign_site(leak=True) if fault == "foreign-leak" else create_site(fault, registry)
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    with serve_app(app) as url:
        yield url
