"""Fake third parties on loopback that behave like real trackers, reached through a host map.

One HTTPS server answers for every mapped host name (the scanner passes ``--host-resolver-rules`` to
Chromium, so the browser believes it talks to ``cdn.trackly.test`` and stores cookies for that
domain). What it answers depends on the path:

- ``/tracker.js?cookie=&max_age=&storage=&chain=&chain_cookie=``: a script that sets a first-party
  cookie with ``document.cookie``, writes a localStorage key and chains a request to a second host;
- ``/collect?cookie=&max_age=``: a pixel that sets a third-party cookie with ``Set-Cookie``;
- ``/gtag/js``: the Google Analytics loader of the example site, which sets ``_ga`` like the real one;
- anything else: an empty script, a GIF or a blank page, as its extension suggests.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from tls_helpers import serving_over_tls

GIF = bytes.fromhex("47494638396101000100800000000000ffffff21f90401000000002c00000000010001000002024401003b")
GA_LOADER = 'document.cookie = "_ga=GA1.1.123; max-age=63072000; path=/";'


@dataclass
class FakeHosts:
    """The running server: its port, and every (host, path) it was asked for."""

    port: int
    hits: list[tuple[str, str]] = field(default_factory=list)

    def host_map(self, *hosts: str) -> dict[str, str]:
        """A host map sending ``hosts`` (default: every host but loopback) to this server."""
        return {host: f"127.0.0.1:{self.port}" for host in hosts or ("*",)}


def _tracker_script(query: dict[str, str]) -> str:
    lines = []
    if query.get("cookie"):
        lines.append(
            f'document.cookie = "{query["cookie"]}=1; max-age={query.get("max_age", "31536000")}; path=/";'
        )
    if query.get("storage"):
        lines.append(f"localStorage.setItem({json.dumps(query['storage'])}, String(Date.now()));")
    if query.get("chain"):
        target = f"https://{query['chain']}/collect?cookie={query.get('chain_cookie', '')}&max_age=31536000"
        lines.append(f"new Image().src = {json.dumps(target)};")
    return "\n".join(lines)


def _handler(record: FakeHosts) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            parts = urlsplit(self.path)
            host = (self.headers.get("Host") or "").split(":")[0]
            record.hits.append((host, parts.path))
            query = {k: v[0] for k, v in parse_qs(parts.query).items()}
            headers: list[tuple[str, str]] = []
            if parts.path == "/tracker.js":
                body, kind = _tracker_script(query).encode(), "application/javascript"
            elif parts.path == "/gtag/js":
                body, kind = GA_LOADER.encode(), "application/javascript"
            elif parts.path == "/collect":
                body, kind = GIF, "image/gif"
                if query.get("cookie"):
                    headers.append(
                        (
                            "Set-Cookie",
                            f"{query['cookie']}=1; Max-Age={query.get('max_age', '31536000')}; "
                            "Path=/; SameSite=None; Secure",
                        )
                    )
            elif parts.path.endswith(".js") or "js" in parts.path.rsplit("/", 1)[-1]:
                body, kind = b"", "application/javascript"
            elif self.headers.get("Sec-Fetch-Dest") in ("iframe", "document"):
                body, kind = b"<!doctype html><title>fake</title>", "text/html"
            elif self.headers.get("Sec-Fetch-Dest") == "image":
                body, kind = GIF, "image/gif"
            else:
                body, kind = b"", "text/plain"
            self.send_response(200)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Cache-Control", "no-store")
            self.send_header("Access-Control-Allow-Origin", "*")
            for name, value in headers:
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(body)

        do_POST = do_GET

        def log_message(self, format: str, *args: object) -> None:  # keep test output quiet
            pass

    return Handler


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: object, client_address: object) -> None:
        """Browsers drop TLS connections they no longer need: that is not worth a traceback."""


@contextmanager
def serve_fake_hosts(folder: Path) -> Iterator[FakeHosts]:
    """The fake third parties over HTTPS on a free loopback port."""
    server = _Server(("127.0.0.1", 0), _handler(FakeHosts(0)))
    record = FakeHosts(server.server_port)
    server.RequestHandlerClass = _handler(record)
    with serving_over_tls(server, folder, "fake.test"):
        yield record
