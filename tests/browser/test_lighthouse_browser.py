"""Lighthouse (npm ``lighthouse``, on Debian's Chromium) scores the example article 100 in accessibility,
best practices and SEO, on a first visit and after Accept all.

Nothing reaches the internet: Chromium resolves every host but the site's to a local HTTPS fake that
answers scripts with an empty script, images with a GIF and frames with an empty page (its certificate is
self-signed, hence ``--ignore-certificate-errors``).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import urllib.error
import urllib.request
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from tls_helpers import serving_over_tls

from .conftest import CHROMIUM, CHROMIUM_ARGS
from .support import ARTICLE, GIF, ROOT, LiveServer

pytestmark = pytest.mark.browser

LIGHTHOUSE = ROOT / "node_modules" / "lighthouse" / "cli" / "index.js"
CATEGORIES = ("accessibility", "best-practices", "seo")
STUB_PAGE = b'<!doctype html><html lang="en"><title>stub</title></html>'


class FakeThirdParty(BaseHTTPRequestHandler):
    """Every third party at once: the answer follows what the browser fetches (``Sec-Fetch-Dest``)."""

    hosts: list[str] = []

    def do_GET(self) -> None:
        self.hosts.append(self.headers.get("Host", ""))
        kind = self.headers.get("Sec-Fetch-Dest", "")
        body, content_type = {
            "script": (b"", "application/javascript"),
            "image": (GIF, "image/gif"),
            "iframe": (STUB_PAGE, "text/html"),
        }.get(kind, (b"", "text/plain"))
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Access-Control-Allow-Origin", "*")  # scripts loaded with crossorigin
        self.end_headers()
        self.wfile.write(body)

    do_POST = do_GET

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the fake's requests are not the test's output."""


@pytest.fixture(scope="module")
def third_parties(tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    """The local HTTPS fake's port."""
    folder = tmp_path_factory.mktemp("fake-tls")
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeThirdParty)
    with serving_over_tls(server, folder, "third-party.test"):
        yield server.server_address[1]


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


def consent_cookie(server: LiveServer, action: str) -> str:
    """The ``name=value`` of the consent cookie the site sets for ``action``."""
    request = urllib.request.Request(
        f"{server.url}/consent/", data=f"action={action}&next=/".encode(), headers={"Origin": server.url}
    )
    try:
        response = urllib.request.build_opener(NoRedirect).open(request)
    except urllib.error.HTTPError as redirect:  # the 303 back to the page, not followed
        response = redirect
    with response:
        set_cookie = response.headers.get("Set-Cookie")
    assert set_cookie, "the site set no consent cookie"
    return str(set_cookie).split(";", 1)[0]


def lighthouse(url: str, fake_port: int, cookie: str | None) -> dict[str, Any]:
    if not LIGHTHOUSE.exists():
        pytest.fail(f"{LIGHTHOUSE} is missing: run `npm ci`", pytrace=False)
    if not CHROMIUM.exists() or shutil.which("node") is None:
        pytest.fail("Lighthouse needs node and /usr/bin/chromium", pytrace=False)
    rules = f'--host-resolver-rules="MAP * 127.0.0.1:{fake_port},EXCLUDE 127.0.0.1"'
    flags = " ".join(["--headless=new", *CHROMIUM_ARGS, "--ignore-certificate-errors", rules])
    command = ["node", str(LIGHTHOUSE), url, f"--only-categories={','.join(CATEGORIES)}"]
    command += ["--output=json", "--output-path=stdout", "--quiet", f"--chrome-flags={flags}"]
    if cookie:
        command += ["--extra-headers", json.dumps({"Cookie": cookie})]
    env = {**os.environ, "CHROME_PATH": str(CHROMIUM)}
    result = subprocess.run(command, capture_output=True, text=True, timeout=240, env=env, cwd=Path(ROOT))
    assert result.returncode == 0, result.stderr[-3000:]
    report: dict[str, Any] = json.loads(result.stdout)
    return report


def shortfalls(report: dict[str, Any]) -> list[str]:
    """Each audit that cost points, with what it found."""
    lines = []
    for category in report["categories"].values():
        for ref in category["auditRefs"]:
            audit = report["audits"][ref["id"]]
            if ref["weight"] and audit["score"] is not None and audit["score"] < 1:
                items = json.dumps(audit.get("details", {}).get("items", []))[:600]
                lines.append(f"{category['id']}: {ref['id']} ({audit['title']}): {items}")
    return lines


@pytest.mark.parametrize("action", [None, "accept_all"], ids=["first-visit", "accepted"])
def test_the_article_scores_100(live_server: LiveServer, third_parties: int, action: str | None) -> None:
    FakeThirdParty.hosts.clear()
    cookie = consent_cookie(live_server, action) if action else None

    report = lighthouse(live_server.url + ARTICLE, third_parties, cookie)

    scores = {name: report["categories"][name]["score"] for name in CATEGORIES}
    assert scores == dict.fromkeys(CATEGORIES, 1), "\n".join(shortfalls(report))
    if action:  # the vendors' tags really ran (against the fake), so this scored the accepted page
        assert {"www.googletagmanager.com", "www.youtube-nocookie.com"} <= set(FakeThirdParty.hosts)
